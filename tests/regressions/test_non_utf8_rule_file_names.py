"""A rule file whose name is not UTF-8 crashed every command (issue 8, item 11).

POSIX file names are bytes; Python shows the bytes that are not UTF-8 as
surrogate escapes, which the rule set's digest could not encode
(UnicodeEncodeError, raised raw by load_rules). The digest now hashes the
name's bytes, and messages show such bytes as ``\\xNN``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from tests.clitools import assert_clean_failure, cli
from tests.conftest import ROOT
from tests.rulefiles import copy_rules, with_default_catalogue

OPEN_WOUND = ROOT / "examples" / "open-wound.json"
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "examples.jsonl"


def copy_with(tmp_path: Path, name: bytes, data: bytes) -> Path:
    """A copy of the built-in rules plus a file named ``name`` (raw bytes) holding ``data``."""
    directory = copy_rules(tmp_path / "rules")
    with open(os.path.join(os.fsencode(directory), name), "wb") as handle:
        handle.write(data)
    return directory


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", OPEN_WOUND],
        ["explain", OPEN_WOUND],
        ["lint"],
        ["coverage", CORPUS],
        ["evaluate-many", CORPUS, "-o", "-"],
    ],
    ids=lambda argv: str(argv[0]),
)
def test_every_command_loads_a_rule_file_with_a_non_utf8_name(tmp_path: Path, argv: list[object]):
    """A valid rule file named b'caf\\xe9.yaml' loads in every command that takes --rules."""
    directory = copy_with(tmp_path, b"caf\xe9.yaml", b"rules: []\n")
    run = cli(argv[0], "--rules", directory, *argv[1:])
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    (run.out + run.err).encode("utf-8")  # nothing a strict stream could not write


def test_a_non_utf8_name_counts_in_the_rule_set_version(tmp_path: Path):
    """The version hashes the name's bytes: it is stable, and another name gives another one."""
    directory = copy_with(tmp_path, b"caf\xe9.yaml", b"rules: []\n")
    version = load_rules(directory).version
    assert load_rules(directory).version == version
    os.rename(os.path.join(os.fsencode(directory), b"caf\xe9.yaml"), directory / "cafe.yaml")
    assert load_rules(directory).version != version


def test_a_broken_file_with_a_non_utf8_name_is_shown_escaped(tmp_path: Path):
    """The error names the file with its undecodable byte as \\xff, and writes out strictly."""
    directory = copy_with(tmp_path, b"bad\xff.yaml", b"rules: [\n")
    run = cli("evaluate", "--rules", directory, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err.startswith(
        f"neurotriage: error: 1 problem in rule set:\n{directory}/bad\\xff.yaml:2:1: "
        "YAML syntax error: "
    )
    run.err.encode("utf-8")


def test_a_control_character_in_a_file_name_is_escaped(tmp_path: Path):
    """A newline in a rule file's name is shown as \\n: the error stays one paragraph."""
    directory = copy_with(tmp_path, b"two\nlines.yaml", b"rules: [\n")
    with pytest.raises(RuleError) as caught:
        load_rules(directory)
    assert caught.value.file == f"{directory}/two\\nlines.yaml"


def test_a_missing_rules_path_with_a_non_utf8_name_is_shown_escaped(tmp_path: Path):
    """--rules naming a missing path whose bytes are not UTF-8 is a plain, printable error."""
    missing = os.fsdecode(os.fsencode(tmp_path) + b"/r\xe9gles")
    run = cli("evaluate", "--rules", missing, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err == (
        f"neurotriage: error: 1 problem in rule set:\n{tmp_path}/r\\xe9gles: "
        "no such file or directory\n"
    )


def test_lint_names_a_non_utf8_rules_directory_escaped(tmp_path: Path):
    """lint's findings about the whole rule set name its directory printably."""
    directory = os.fsdecode(os.fsencode(tmp_path) + b"/r\xe9gles")
    os.mkdir(directory)
    rule = "rules:\n  - {id: r1, description: d, when: diabetes, block: all}\n"
    with_default_catalogue(Path(directory), {"r.yaml": rule})
    run = cli("lint", "--rules", directory)
    assert f"{tmp_path}/r\\xe9gles: -: warning: no rule reads the field 'pain_level'" in run.out
    run.out.encode("utf-8")

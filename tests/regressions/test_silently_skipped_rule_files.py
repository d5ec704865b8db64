"""A rule file that could not be read used to be dropped without a word (issue 8, item 2).

With red-flags.yaml a broken symbolic link, a symbolic-link loop or a
directory, or renamed red-flags.YAML, ``evaluate --rules DIR`` said "proceed,
all four techniques allowed" for an open wound, exit 0, nothing on stderr.
Every entry whose name ends in .yaml/.yml in any case is now loaded or is a
located RuleError.
"""

from __future__ import annotations

import os
import resource
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from neurotriage.loading import _sources as sources
from tests.clitools import assert_clean_failure, cli
from tests.conftest import ROOT
from tests.robustness._limits import time_limit
from tests.rulefiles import copy_rules, with_default_catalogue, write, write_file

OPEN_WOUND = ROOT / "examples" / "open-wound.json"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A copy of the built-in rules/ directory."""
    return copy_rules(tmp_path / "rules")


def replace_red_flags(directory: Path, kind: str) -> Path:
    """Replace ``directory``'s red-flags.yaml by an entry of ``kind``; return the entry."""
    flags = directory / "red-flags.yaml"
    flags.unlink()
    if kind == "dangling symlink":
        flags.symlink_to("nowhere.yaml")
    elif kind == "symlink loop":
        flags.symlink_to("red-flags.yaml")
    elif kind == "directory":
        flags.mkdir()
    elif kind == "named pipe":
        os.mkfifo(flags)
    return flags


def pretend(monkeypatch: pytest.MonkeyPatch, path: Path, result: os.stat_result) -> None:
    """Make os.stat (not os.fstat) of ``path`` return ``result``: a file changed after its check."""
    real_stat = os.stat

    def stat(target, *args, **kwargs):
        return result if os.fspath(target) == str(path) else real_stat(target, *args, **kwargs)

    monkeypatch.setattr(sources.os, "stat", stat)


def error_text(entry: Path, message: str) -> str:
    """The whole stderr of a run refused for one problem."""
    return f"neurotriage: error: 1 problem in rule set:\n{entry}: {message}\n"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "dangling symlink",
            "cannot read the file: it is a broken symbolic link (to 'nowhere.yaml')",
        ),
        ("symlink loop", "cannot read the file: its symbolic links form a loop"),
        ("directory", "cannot read the file: it is a directory, not a regular file"),
        ("named pipe", "cannot read the file: it is a named pipe (FIFO), not a regular file"),
    ],
)
def test_an_unreadable_red_flags_file_is_a_located_error(rules_dir: Path, kind: str, message: str):
    """red-flags.yaml as a broken link, a link loop, a directory or a FIFO: exit 2, named."""
    entry = replace_red_flags(rules_dir, kind)
    with time_limit(20):  # a FIFO must not be opened and waited on
        run = cli("evaluate", "--rules", rules_dir, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err == error_text(entry, message)


@pytest.mark.parametrize("name", ["red-flags.YAML", "red-flags.Yml", "red-flags.yML"])
def test_a_rule_file_with_an_upper_case_suffix_is_loaded(rules_dir: Path, name: str):
    """red-flags.YAML (any case of .yaml/.yml) is loaded: an open wound means see a doctor."""
    (rules_dir / "red-flags.yaml").rename(rules_dir / name)
    run = cli("evaluate", "--rules", rules_dir, OPEN_WOUND, "--json")
    assert run.code == 0, run.err
    assert '"verdict": "see_doctor"' in run.out
    assert '"allowed_techniques": []' in run.out


@pytest.mark.parametrize("name", [".red-flags.yaml", ".red-flags.YML", ".yaml"])
def test_a_hidden_rule_file_is_refused(rules_dir: Path, name: str):
    """A rules-directory entry named .*.yaml/.yml is refused by name, never skipped."""
    (rules_dir / "red-flags.yaml").rename(rules_dir / name)
    run = cli("evaluate", "--rules", rules_dir, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err == error_text(
        rules_dir / name,
        "hidden rule file (its name starts with '.'); "
        "rename it or move it out of the rules directory",
    )


def test_a_hidden_rule_file_is_reported_with_the_other_problems(tmp_path: Path):
    """A hidden rule file's problem comes in the same RuleError as the other files' problems."""
    write(tmp_path, {".old.yml": "rules: []\n", "a.yaml": "rules: [\n"})
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert [p.file for p in caught.value.problems] == [
        str(tmp_path / ".old.yml"),
        str(tmp_path / "a.yaml"),
    ]


def test_entries_not_named_like_rule_files_are_still_ignored(rules_dir: Path):
    """README.md, notes, .yaml.bak and a .hidden directory do not change the rule set."""
    write(rules_dir, {"README.md": "# notes\n", "old.yaml.bak": "rules: [\n"})
    (rules_dir / "notes").mkdir()
    (rules_dir / ".git").mkdir()
    os.mkfifo(rules_dir / "pipe")
    assert load_rules(rules_dir).version == load_rules(ROOT / "rules").version


def test_a_symlink_to_a_rule_file_still_loads(rules_dir: Path):
    """A symbolic link to a regular rule file is followed and loaded."""
    (rules_dir / "red-flags.yaml").unlink()
    (rules_dir / "red-flags.yaml").symlink_to(ROOT / "rules" / "red-flags.yaml")
    assert load_rules(rules_dir).version == load_rules(ROOT / "rules").version


def run_bounded(*argv: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    """``neurotriage ARGV`` in a fresh process held to 2 GiB of memory and a minute.

    Reading a device without end must fail this test, not exhaust the machine.
    """

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    return subprocess.run(
        [sys.executable, "-m", "neurotriage", *map(os.fspath, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=limit_memory,
    )


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_given_as_the_rules_is_refused_unread(device: str):
    """--rules /dev/zero is refused at once instead of being read without end."""
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    done = run_bounded("evaluate", "--rules", device, OPEN_WOUND)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == error_text(
        Path(device), "cannot read the file: it is a character device, not a regular file"
    )


def test_a_named_pipe_given_as_the_rules_is_refused_unopened(tmp_path: Path):
    """--rules FIFO is refused without waiting for a writer."""
    pipe = tmp_path / "rules.yaml"
    os.mkfifo(pipe)
    with time_limit(20):
        run = cli("evaluate", "--rules", pipe, OPEN_WOUND)
    assert run.err == error_text(
        pipe, "cannot read the file: it is a named pipe (FIFO), not a regular file"
    )


def test_a_socket_named_like_a_rule_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A Unix socket named x.yaml in a rules directory is refused as a socket."""
    with_default_catalogue(tmp_path, {})
    monkeypatch.chdir(tmp_path)  # a short relative address: socket paths have a length limit
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("x.yaml")
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'x.yaml'}: cannot read the file: it is a socket, not a regular file"
    ]


def test_a_file_swapped_for_a_pipe_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The open file is checked again: a FIFO that passed the first check is still refused."""
    with_default_catalogue(tmp_path, {})
    pipe = tmp_path / "swapped.yaml"
    os.mkfifo(pipe)
    pretend(monkeypatch, pipe, os.stat(tmp_path / "techniques.yaml"))
    with pytest.raises(RuleError) as caught, time_limit(20):
        load_rules(tmp_path)
    assert [p.message for p in caught.value.problems] == [
        "cannot read the file: it is a named pipe (FIFO), not a regular file"
    ]


def test_a_rule_file_over_the_size_limit_is_refused_unread(tmp_path: Path):
    """A rule file over 16 MiB is refused before it is parsed, naming the limit."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(sources.MAX_RULE_FILE_BYTES + 1)  # sparse: no 16 MiB written
    with pytest.raises(RuleError) as caught, time_limit(20):
        load_rules(big)
    assert str(caught.value) == (
        f"1 problem in rule set:\n{big}: the file is larger than 16 MiB, the most one rule "
        "file may hold; split it into several files"
    )


def test_a_rule_file_that_grows_after_the_check_is_cut_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A file larger than its stat said is read no further than the limit and refused."""
    monkeypatch.setattr(sources, "MAX_RULE_FILE_BYTES", 10)
    grown = write_file(tmp_path / "grown.yaml", "rules: []  # more than ten bytes\n")
    # what os.stat said before the file grew: a regular file of 5 bytes
    pretend(monkeypatch, grown, os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 5, 0, 0, 0)))
    with pytest.raises(RuleError) as caught:
        load_rules(grown)
    message = "the file is larger than 10 bytes, the most one rule file may hold"
    assert [p.message for p in caught.value.problems] == [f"{message}; split it into several files"]

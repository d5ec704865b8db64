"""Writing rule files, for every test module that puts a rule set on disk.

One way to write them, so every rule directory of the tests is written alike
(text as UTF-8, bytes as they are, directories created as needed):

- ``write(directory, {name: text})`` writes files into a directory, and
  ``write_file(path, text)`` writes one file;
- ``with_catalogue`` and ``with_default_catalogue`` add a technique catalogue
  (the small one here, or the built-in ``rules/techniques.yaml``);
- ``copy_rules`` copies a rule directory (the built-in one by default), and
  ``edit`` changes one place of a rule file;
- ``blocking_rules`` and ``write_pack`` write whole rule sets of a given shape.

The rule-file texts several modules share are here too, with ``rule_file`` to
build a one-rule file, and ``load_error`` and ``shown`` to read a load's
problems back.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from neurotriage import RuleError, RuleSet, load_rules
from tests.conftest import ROOT

__all__ = [
    "BROKEN_RULES",
    "DEFAULT_RULES",
    "ONE_TECHNIQUE",
    "PACK",
    "PACK_RULES",
    "PACK_TECHNIQUES",
    "SOAK_CATALOGUE",
    "TECHNIQUES",
    "THERAPIES",
    "TWO_FLAGS",
    "blocking_rules",
    "copy_rules",
    "default_techniques",
    "edit",
    "load_error",
    "load_unproved",
    "names",
    "rule_file",
    "shown",
    "with_catalogue",
    "with_default_catalogue",
    "write",
    "write_file",
    "write_pack",
]

#: The built-in rule directory.
DEFAULT_RULES = ROOT / "rules"

# --- texts --------------------------------------------------------------------------------


#: A therapy catalogue of one therapy.
THERAPIES = """\
therapies:
  - id: yoga
    name: Yoga
    description: Gentle stretching.
    note: Ask your doctor first.
"""

#: A technique catalogue of one technique.
ONE_TECHNIQUE = """\
techniques:
  - id: gentle_stroking
    name: Gentle stroking
    area: foot
    how_to: Stroke lightly.
    pressure_ceiling: light
"""

#: A small technique catalogue (two light techniques) for custom rule sets.
TECHNIQUES = (
    ONE_TECHNIQUE
    + """\
  - id: thumb_pressure
    name: Thumb pressure
    area: foot
    how_to: Press softly.
    pressure_ceiling: light
"""
)

#: Two red-flag rules with the same effect (open wounds, foot infection).
TWO_FLAGS = """\
rules:
  - id: wounds
    description: Open wounds rule out massage.
    when: open_wounds
    block: all
    verdict: see_doctor
  - id: infection
    description: An infection rules out massage.
    when: foot_infection
    block: all
    verdict: see_doctor
"""

#: A one-technique catalogue (a warm soak) for rule sets of one file.
SOAK_CATALOGUE = """\
techniques:
  - id: soak
    name: Warm soak
    area: whole foot
    how_to: Soak the feet in lukewarm water.
    pressure_ceiling: light
"""

#: One file that does not load: its only rule names an unknown field (line 10, column 11).
BROKEN_RULES = (
    SOAK_CATALOGUE
    + """\
rules:
  - id: bad-field
    description: A misspelt field.
    when: pain_levle >= 7
    block: all
"""
)

#: The catalogue of write_pack's packs: one technique, on the leg.
PACK_TECHNIQUES = """\
techniques:
  - {id: stroking, name: Stroking, area: leg, how_to: Stroke lightly., pressure_ceiling: light}
"""

#: write_pack's rule file: two rules on the pack's ``swollen`` field.
PACK_RULES = """\
rules:
  - id: swollen
    description: A swollen calf rules out massage.
    when: swollen
    block: all
    refer: see_doctor
    verdict: see_doctor
  - id: unknown-swollen
    description: We need to know.
    when: swollen is unknown
    block: all
    verdict: needs_answers
    ask: [swollen]
"""

#: write_pack's pack.yaml: a pack ``tiny`` with two fields and a red flag.
PACK = """\
id: tiny
version: "2.0"
title: A tiny pack
fields:
  swollen: {type: bool, question: "Is one calf swollen?"}
  age: {type: int, min: 0, max: 120}
red_flags: swollen
"""


def default_techniques() -> str:
    """The text of the built-in technique catalogue, rules/techniques.yaml."""
    return (DEFAULT_RULES / "techniques.yaml").read_text(encoding="utf-8")


def rule_file(when: str, *, effect: str = "    block: all\n", rule_id: str = "r1") -> str:
    """One rule with a one-line ``when`` on line 4 (the rule's ``id`` is on line 2)."""
    return f"rules:\n  - id: {rule_id}\n    description: A rule.\n    when: {when}\n{effect}"


def names(count: int, start: int = 0) -> list[str]:
    """``"cN" in other_conditions`` tests for ``count`` different names."""
    return [f'"c{index}" in other_conditions' for index in range(start, start + count)]


# --- writing ------------------------------------------------------------------------------


def write_file(path: Path, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, bytes as they are) to ``path``; return the path.

    The file's directory is created if needed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def write(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write each ``{name: content}`` into ``directory`` (created if needed); return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        write_file(directory / name, content)
    return directory


def with_catalogue(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` next to the small technique catalogue (TECHNIQUES)."""
    return write(directory, {"techniques.yaml": TECHNIQUES, **files})


def with_default_catalogue(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` next to a copy of the built-in technique catalogue."""
    return write(directory, {"techniques.yaml": default_techniques(), **files})


def copy_rules(
    directory: Path, files: Mapping[str, str | bytes] | None = None, *, source: Path = DEFAULT_RULES
) -> Path:
    """A copy of the rule directory ``source`` (the built-in one) with ``files`` added."""
    shutil.copytree(source, directory)
    return write(directory, files or {})


def edit(path: Path, old: str, new: str) -> Path:
    """The rule file ``path`` with the first ``old`` (which must be there) replaced by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    return write_file(path, text.replace(old, new, 1))


def blocking_rules(directory: Path, *whens: str) -> Path:
    """``directory`` with the default catalogue and one rule ``rN`` blocking all per condition."""
    rules = [
        {"id": f"r{index}", "description": "d", "when": when, "block": "all"}
        for index, when in enumerate(whens)
    ]
    text = yaml.safe_dump({"rules": rules}, width=10**9)
    return with_default_catalogue(directory, {"rules.yaml": text})


def write_pack(directory: Path, pack: str = PACK, rules: str = PACK_RULES) -> Path:
    """A pack directory: ``pack`` (dedented) as pack.yaml, PACK_TECHNIQUES and ``rules``."""
    return write(
        directory,
        {
            "pack.yaml": textwrap.dedent(pack),
            "techniques.yaml": PACK_TECHNIQUES,
            "rules.yaml": rules,
        },
    )


# --- reading problems back ----------------------------------------------------------------


def load_unproved(path: str | Path, **options: object) -> RuleSet:
    """``load_rules(path, verify=False)``: a rule set a test builds for what it is, not as a
    safe pack (a fragment, a planted fault); load_rules() would refuse to serve it."""
    return load_rules(path, verify=False, **options)  # type: ignore[arg-type]


def load_error(path: Path) -> RuleError:
    """The RuleError that loading ``path`` raises."""
    with pytest.raises(RuleError) as info:
        load_rules(path)
    return info.value


def shown(directory: Path, expected: list[str]) -> list[str]:
    """``expected`` with ``<dir>`` replaced by ``directory``."""
    return [text.replace("<dir>", str(directory)) for text in expected]

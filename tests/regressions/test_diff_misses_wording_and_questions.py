"""diff called a rewritten warning, a rewritten how-to, a new therapy and a removed ``ask`` nothing.

The four reproductions of issue 8, item 17, each on a copy of the built-in
rules, through the command line and through ``neurotriage.analysis.diff``.
Each built-in variant is diffed once per way in (about a second each).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage import default_rules, evaluate, load_rules
from neurotriage.analysis import RuleSetDiff, WordingChange, diff
from tests.clitools import Run, cli
from tests.conftest import ROOT
from tests.rulefiles import copy_rules, write_file

RULES = ROOT / "rules"

KEEP_GENTLE = (
    "Keep the pressure gentle, even if firmer feels tempting; light pressure is the safe ceiling."
)
THUMB_HOW_TO = (
    "Press softly with the thumb on one point at a time to ease muscle tension; never press hard."
)
REFLEXOLOGY = """
  - id: reflexology
    name: Reflexology
    description: Pressing hard on points of the sole.
    note: Press as hard as you like.
"""

#: name -> (file, text replaced, its replacement)
EDITS = {
    "warning-message": (
        "session.yaml",
        f"message: {KEEP_GENTLE}\n",
        "message: Press as hard as you like.\n",
    ),
    "how-to": (
        "techniques.yaml",
        (
            "      Press softly with the thumb on one point at a time to ease muscle tension;\n"
            "      never press hard.\n"
        ),
        "      Press as hard as you can with the thumb.\n",
    ),
    "new-therapy": ("therapies.yaml", "", REFLEXOLOGY),
    "removed-ask": ("unknowns.yaml", "    ask: [diabetes]\n", ""),
}

REVIEW = "a human must review every wording change: diff cannot judge text"


def variant(directory: Path, name: str) -> Path:
    """A copy of the built-in rules with edit ``name`` applied (an empty old text appends)."""
    copy_rules(directory)
    file, old, new = EDITS[name]
    path = directory / file
    text = path.read_text(encoding="utf-8")
    if old:
        assert text.count(old) == 1, f"{old!r} is not once in {file}"
        text = text.replace(old, new)
    else:
        text += new
    write_file(path, text)
    return directory


@pytest.fixture(scope="module", params=list(EDITS))
def edited(request, tmp_path_factory) -> tuple[str, Path, Run, RuleSetDiff]:
    """One variant: its name, its directory, ``neurotriage diff`` on it and diff() on it."""
    path = variant(tmp_path_factory.mktemp(request.param) / "rules", request.param)
    return request.param, path, cli("diff", RULES, path), diff(default_rules(), load_rules(path))


def header(path: Path, wording: int, *, changed: int = 0, kinds: int = 0) -> str:
    """The first two lines of the text report of ``diff rules PATH``."""
    count = "1 wording change" if wording == 1 else f"{wording} wording changes"
    kind = "1 kind" if kinds == 1 else f"{kinds} kinds"
    return (
        f"{default_rules().version} -> {load_rules(path).version}\n"
        f"{changed:,} of 104,976 classes decide differently ({kind} of change); {count}\n"
    )


#: name -> the wording changes diff() must report, in order
WORDING = {
    "warning-message": (
        WordingChange(
            "warning pressure-keep-gentle message", KEEP_GENTLE, "Press as hard as you like."
        ),
    ),
    "how-to": (
        WordingChange(
            "technique thumb_pressure how_to",
            THUMB_HOW_TO,
            "Press as hard as you can with the thumb.",
        ),
    ),
    "new-therapy": (
        WordingChange("therapy reflexology name", None, "Reflexology"),
        WordingChange(
            "therapy reflexology description", None, "Pressing hard on points of the sole."
        ),
        WordingChange("therapy reflexology note", None, "Press as hard as you like."),
    ),
    "removed-ask": (),
}

#: name -> the text report's lines after the header
BODY = {
    "warning-message": (
        "wording changed: warning pressure-keep-gentle message\n"
        f'    before: "{KEEP_GENTLE}"\n'
        '    after:  "Press as hard as you like."\n'
        f"{REVIEW}\n"
        "no decision got less safe\n"
    ),
    "how-to": (
        "wording changed: technique thumb_pressure how_to\n"
        f'    before: "{THUMB_HOW_TO}"\n'
        '    after:  "Press as hard as you can with the thumb."\n'
        f"{REVIEW}\n"
        "no decision got less safe\n"
    ),
    "new-therapy": (
        "wording changed: therapy reflexology name (added)\n"
        '    after:  "Reflexology"\n'
        "wording changed: therapy reflexology description (added)\n"
        '    after:  "Pressing hard on points of the sole."\n'
        "wording changed: therapy reflexology note (added)\n"
        '    after:  "Press as hard as you like."\n'
        f"{REVIEW}\n"
        "no decision got less safe\n"
    ),
    "removed-ask": (
        "LESS SAFE: 17,496 classes\n"
        "    question diabetes: asked -> not asked  (less safe)\n"
        "    e.g. {}\n"
        "less safe: some decisions got less safe\n"
    ),
}


def test_cli_reports_each_change_and_its_exit_code(edited):
    """``neurotriage diff`` lists the change in full; only the removed question exits 1."""
    name, path, run, _ = edited
    assert run.err == ""
    if name == "removed-ask":
        assert run.code == 1
        assert run.out == header(path, 0, changed=17_496, kinds=1) + BODY[name]
    else:
        assert run.code == 0
        assert run.out == header(path, len(WORDING[name])) + BODY[name]


def test_python_api_reports_each_change(edited):
    """diff() gives the wording changes, and the removed question as a less safe group."""
    name, path, _, result = edited
    assert result.wording == WORDING[name]
    if name == "removed-ask":
        assert result.less_safe
        [group] = result.groups
        assert [str(change) for change in group.changes] == [
            "question diabetes: asked -> not asked  (less safe)"
        ]
        assert group.count == result.changed == 17_496  # diabetes unknown, not cleared
        assert group.example.diabetes is None
        assert not group.example.cleared_by_clinician
        before = evaluate(group.example, rules=default_rules(), backend="reference")
        after = evaluate(group.example, rules=load_rules(path), backend="reference")
        assert set(before.questions) - set(after.questions) == {"diabetes"}
    else:
        assert (result.changed, result.groups, result.less_safe) == (0, (), False)

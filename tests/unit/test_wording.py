"""diff()'s wording changes: every text and catalogue entry of two rule sets, compared once.

Each case edits a small rule set (tests/fixtures/diff/base.yaml with a therapy,
sources and an invariant added) and checks the exact wording changes diff()
reports, and that the decisions themselves did not change where the edit
touches only text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neurotriage.analysis import RuleSetDiff, WordingChange, diff
from tests.clitools import cli
from tests.conftest import FIXTURES
from tests.rulefiles import load_unproved, write_file

W = WordingChange

#: base.yaml, plus what it lacks for these tests: a therapy, sources and an invariant.
OLD = (FIXTURES / "diff" / "base.yaml").read_text(encoding="utf-8").replace(
    "    warn: {code: firm, severity: caution, message: Keep the pressure light.}\n",
    (
        "    warn: {code: firm, severity: caution, message: Keep the pressure light.}\n"
        "    source: {document: article, section: Pressure}\n"
    ),
) + (
    "therapies:\n"
    "  - id: yoga_stretching\n"
    "    name: Yoga and stretching\n"
    "    description: Gentle movement.\n"
    "    note: Ask your doctor first.\n"
    "    source: {document: article, section: Therapies}\n"
    "invariants:\n"
    "  - id: wounds-allow-nothing\n"
    "    description: Open wounds allow no technique.\n"
    "    when: open_wounds\n"
    "    allowed: none\n"
    "    referral_at_least: see_doctor\n"
)

NEW_RULE = (
    "  - id: very-severe-pain\n"
    "    description: Very severe pain rules out massage too.\n"
    "    when: pain_level >= 9\n"
    "    block: all\n"
    "    refer: see_doctor\n"
    "    verdict: see_doctor\n"
    "    source: {document: article, section: Pain}\n"
)

#: name -> (text replaced in OLD, its replacement, the wording changes, whether decisions change)
EDITS: dict[str, tuple[str, str, tuple[WordingChange, ...], bool]] = {
    "version": ('version: "1.0"', 'version: "1.1"', (W("version", "1.0", "1.1"),), False),
    "technique-name": (
        "name: Thumb pressure",
        "name: Thumb press",
        (W("technique thumb_pressure name", "Thumb pressure", "Thumb press"),),
        False,
    ),
    "technique-area": (
        "area: foot\n    how_to: Press softly.",
        "area: sole\n    how_to: Press softly.",
        (W("technique thumb_pressure area", "foot", "sole"),),
        False,
    ),
    "how-to-multiline": (
        "how_to: Press softly.",
        "how_to: |\n      Press hard.\n      Then harder.",
        (W("technique thumb_pressure how_to", "Press softly.", "Press hard.\nThen harder."),),
        False,
    ),
    "therapy-note": (
        "note: Ask your doctor first.",
        "note: No need to ask anyone.",
        (W("therapy yoga_stretching note", "Ask your doctor first.", "No need to ask anyone."),),
        False,
    ),
    "therapy-removed": (
        (
            "therapies:\n  - id: yoga_stretching\n    name: Yoga and stretching\n"
            "    description: Gentle movement.\n    note: Ask your doctor first.\n"
            "    source: {document: article, section: Therapies}\n"
        ),
        "",
        (
            W("therapy yoga_stretching name", "Yoga and stretching", None),
            W("therapy yoga_stretching description", "Gentle movement.", None),
            W("therapy yoga_stretching note", "Ask your doctor first.", None),
            W("therapy yoga_stretching source document", "article", None),
            W("therapy yoga_stretching source section", "Therapies", None),
        ),
        False,
    ),
    "warning-message": (
        "message: Keep the pressure light.",
        "message: Press as hard as you like.",
        (
            W(
                "warning firm message",
                "Keep the pressure light.",
                "Press as hard as you like.",
            ),
        ),
        False,
    ),
    "severity-shown-per-class": ("severity: caution", "severity: danger", (), True),
    "rule-description": (
        "description: Firm pressure rules out thumb pressure.",
        "description: Firm pressure is fine.",
        (
            W(
                "rule firm description",
                "Firm pressure rules out thumb pressure.",
                "Firm pressure is fine.",
            ),
        ),
        False,
    ),
    "rule-added-deciding-nothing": (
        "  - id: firm\n",
        NEW_RULE + "  - id: firm\n",
        (
            W("rule very-severe-pain description", None, "Very severe pain rules out massage too."),
            W("rule very-severe-pain source document", None, "article"),
            W("rule very-severe-pain source section", None, "Pain"),
        ),
        False,
    ),
    "source-changed": (
        "section: Pressure}",
        'section: "Pressure, firm"}',
        (W("rule firm source section", "Pressure", "Pressure, firm"),),
        False,
    ),
    "source-added": (
        "    pressure_ceiling: light\nrules:\n",
        "    pressure_ceiling: light\n    source: {document: article, section: Thumbs}\nrules:\n",
        (
            W("technique thumb_pressure source document", None, "article"),
            W("technique thumb_pressure source section", None, "Thumbs"),
        ),
        False,
    ),
    "invariant-changed": (
        "    when: open_wounds\n    allowed: none\n    referral_at_least: see_doctor\n",
        (
            "    when: open_wounds and pain_level >= 7\n"
            "    allowed_only: [gentle_stroking]\n    verdict_in: [see_doctor, stop]\n"
        ),
        (
            W(
                "invariant wounds-allow-nothing when",
                "open_wounds",
                "open_wounds and pain_level >= 7",
            ),
            W("invariant wounds-allow-nothing allowed", "none", "only gentle_stroking"),
            W("invariant wounds-allow-nothing referral_at_least", "see_doctor", None),
            W("invariant wounds-allow-nothing verdict_in", None, "see_doctor, stop"),
        ),
        False,
    ),
    "invariant-added": (
        "    referral_at_least: see_doctor\n",
        (
            "    referral_at_least: see_doctor\n"
            "  - id: firm-is-warned\n    description: Firm pressure is warned.\n"
            '    when: requested_pressure == "firm"\n    warns: firm\n'
            "    not_allowed: [thumb_pressure]\n"
        ),
        (
            W("invariant firm-is-warned description", None, "Firm pressure is warned."),
            W("invariant firm-is-warned when", None, 'requested_pressure == "firm"'),
            W("invariant firm-is-warned not_allowed", None, "thumb_pressure"),
            W("invariant firm-is-warned warns", None, "firm"),
        ),
        False,
    ),
    "comment-only": ("rules:\n", "# a comment changes no wording\nrules:\n", (), False),
}


def base_file(directory: Path, text: str) -> Path:
    """``text`` written as base.yaml, the one rule file of ``directory``."""
    return write_file(directory / "base.yaml", text)


def edited(directory: Path, name: str) -> Path:
    """OLD with edit ``name`` applied, written into ``directory``."""
    old, new, _, _ = EDITS[name]
    assert OLD.count(old) == 1, f"{old!r} is not once in the old rule set"
    return base_file(directory, OLD.replace(old, new))


def old_and(tmp_path: Path, name: str) -> RuleSetDiff:
    """diff() of OLD and its edit ``name``."""
    old = base_file(tmp_path / "old", OLD)
    return diff(load_unproved(old), load_unproved(edited(tmp_path / "new", name)))


@pytest.mark.parametrize("name", list(EDITS))
def test_each_text_is_compared(tmp_path, name):
    """Each kind of text edit gives exactly its wording changes, and none is less safe."""
    _, _, wording, decides = EDITS[name]
    result = old_and(tmp_path, name)
    assert result.wording == wording
    assert (result.changed > 0) is decides
    assert not result.less_safe


def test_removed_rule_that_decided_nothing_is_listed(tmp_path):
    """A rule removed without changing any decision is still listed, with its texts."""
    with_rule = base_file(
        tmp_path / "with", OLD.replace("  - id: firm\n", NEW_RULE + "  - id: firm\n")
    )
    result = diff(load_unproved(with_rule), load_unproved(base_file(tmp_path / "old", OLD)))
    assert result.changed == 0
    assert [(w.item, w.kind) for w in result.wording] == [
        ("rule very-severe-pain description", "removed"),
        ("rule very-severe-pain source document", "removed"),
        ("rule very-severe-pain source section", "removed"),
    ]


def test_severity_no_class_shows_is_listed(tmp_path):
    """A severity change no decision can show (the warning is never given by both) is listed."""
    edit = OLD.replace(
        'when: requested_pressure == "firm"', 'when: requested_pressure == "moderate"'
    )
    new = base_file(tmp_path / "new", edit.replace("severity: caution", "severity: info"))
    result = diff(load_unproved(base_file(tmp_path / "old", OLD)), load_unproved(new))
    assert result.wording == (W("warning firm severity", "caution", "info"),)
    aspects = {change.aspect for group in result.groups for change in group.changes}
    assert "warning firm severity" not in aspects
    assert "warning firm" in aspects  # given for moderate, dropped for firm: per class


def test_new_technique_lists_every_text_and_its_ceiling(tmp_path):
    """A new technique's texts and pressure ceiling are listed; the classes show it allowed."""
    edit = OLD.replace(
        "  - id: thumb_pressure\n",
        (
            "  - id: soak\n    name: Soak\n    area: foot\n    how_to: Soak in warm water.\n"
            "    pressure_ceiling: light\n  - id: thumb_pressure\n"
        ),
    )
    result = diff(
        load_unproved(base_file(tmp_path / "old", OLD)),
        load_unproved(base_file(tmp_path / "new", edit)),
    )
    assert result.wording == (
        W("technique soak name", None, "Soak"),
        W("technique soak area", None, "foot"),
        W("technique soak how_to", None, "Soak in warm water."),
        W("technique soak pressure_ceiling", None, "light"),
    )
    assert result.less_safe  # allowed where it was not in the catalogue: the classes say so


def test_entries_come_in_section_order(tmp_path):
    """Version, techniques, therapies, warnings, rules, invariants; old entries before new."""
    edit = OLD
    for name in ("invariant-added", "rule-added-deciding-nothing", "warning-message", "version"):
        old, new, _, _ = EDITS[name]
        edit = edit.replace(old, new)
    edit = edit.replace("name: Gentle stroking", "name: Stroking")
    result = diff(
        load_unproved(base_file(tmp_path / "old", OLD)),
        load_unproved(base_file(tmp_path / "new", edit)),
    )
    assert [w.item for w in result.wording] == [
        "version",
        "technique gentle_stroking name",
        "warning firm message",
        "rule very-severe-pain description",
        "rule very-severe-pain source document",
        "rule very-severe-pain source section",
        "invariant firm-is-warned description",
        "invariant firm-is-warned when",
        "invariant firm-is-warned not_allowed",
        "invariant firm-is-warned warns",
    ]


def test_text_report_of_wording_only(tmp_path):
    """The text report counts the wording changes, shows each in full and asks for a review."""
    old = base_file(tmp_path / "old", OLD)
    edit = OLD.replace(EDITS["therapy-removed"][0], "").replace(*EDITS["how-to-multiline"][:2])
    new = base_file(tmp_path / "new", edit.replace('version: "1.0"', 'version: "1.1"'))
    run = cli("diff", old, new)
    assert (run.code, run.err) == (0, "")
    assert run.out == (
        f"{load_unproved(old).version} -> {load_unproved(new).version}\n"
        "0 of 243 classes decide differently (0 kinds of change); 7 wording changes\n"
        "wording changed: version\n"
        '    before: "1.0"\n'
        '    after:  "1.1"\n'
        "wording changed: technique thumb_pressure how_to\n"
        '    before: "Press softly."\n'
        '    after:  "Press hard.\\nThen harder."\n'
        "wording changed: therapy yoga_stretching name (removed)\n"
        '    before: "Yoga and stretching"\n'
        "wording changed: therapy yoga_stretching description (removed)\n"
        '    before: "Gentle movement."\n'
        "wording changed: therapy yoga_stretching note (removed)\n"
        '    before: "Ask your doctor first."\n'
        "wording changed: therapy yoga_stretching source document (removed)\n"
        '    before: "article"\n'
        "wording changed: therapy yoga_stretching source section (removed)\n"
        '    before: "Therapies"\n'
        "a human must review every wording change: diff cannot judge text\n"
        "no decision got less safe\n"
    )


def test_text_report_of_an_added_entry(tmp_path):
    """An added entry is marked (added) and shows only its new text."""
    old = base_file(tmp_path / "old", OLD)
    new = edited(tmp_path / "new", "source-added")
    run = cli("diff", old, new)
    assert (run.code, run.err) == (0, "")
    assert run.out.splitlines()[1:] == [
        "0 of 243 classes decide differently (0 kinds of change); 2 wording changes",
        "wording changed: technique thumb_pressure source document (added)",
        '    after:  "article"',
        "wording changed: technique thumb_pressure source section (added)",
        '    after:  "Thumbs"',
        "a human must review every wording change: diff cannot judge text",
        "no decision got less safe",
    ]


def test_json_report_lists_wording(tmp_path):
    """--format json has a "wording" list: item, before and after, null where missing."""
    old = base_file(tmp_path / "old", OLD)
    run = cli("diff", "--format", "json", old, edited(tmp_path / "new", "invariant-changed"))
    assert (run.code, run.err) == (0, "")
    data = json.loads(run.out)
    assert (data["changed"], data["groups"], data["less_safe"]) == (0, [], False)
    assert data["wording"] == [
        {
            "item": "invariant wounds-allow-nothing when",
            "before": "open_wounds",
            "after": "open_wounds and pain_level >= 7",
        },
        {
            "item": "invariant wounds-allow-nothing allowed",
            "before": "none",
            "after": "only gentle_stroking",
        },
        {
            "item": "invariant wounds-allow-nothing referral_at_least",
            "before": "see_doctor",
            "after": None,
        },
        {
            "item": "invariant wounds-allow-nothing verdict_in",
            "before": None,
            "after": "see_doctor, stop",
        },
    ]


def test_wording_change_object():
    """A WordingChange knows its kind, prints on one line with quoted texts, and as a dict."""
    changed = W("warning firm message", "Keep it light.", 'Say "hard".')
    added = W("therapy soak name", None, "Soak")
    removed = W("rule r description", "Gone.", None)
    assert [w.kind for w in (changed, added, removed)] == ["changed", "added", "removed"]
    assert str(changed) == 'warning firm message: "Keep it light." -> "Say \\"hard\\"."'
    assert str(added) == 'therapy soak name: added "Soak"'
    assert str(removed) == 'rule r description: removed "Gone."'
    assert added.as_dict() == {"item": "therapy soak name", "before": None, "after": "Soak"}

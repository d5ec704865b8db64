"""explain read as advice to drop a health condition.

For a person taking warfarin, explain suggested "other_conditions: [warfarin]
-> none => proceed", as if dropping the condition were something to do. A
change of a health fact is now only ever a what-if for clinicians; what the
person can do (get clearance, answer a question, ask for lighter pressure) is
listed apart, in the Python API too.
"""

from __future__ import annotations

from neurotriage.analysis import counterfactuals
from tests.clitools import cli, write_profile
from tests.conftest import SAFE

WARFARIN = {**SAFE, "other_conditions": ["warfarin"]}


def test_dropping_a_condition_is_never_something_to_do(tmp_path):
    """The condition appears only in the clinicians' section, as a what-if."""
    run = cli("explain", write_profile(tmp_path, WARFARIN))
    assert run.code == 0
    lines = run.out.splitlines()
    start = lines.index("What you can do:")
    split = lines.index("What would change this (for clinicians: health facts, not things to do):")
    assert lines[start + 1 : split] == [
        "  - get a doctor or physical therapist to agree to foot massage => proceed"
    ]
    assert (
        "  - if other_conditions were none instead of [warfarin] => consult_first"
        in (lines[split:])
    )
    assert "other_conditions: [warfarin] -> none" not in run.out


def test_the_api_returns_the_two_kinds_apart():
    """counterfactuals() gives actions and health facts apart; the condition is a health fact."""
    found = counterfactuals(WARFARIN)
    assert [str(c) for c in found.actions] == ["cleared_by_clinician: false -> true => proceed"]
    assert "other_conditions: [warfarin] -> none => consult_first" in [
        str(c) for c in found.health_facts
    ]
    assert all(c.kind == "health" for c in found.health_facts)

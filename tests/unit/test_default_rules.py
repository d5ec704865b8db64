"""The default rule set's semantics, one case per requirement line (issue 2, item 6)."""

from __future__ import annotations

from typing import Any

import pytest

from neurotriage import Decision, evaluate
from tests.conftest import CONDITION_FIELDS, SAFE

ALL = ["gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage"]
ALWAYS_WARNINGS = {"gentle-pressure", "stop-on-discomfort", "not-a-replacement"}
RED_FLAGS = {
    "open_wounds": ("open_wounds", True, "open-wounds"),
    "foot_infection": ("foot_infection", True, "foot-infection"),
    "pain_7": ("pain_level", 7, "severe-pain"),
    "pain_10": ("pain_level", 10, "severe-pain"),
    "symptoms_worsening": ("symptoms_worsening", True, "symptoms-worsening"),
}
CLEARANCE = {
    "diabetes": ("diabetes", True, "diabetes-extra-precautions"),
    "severe": ("neuropathy_severity", "severe", "severe-neuropathy-cleared"),
    "other_conditions": ("other_conditions", ["kidney disease"], "other-conditions-cleared"),
}


def decide(backend: str, **changes: Any) -> Decision:
    """Evaluate the safe profile with ``changes`` applied."""
    return evaluate({**SAFE, **changes}, backend=backend)


def allowed(decision: Decision) -> list[str]:
    """Allowed technique ids, in catalogue order."""
    return [item.technique for item in decision.allowed_techniques]


def codes(decision: Decision) -> set[str]:
    """The warning codes of a decision."""
    return {w.code for w in decision.warnings}


def test_not_cleared_consult_before_starting_blocks_nothing(backend):
    """Everyone not cleared is advised to consult first; that alone blocks nothing."""
    decision = decide(backend)
    assert decision.verdict == "consult_first"
    assert allowed(decision) == ALL
    assert decision.referral.level == "consult_before_starting"
    assert [r.rule_id for r in decision.referral.reasons] == ["consult-before-starting"]
    assert decision.questions == ()


def test_cleared_and_safe_has_no_referral(backend):
    """Someone cleared with nothing wrong gets everything and no referral."""
    decision = decide(backend, cleared_by_clinician=True)
    assert (decision.verdict, allowed(decision), decision.referral.level) == (
        "proceed",
        ALL,
        "none",
    )


@pytest.mark.parametrize("cleared", [False, True], ids=["not-cleared", "cleared"])
@pytest.mark.parametrize(("field", "value", "code"), RED_FLAGS.values(), ids=RED_FLAGS.keys())
def test_red_flag_blocks_everything_and_refers(backend, field, value, code, cleared):
    """A red flag blocks every technique, refers to a doctor; clearance never overrides it."""
    decision = decide(backend, **{field: value, "cleared_by_clinician": cleared})
    assert decision.verdict == "see_doctor"
    assert allowed(decision) == []
    assert [b.technique for b in decision.blocked_techniques] == ALL
    assert decision.referral.level == "see_doctor"
    assert code in codes(decision)
    warning = next(w for w in decision.warnings if w.code == code)
    assert warning.severity == "danger"


@pytest.mark.parametrize("pain", [0, 1, 5, 6])
def test_pain_below_seven_is_not_a_red_flag(backend, pain):
    """Pain 0 to 6 blocks nothing by itself (7 is the boundary)."""
    decision = decide(backend, pain_level=pain)
    assert (decision.verdict, allowed(decision)) == ("consult_first", ALL)
    assert "severe-pain" not in codes(decision)


def test_pain_boundary_six_versus_seven(backend):
    """Pain 6 (consult first, uncleared) allows everything, pain 7 sends to a doctor."""
    assert decide(backend, pain_level=6).verdict == "consult_first"
    assert decide(backend, pain_level=6, cleared_by_clinician=True).verdict == "proceed"
    assert decide(backend, pain_level=7).verdict == "see_doctor"


@pytest.mark.parametrize("cleared", [False, True], ids=["not-cleared", "cleared"])
def test_home_remedies_no_relief_refers_but_blocks_nothing(backend, cleared):
    """No relief from home remedies: see a doctor, but nothing is blocked by it."""
    decision = decide(backend, home_remedies_no_relief=True, cleared_by_clinician=cleared)
    assert decision.referral.level == "see_doctor"
    assert allowed(decision) == ALL
    assert decision.verdict == ("proceed" if cleared else "consult_first")
    assert "home-remedies-no-relief" in codes(decision)


@pytest.mark.parametrize(("field", "value", "code"), CLEARANCE.values(), ids=CLEARANCE.keys())
def test_clearance_condition_blocks_until_cleared(backend, field, value, code):
    """Diabetes, severe neuropathy, other conditions: everything blocked until cleared."""
    decision = decide(backend, **{field: value})
    assert decision.verdict == "needs_clearance"
    assert allowed(decision) == []
    assert decision.referral.level == "consult_before_starting"
    assert code not in codes(decision)


@pytest.mark.parametrize(("field", "value", "code"), CLEARANCE.values(), ids=CLEARANCE.keys())
def test_clearance_condition_once_cleared_allows_with_caution(backend, field, value, code):
    """Once cleared, all four techniques are allowed with a caution naming the reason."""
    decision = decide(backend, **{field: value, "cleared_by_clinician": True})
    assert decision.verdict == "proceed"
    assert allowed(decision) == ALL
    warning = next(w for w in decision.warnings if w.code == code)
    assert warning.severity == "caution"


def test_diabetes_caution_names_extra_precautions(backend):
    """The cleared-diabetes caution tells the person to take extra precautions."""
    decision = decide(backend, diabetes=True, cleared_by_clinician=True)
    warning = next(w for w in decision.warnings if w.code == "diabetes-extra-precautions")
    assert "extra precautions" in warning.message
    assert warning.rule_id == "diabetes-cleared-precautions"


@pytest.mark.parametrize("severity", ["mild", "moderate"])
def test_milder_neuropathy_needs_no_clearance(backend, severity):
    """Mild and moderate neuropathy block nothing."""
    assert allowed(decide(backend, neuropathy_severity=severity)) == ALL


@pytest.mark.parametrize("cleared", [False, True], ids=["not-cleared", "cleared"])
def test_sharp_pain_stops_without_raising_referral(backend, cleared):
    """Sharp pain during massage blocks everything, verdict stop, referral unchanged."""
    before = decide(backend, cleared_by_clinician=cleared)
    decision = decide(backend, sharp_pain_during_massage=True, cleared_by_clinician=cleared)
    assert decision.verdict == "stop"
    assert allowed(decision) == []
    assert decision.referral.level == before.referral.level
    assert "sharp-pain-stop" in codes(decision)


def test_moderate_pressure_adds_a_caution_only(backend):
    """Moderate pressure: a caution to keep it gentle; nothing blocked; ceiling stays light."""
    decision = decide(backend, requested_pressure="moderate")
    warning = next(w for w in decision.warnings if w.code == "pressure-keep-gentle")
    assert warning.severity == "caution"
    assert "pressure-firm-harmful" not in codes(decision)
    assert allowed(decision) == ALL
    assert {t.pressure_ceiling for t in decision.allowed_techniques} == {"light"}


def test_firm_pressure_adds_a_danger_warning_only(backend):
    """Firm pressure: a danger warning about nerve pain and damage; nothing blocked."""
    decision = decide(backend, requested_pressure="firm")
    warning = next(w for w in decision.warnings if w.code == "pressure-firm-harmful")
    assert warning.severity == "danger"
    assert "nerve pain" in warning.message
    assert "damage" in warning.message
    assert allowed(decision) == ALL
    assert {t.pressure_ceiling for t in decision.allowed_techniques} == {"light"}


@pytest.mark.parametrize(
    "changes",
    [{}, {"open_wounds": True}, {"sharp_pain_during_massage": True}, {"pain_level": None}],
    ids=["safe", "red-flag", "stop", "unknown"],
)
def test_always_on_advice_and_therapies(backend, changes):
    """Gentle pressure, stop on pain, not a replacement; three therapies with a note."""
    decision = decide(backend, **changes)
    assert codes(decision) >= ALWAYS_WARNINGS
    therapies = decision.complementary_therapies
    assert [t.therapy for t in therapies] == ["acupuncture", "yoga_stretching", "physical_therapy"]
    assert all("doctor" in t.note.lower() for t in therapies)


@pytest.mark.parametrize("cleared", [False, True], ids=["not-cleared", "cleared"])
@pytest.mark.parametrize(
    "field", ["open_wounds", "foot_infection", "pain_level", "symptoms_worsening"]
)
def test_unknown_red_flag_blocks_pending_the_answer(backend, field, cleared):
    """An unknown red-flag field blocks everything (needs_answers) and becomes a question."""
    known = decide(backend, cleared_by_clinician=cleared)
    decision = decide(backend, **{field: None, "cleared_by_clinician": cleared})
    assert decision.verdict == "needs_answers"
    assert allowed(decision) == []
    assert decision.questions == (field,)
    assert decision.referral.level == known.referral.level


@pytest.mark.parametrize("field", ["diabetes", "neuropathy_severity", "other_conditions"])
def test_unknown_clearance_field_blocks_when_not_cleared(backend, field):
    """An unknown clearance condition blocks everything for someone not cleared."""
    decision = decide(backend, **{field: None})
    assert decision.verdict == "needs_answers"
    assert allowed(decision) == []
    assert decision.questions == (field,)
    assert decision.referral.level == "consult_before_starting"


@pytest.mark.parametrize("field", ["diabetes", "neuropathy_severity", "other_conditions"])
def test_unknown_clearance_field_once_cleared_is_asked_not_blocking(backend, field):
    """Once cleared, an unknown clearance condition blocks nothing but is still asked."""
    decision = decide(backend, **{field: None, "cleared_by_clinician": True})
    assert decision.verdict == "proceed"
    assert allowed(decision) == ALL
    assert decision.questions == (field,)
    assert decision.referral.level == "none"


def test_unknown_home_remedies_is_asked_only(backend):
    """Unknown home-remedy relief blocks nothing but is listed in questions."""
    decision = decide(backend, home_remedies_no_relief=None)
    assert (decision.verdict, allowed(decision)) == ("consult_first", ALL)
    assert decision.questions == ("home_remedies_no_relief",)
    assert decision.referral.level == "consult_before_starting"


def test_empty_profile_asks_every_question_without_raising_referral(backend):
    """Nothing known: everything blocked, every condition asked, referral only consult."""
    decision = evaluate({}, backend=backend)
    assert decision.verdict == "needs_answers"
    assert allowed(decision) == []
    assert decision.referral.level == "consult_before_starting"
    assert decision.questions == tuple(CONDITION_FIELDS)


def test_known_red_flag_wins_over_unknowns(backend):
    """A known red flag gives see_doctor even with other answers missing."""
    decision = evaluate({"open_wounds": True}, backend=backend)
    assert decision.verdict == "see_doctor"
    assert decision.referral.level == "see_doctor"
    assert "open_wounds" not in decision.questions
    assert "pain_level" in decision.questions


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({"sharp_pain_during_massage": True, "open_wounds": True}, "stop"),
        ({"open_wounds": True, "diabetes": True}, "see_doctor"),
        ({"diabetes": True, "pain_level": None}, "needs_clearance"),
        ({"pain_level": None}, "needs_answers"),
        ({}, "consult_first"),
        ({"cleared_by_clinician": True}, "proceed"),
    ],
    ids=[
        "stop>see_doctor",
        "see_doctor>needs_clearance",
        "needs_clearance>needs_answers",
        "needs_answers>consult_first",
        "consult_first>proceed",
        "proceed",
    ],
)
def test_verdict_precedence(backend, changes, verdict):
    """stop > see_doctor > needs_clearance > needs_answers > consult_first > proceed."""
    assert decide(backend, **changes).verdict == verdict


def test_blocked_technique_lists_every_reason(backend):
    """A technique blocked by several rules lists each rule and message."""
    decision = decide(backend, open_wounds=True, diabetes=True, pain_level=None)
    reasons = decision.blocked_techniques[0].reasons
    assert [r.rule_id for r in reasons] == [
        "diabetes-needs-clearance",
        "red-flag-open-wounds",
        "unknown-pain-level",
    ]
    assert all(r.message for r in reasons)


def test_warnings_ordered_by_severity_then_code(backend):
    """Warnings come danger first, then caution, then info; by code within a severity."""
    decision = decide(backend, open_wounds=True, requested_pressure="firm")
    order = {"danger": 0, "caution": 1, "info": 2}
    keys = [(order[w.severity], w.code) for w in decision.warnings]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys))


def test_decision_json_round_trips(backend):
    """A Decision survives model_dump_json / model_validate_json unchanged."""
    decision = decide(backend, diabetes=True, pain_level=None, requested_pressure="firm")
    assert Decision.model_validate_json(decision.model_dump_json()) == decision

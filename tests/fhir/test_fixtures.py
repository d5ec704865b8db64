"""The hand-written FHIR Bundles of tests/fixtures/fhir and the decisions they must lead to."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle

from neurotriage import default_rules, evaluate
from neurotriage.fhir import profile_from_fhir, questionnaire
from tests.conftest import CONDITION_FIELDS
from tests.fhirtools import FHIR_FIXTURES, fixture

EVERY_TECHNIQUE = ["gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage"]

#: Each fixture: the fields it answers (and from what), then the decision it must lead to.
EXPECTED = {
    "diabetic-foot-ulcer": {
        "answered": {
            "diabetes": (True, ("Condition/diabetes", "Condition/ulcer")),
            "open_wounds": (True, ("Condition/ulcer",)),
        },
        "verdict": "see_doctor",
        "blocked": EVERY_TECHNIQUE,
        "questions": [
            "neuropathy_severity",
            "pain_level",
            "symptoms_worsening",
            "foot_infection",
            "home_remedies_no_relief",
            "other_conditions",
        ],
    },
    "no-conditions": {
        "answered": {},
        "verdict": "needs_answers",
        "blocked": EVERY_TECHNIQUE,
        "questions": list(CONDITION_FIELDS),
    },
    "pain-8": {
        "answered": {"pain_level": (8, ("Observation/pain-new",))},
        "verdict": "see_doctor",
        "blocked": EVERY_TECHNIQUE,
        "questions": [name for name in CONDITION_FIELDS if name != "pain_level"],
    },
    "refuted-infection": {
        "answered": {
            "diabetes": (True, ("Condition/diabetes",)),
            "foot_infection": (False, ("Condition/infection",)),
        },
        "verdict": "needs_clearance",
        "blocked": EVERY_TECHNIQUE,
        "questions": [
            "neuropathy_severity",
            "pain_level",
            "symptoms_worsening",
            "open_wounds",
            "home_remedies_no_relief",
            "other_conditions",
        ],
    },
    "answers-every-question": {
        "answered": {
            "diabetes": (False, ("QuestionnaireResponse/answers",)),
            "neuropathy_severity": ("mild", ("QuestionnaireResponse/answers",)),
            "pain_level": (2, ("QuestionnaireResponse/answers",)),
            "symptoms_worsening": (False, ("QuestionnaireResponse/answers",)),
            "open_wounds": (False, ("QuestionnaireResponse/answers",)),
            "foot_infection": (False, ("QuestionnaireResponse/answers",)),
            "home_remedies_no_relief": (False, ("QuestionnaireResponse/answers",)),
            "other_conditions": ([], ("QuestionnaireResponse/answers",)),
            "cleared_by_clinician": (True, ("QuestionnaireResponse/answers",)),
            "sharp_pain_during_massage": (False, ("QuestionnaireResponse/answers",)),
            "requested_pressure": ("light", ("QuestionnaireResponse/answers",)),
        },
        "verdict": "proceed",
        "blocked": [],
        "questions": [],
    },
}


def test_every_fixture_has_its_expectation():
    """Each Bundle in tests/fixtures/fhir is checked here, and each expectation has its Bundle."""
    assert sorted(p.stem for p in FHIR_FIXTURES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_profile_and_decision(name):
    """The fixture's profile answers exactly the expected fields; evaluate() decides as expected."""
    expected = EXPECTED[name]
    result = profile_from_fhir(fixture(name))
    answered = {
        field: (getattr(result.profile, field), result.sources[field]) for field in result.sources
    }
    assert answered == expected["answered"]
    for field in CONDITION_FIELDS:  # nothing else is known: absence never means False
        if field not in expected["answered"]:
            assert getattr(result.profile, field) is None
    assert result.conflicts == ()
    decision = evaluate(result.profile)
    assert decision.verdict == expected["verdict"]
    assert [t.technique for t in decision.blocked_techniques] == expected["blocked"]
    assert list(decision.questions) == expected["questions"]


def test_the_answers_fixture_answers_every_question_of_the_default_pack():
    """The QuestionnaireResponse fixture has one item per item of the pack's Questionnaire."""
    asked = [item["linkId"] for item in questionnaire(default_rules())["item"]]
    response = fixture("answers-every-question")["entry"][0]["resource"]
    assert [item["linkId"] for item in response["item"]] == asked


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bundle_model_reads_like_its_json(name):
    """A fhir.resources Bundle model of the fixture gives the same profile as its JSON."""
    model = Bundle.model_validate(fixture(name))
    one, other = profile_from_fhir(model), profile_from_fhir(fixture(name))
    assert (one.profile, dict(one.sources)) == (other.profile, dict(other.sources))

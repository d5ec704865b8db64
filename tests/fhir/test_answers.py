"""profile_from_fhir() on QuestionnaireResponses: answers by linkId = field name, for any pack."""

from __future__ import annotations

import pytest

from neurotriage import default_rules
from neurotriage.fhir import FhirError, profile_from_fhir
from tests.fhirtools import answers, bundle, condition

OURS = "urn:neurotriage:questionnaire:foot-massage-for-neuropathy"


def read(*resources, **options):
    return profile_from_fhir(bundle(*resources), **options)


def test_each_kind_of_answer():
    """valueBoolean, valueInteger, valueCoding.code or valueString, and names for a list."""
    result = read(
        answers(
            ("diabetes", [{"valueBoolean": True}]),
            ("pain_level", [{"valueInteger": 4}]),
            ("neuropathy_severity", [{"valueCoding": {"code": "moderate"}}]),
            ("requested_pressure", [{"valueString": "firm"}]),
            ("other_conditions", [{"valueString": "Gout"}, {"valueString": "asthma"}]),
        )
    )
    profile = result.profile
    assert (profile.diabetes, profile.pain_level) == (True, 4)
    assert (profile.neuropathy_severity, profile.requested_pressure) == ("moderate", "firm")
    assert profile.other_conditions == ["asthma", "gout"]
    assert set(result.sources) == {
        "diabetes",
        "pain_level",
        "neuropathy_severity",
        "requested_pressure",
        "other_conditions",
    }
    assert result.sources["diabetes"] == ("QuestionnaireResponse/q1",)


def test_an_explicit_no_is_no():
    """Only an explicit answer says False for a hazard field; 'none' gives the empty list."""
    result = read(
        answers(
            ("open_wounds", [{"valueBoolean": False}]),
            ("other_conditions", [{"valueCoding": {"code": "none"}}]),
        )
    )
    assert (result.profile.open_wounds, result.profile.other_conditions) == (False, [])


def test_an_item_without_answer_stays_unknown():
    """An item with no answer (skipped) leaves its field unknown."""
    result = read(answers(("open_wounds", [])))
    assert result.profile.open_wounds is None
    assert dict(result.sources) == {}


@pytest.mark.parametrize("status", ["in-progress", "stopped", "entered-in-error"])
def test_answers_not_completed_say_nothing(status):
    """Only completed and amended responses count."""
    result = read(answers(("open_wounds", [{"valueBoolean": False}]), status=status))
    assert result.profile.open_wounds is None


def test_nested_items_are_read():
    """Items inside a group, and items under an answer, are read by linkId too."""
    response = answers()
    response["item"] = [
        {
            "linkId": "feet",
            "item": [{"linkId": "open_wounds", "answer": [{"valueBoolean": False}]}],
        },
        {
            "linkId": "diabetes",
            "answer": [
                {
                    "valueBoolean": True,
                    "item": [
                        {"linkId": "neuropathy_severity", "answer": [{"valueString": "mild"}]}
                    ],
                }
            ],
        },
    ]
    profile = read(response).profile
    assert (profile.open_wounds, profile.diabetes, profile.neuropathy_severity) == (
        False,
        True,
        "mild",
    )


def test_an_answer_against_a_condition_takes_the_riskier():
    """'No open wounds' against an active foot ulcer Condition: yes, and the card says so."""
    result = read(
        condition("95345008", id="ulcer"), answers(("open_wounds", [{"valueBoolean": False}]))
    )
    assert result.profile.open_wounds is True
    assert result.sources["open_wounds"] == ("Condition/ulcer",)
    assert "QuestionnaireResponse/q1 (an answer) says no" in result.conflicts[0]


def test_a_clearance_in_doubt_is_not_a_clearance():
    """Two answers on a relaxing field that disagree: False, the riskier for a clearance."""
    result = read(
        answers(("cleared_by_clinician", [{"valueBoolean": True}]), id="a"),
        answers(("cleared_by_clinician", [{"valueBoolean": False}]), id="b"),
    )
    assert result.profile.cleared_by_clinician is False
    assert result.sources["cleared_by_clinician"] == ("QuestionnaireResponse/b",)
    assert "Taken: no (from QuestionnaireResponse/b)" in result.conflicts[0]


def test_lists_that_differ_are_joined():
    """Two lists of conditions: all of them together, the riskier, with a sentence."""
    result = read(
        answers(("other_conditions", [{"valueString": "gout"}]), id="a"),
        answers(("other_conditions", [{"valueCoding": {"code": "none"}}]), id="b"),
        answers(("other_conditions", [{"valueString": "Gout"}]), id="c"),
    )
    assert result.profile.other_conditions == ["gout"]
    assert result.conflicts[0].endswith("because it is all of them together, the riskier value.")


def test_answers_work_for_any_pack():
    """The clinical pack's own fields are answered by their names."""
    rules = default_rules("neuropathy-foot-care")
    result = read(
        answers(("dvt_signs", [{"valueBoolean": False}]), ("fever", [{"valueBoolean": True}])),
        rules=rules,
    )
    assert (result.profile.dvt_signs, result.profile.fever) == (False, True)


def test_an_unknown_link_in_our_questionnaire_is_an_error():
    """Answers to this pack's Questionnaire must be its fields: a misspelt linkId is an error."""
    response = answers(("open_wound", [{"valueBoolean": False}]), questionnaire=OURS + "|1")
    with pytest.raises(FhirError) as caught:
        read(response)
    assert str(caught.value) == (
        "QuestionnaireResponse/q1 item[0].linkId: 'open_wound' is no question of " + OURS
    )


def test_another_questionnaires_items_are_ignored():
    """A response to another questionnaire (a PHQ-9) answers only the linkIds that are fields."""
    other = answers(
        ("phq9-1", [{"valueInteger": 2}]),
        ("diabetes", [{"valueBoolean": True}]),
        questionnaire="http://example.org/Questionnaire/phq-9",
    )
    assert read(other).profile.diabetes is True


@pytest.mark.parametrize(
    ("link", "answer", "message"),
    [
        (
            "open_wounds",
            {"valueString": "no"},
            "item[0].answer[0].valueString: open_wounds is answered by valueBoolean",
        ),
        (
            "pain_level",
            {"valueInteger": 11},
            "item[0].answer[0].valueInteger: 11 is above 10",
        ),
        (
            "pain_level",
            {"valueBoolean": True},
            "item[0].answer[0].valueBoolean: pain_level is answered by valueInteger",
        ),
        (
            "neuropathy_severity",
            {"valueCoding": {"code": "very"}},
            (
                "item[0].answer[0].valueCoding.code: 'very' is not one of mild, moderate, "
                "severe (neuropathy_severity)"
            ),
        ),
        (
            "other_conditions",
            {"valueCoding": {"code": "gout"}},
            "item[0].answer[0].valueCoding.code: the only code for other_conditions is 'none'",
        ),
        (
            "other_conditions",
            {"valueString": "   "},
            "item[0].answer[0].valueString: the name is blank; name the condition or leave it out",
        ),
    ],
)
def test_a_bad_answer_names_the_element(link, answer, message):
    """An answer of the wrong type or out of the field's domain is an error naming its path."""
    with pytest.raises(FhirError) as caught:
        read(answers((link, [answer])))
    assert str(caught.value) == f"QuestionnaireResponse/q1 {message}"


def test_two_answers_to_a_single_question_is_an_error():
    """A bool question takes one answer."""
    with pytest.raises(FhirError, match=r"item\[0\]\.answer: diabetes takes one answer, not 2$"):
        read(answers(("diabetes", [{"valueBoolean": True}, {"valueBoolean": False}])))


def test_none_with_names_is_an_error():
    """'none' with a name beside it contradicts itself."""
    with pytest.raises(FhirError, match=r"'none' is the only answer when it is given$"):
        read(
            answers(
                ("other_conditions", [{"valueCoding": {"code": "none"}}, {"valueString": "gout"}])
            )
        )

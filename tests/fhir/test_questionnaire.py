"""questionnaire(): an R4 Questionnaire for the open questions, and the answers coming back."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from neurotriage import default_rules, evaluate
from neurotriage.fhir import profile_from_fhir, questionnaire
from tests.fhirtools import bundle, condition, fixture


def test_a_decisions_open_questions():
    """For a decision, one item per open question, in its order, with the pack's texts."""
    decision = evaluate(profile_from_fhir(fixture("diabetic-foot-ulcer")).profile)
    result = questionnaire(decision)
    Questionnaire.model_validate(result)  # a valid R4 Questionnaire
    assert json.loads(json.dumps(result)) == result  # plain JSON
    assert [item["linkId"] for item in result["item"]] == list(decision.questions)
    fields = default_rules().pack.fields
    assert all(item["text"] == fields[item["linkId"]].question for item in result["item"])
    assert {k: result[k] for k in ("resourceType", "url", "version", "name", "status")} == {
        "resourceType": "Questionnaire",
        "url": "urn:neurotriage:questionnaire:foot-massage-for-neuropathy",
        "version": "2026.11.0",
        "name": "FootMassageForNeuropathy",
        "status": "active",
    }


def test_items_by_kind():
    """boolean, integer with SDC bounds, choice with the pack's values, open-choice for names."""
    items = {item["linkId"]: item for item in questionnaire(default_rules())["item"]}
    assert items["open_wounds"] == {
        "linkId": "open_wounds",
        "text": "Do you have any open wounds on your feet?",
        "type": "boolean",
    }
    assert items["pain_level"]["type"] == "integer"
    assert items["pain_level"]["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
    ]
    assert items["neuropathy_severity"]["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in items["neuropathy_severity"]["answerOption"]] == [
        "mild",
        "moderate",
        "severe",
    ]
    assert items["other_conditions"]["type"] == "open-choice"
    assert items["other_conditions"]["repeats"] is True
    assert list(items) == list(default_rules().pack.fields)  # every field has a question


def test_every_pack_gives_a_valid_questionnaire():
    """The clinical pack's Questionnaire is valid R4 and asks each of its fields."""
    rules = default_rules("neuropathy-foot-care")
    result = questionnaire(rules)
    Questionnaire.model_validate(result)
    assert [item["linkId"] for item in result["item"]] == list(rules.pack.fields)
    assert result["name"] == "NeuropathyFootCare"
    assert result["version"] == rules.pack.version


def test_no_open_question_gives_no_items():
    """A decision with nothing left to ask gives a Questionnaire with no item (still valid)."""
    decision = evaluate(profile_from_fhir(fixture("answers-every-question")).profile)
    result = questionnaire(decision)
    Questionnaire.model_validate(result)
    assert "item" not in result


def test_a_decision_needs_the_rules_that_made_it():
    """A decision of the clinical pack with the default rules is refused: the questions differ."""
    rules = default_rules("neuropathy-foot-care")
    decision = evaluate({}, rules=rules)
    with pytest.raises(ValueError, match="pass the rules that made it"):
        questionnaire(decision)
    assert len(questionnaire(decision, rules=rules)["item"]) == len(decision.questions)
    with pytest.raises(TypeError, match="Decision or a RuleSet"):
        questionnaire({})


def test_round_trip_answers_every_question():
    """Answer every item of the Questionnaire with its safe value: the decision proceeds."""
    safe = {"boolean": {"valueBoolean": False}, "integer": {"valueInteger": 1}}
    items = questionnaire(default_rules())["item"]
    response_items = []
    for item in items:
        if item["linkId"] == "cleared_by_clinician":
            answer = {"valueBoolean": True}
        elif item["type"] in safe:
            answer = safe[item["type"]]
        else:
            answer = {"valueCoding": item["answerOption"][0]["valueCoding"]}
        response_items.append({"linkId": item["linkId"], "answer": [answer]})
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": "r1",
        "questionnaire": questionnaire(default_rules())["url"],
        "status": "completed",
        "item": response_items,
    }
    result = profile_from_fhir(bundle(response))
    assert evaluate(result.profile).verdict == "proceed"
    assert set(result.sources) == {item["linkId"] for item in items}


def test_round_trip_from_a_record_to_its_questions_and_back():
    """A record's open questions, answered, close: nothing is left to ask and the record stays."""
    record = [condition("44054006", id="dm")]
    first = evaluate(profile_from_fhir(bundle(*record)).profile)
    asked = questionnaire(first)["item"]
    assert "diabetes" not in [item["linkId"] for item in asked]
    answered = {
        "resourceType": "QuestionnaireResponse",
        "id": "r1",
        "status": "completed",
        "item": [
            {
                "linkId": item["linkId"],
                "answer": [
                    {"valueBoolean": False}
                    if item["type"] == "boolean"
                    else {"valueInteger": 3}
                    if item["type"] == "integer"
                    else {"valueCoding": item["answerOption"][0]["valueCoding"]}
                ],
            }
            for item in asked
        ],
    }
    second = profile_from_fhir(bundle(*record, answered))
    decision = evaluate(second.profile)
    assert decision.questions == ()
    assert decision.verdict == "needs_clearance"  # diabetes, not cleared yet
    assert second.sources["diabetes"] == ("Condition/dm",)

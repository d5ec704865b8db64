"""The CDS Hooks service, over real HTTP: discovery, one card per call, its indicator and text."""

from __future__ import annotations

import uuid

import pytest

from neurotriage import default_rules, evaluate
from neurotriage.server import MAX_SUMMARY, card
from tests.conftest import SAFE
from tests.fhirtools import condition, pain
from tests.servers import first_of_each_verdict, hook_call

HOOK_URL = "/cds-services/foot-massage-triage"
RULES = default_rules()
BY_VERDICT = first_of_each_verdict(RULES)
#: The indicator of each verdict (the issue's mapping, spelled out).
EXPECTED_INDICATOR = {
    "stop": "critical",
    "see_doctor": "critical",
    "needs_clearance": "warning",
    "needs_answers": "warning",
    "consult_first": "warning",
    "proceed": "info",
}
DIABETIC_FOOT_ULCER = "371087003"  # SNOMED CT, in neurotriage.fhir's code table for open_wounds


def test_discovery_describes_the_one_service(client):
    """GET /cds-services: one patient-view service with its id, texts and four prefetches."""
    answer = client.get("/cds-services")
    assert answer.status_code == 200
    (service,) = answer.json()["services"]
    assert service["id"] == "foot-massage-triage"
    assert service["hook"] == "patient-view"
    assert service["title"]
    assert service["description"]
    assert service["prefetch"] == {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
        "observations": "Observation?patient={{context.patientId}}"
        "&code=http://loinc.org|72514-3&_sort=-date&_count=1",
        "questionnaire": "QuestionnaireResponse?patient={{context.patientId}}"
        "&_sort=-authored&_count=1",
    }


def test_the_default_pack_gives_every_verdict():
    """The cases below cover every verdict (so each indicator is seen over HTTP)."""
    assert set(BY_VERDICT) == set(EXPECTED_INDICATOR)


@pytest.mark.parametrize("verdict", sorted(EXPECTED_INDICATOR))
def test_each_verdict_gets_its_card(client, verdict):
    """One card: the indicator of its verdict, the plain-words summary, the pack as source."""
    profile = BY_VERDICT[verdict]
    answer = client.post(HOOK_URL, json=hook_call("pat-1", profile=profile))
    assert answer.status_code == 200, answer.text
    (got,) = answer.json()["cards"]
    expected = evaluate(profile, rules=RULES)
    assert expected.verdict == verdict
    assert got["indicator"] == EXPECTED_INDICATOR[verdict]
    assert got["summary"] == card(expected, RULES, card_id=got["uuid"]).summary
    assert len(got["summary"]) <= MAX_SUMMARY
    assert f"**Verdict: `{verdict}`**" in got["detail"]
    assert got["source"] == {"label": "Foot massage for neuropathy 2026.11.0"}  # no url
    assert uuid.UUID(got["uuid"]).version == 4


def test_the_card_detail_says_how_and_why(client):
    """Allowed techniques with their how-to, blocked ones with reasons, warnings."""
    profile = BY_VERDICT["proceed"]
    decision = evaluate(profile, rules=RULES)
    (got,) = client.post(HOOK_URL, json=hook_call("pat-1", profile=profile)).json()["cards"]
    for technique in decision.allowed_techniques:
        assert f"**{technique.name}** (`{technique.technique}`)" in got["detail"]
        assert technique.how_to.split()[0] in got["detail"]
    for warning in decision.warnings:
        assert f"(`{warning.code}`)" in got["detail"]
    blocked = client.post(HOOK_URL, json=hook_call("pat-1", profile=BY_VERDICT["see_doctor"]))
    (stopped,) = blocked.json()["cards"]
    assert "**Allowed techniques:** none" in stopped["detail"]
    assert "**Blocked techniques**" in stopped["detail"]


def test_open_questions_are_listed_and_offered_as_a_questionnaire(client):
    """With nothing answered, the card asks each question in words and suggests a Questionnaire."""
    (got,) = client.post(HOOK_URL, json=hook_call("pat-2")).json()["cards"]
    assert got["indicator"] == "warning"
    assert "**Open questions**" in got["detail"]
    assert "- Do you have diabetes? (`diabetes`)" in got["detail"]
    (suggestion,) = got["suggestions"]
    (action,) = suggestion["actions"]
    assert action["type"] == "create"
    assert action["resource"]["resourceType"] == "Questionnaire"
    asked = {item["linkId"] for item in action["resource"]["item"]}
    assert "diabetes" in asked
    assert got["selectionBehavior"] == "at-most-one"


def test_a_decision_without_questions_suggests_nothing(client):
    """Every answer that matters given: no suggestion, no selection behaviour."""
    profile = SAFE
    assert evaluate(profile, rules=RULES).questions == ()
    (got,) = client.post(HOOK_URL, json=hook_call("pat-1", profile=profile)).json()["cards"]
    assert "suggestions" not in got
    assert "selectionBehavior" not in got


def test_the_record_overrides_a_reassuring_answer_and_says_so(client):
    """An active ulcer on the problem list beats the answer 'no open wounds'; the card says why."""
    call = hook_call(
        "pat-1",
        profile=BY_VERDICT["proceed"],
        conditions=[condition(DIABETIC_FOOT_ULCER, subject={"reference": "Patient/pat-1"})],
    )
    answer = client.post(HOOK_URL, json=call)
    assert answer.status_code == 200, answer.text
    (got,) = answer.json()["cards"]
    assert got["indicator"] == "critical"
    assert "**The records disagree**" in got["detail"]


def test_a_pain_score_in_the_record_counts(client):
    """The newest pain Observation of 8 is a red flag: critical, whatever the answers."""
    call = hook_call(
        "pat-1",
        profile=BY_VERDICT["proceed"],
        observations=[pain(8, subject={"reference": "Patient/pat-1"})],
    )
    (got,) = client.post(HOOK_URL, json=call).json()["cards"]
    assert got["indicator"] == "critical"


def test_the_openapi_document_comes_from_the_models(client):
    """/openapi.json describes each route by its models; /docs serves the page that shows it."""
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"HookRequest", "CdsResponse", "Card", "Decision", "Profile", "FeedbackRequest"} <= set(
        schemas
    )
    evaluate_body = document["paths"]["/evaluate"]["post"]["requestBody"]["content"]
    assert evaluate_body["application/json"]["schema"] == {"$ref": "#/components/schemas/Profile"}
    assert set(schemas["Profile"]["properties"]) == set(RULES.pack.fields)
    hook = document["paths"][HOOK_URL]["post"]
    assert set(hook["responses"]) >= {"200", "400", "412"}
    assert client.get("/docs").status_code == 200

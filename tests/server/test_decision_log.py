"""What the live server logs: every decision, feedback joined on it, no health data."""

from __future__ import annotations

import uuid

from neurotriage import default_rules, evaluate
from tests.servers import first_of_each_verdict, hook_call, patient_hash

HOOK_URL = "/cds-services/foot-massage-triage"
FEEDBACK_URL = f"{HOOK_URL}/feedback"
RULES = default_rules()
#: A distinctive patient id and condition name, to look for in the log.
PATIENT = "patient-8c1d-Ada-Lovelace"
CONDITION = "Distinctive-condition-Qx7"


def profile_with_distinctive_values():
    proceed = first_of_each_verdict(RULES)["proceed"]
    return proceed.model_copy(update={"other_conditions": [CONDITION], "pain_level": 3})


def test_each_hook_decision_is_one_line_keyed_by_the_card(client, server):
    """The card's uuid is the log line's id; the line says pack, verdict, rules, hashed patient."""
    profile = profile_with_distinctive_values()
    answer = client.post(HOOK_URL, json=hook_call(PATIENT, profile=profile))
    assert answer.status_code == 200, answer.text
    (got,) = answer.json()["cards"]
    (line,) = server.logged(got["uuid"])
    decision = evaluate(profile, rules=RULES)
    assert line["event"] == "decision"
    assert (line["pack"], line["pack_version"]) == ("foot-massage-for-neuropathy", "2026.11.0")
    assert line["verdict"] == decision.verdict
    assert line["fired_rules"] == list(decision.fired_rules)
    assert line["patient"] == patient_hash(PATIENT)
    assert line["via"] == "cds-hooks"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


def test_no_profile_value_and_no_name_reaches_the_log(client, server):
    """Neither the patient id, nor a condition's name, nor any value of the profile is logged."""
    profile = profile_with_distinctive_values()
    client.post(HOOK_URL, json=hook_call(PATIENT, profile=profile))
    client.post("/evaluate", json=profile.model_dump())
    text = server.log.read_text(encoding="utf-8")
    assert PATIENT not in text
    assert "Lovelace" not in text
    assert CONDITION not in text
    for line in server.log_lines():
        assert set(line) <= {
            "event",
            "id",
            "time",
            "pack",
            "pack_version",
            "verdict",
            "fired_rules",
            "verified",
            "patient",
            "duration_ms",
            "via",
            "outcome",
            "override_reason",
            "override_system",
            "accepted_suggestions",
        }
        assert not {"pain_level", "other_conditions", "diabetes", "open_wounds"} & set(line)


def test_evaluate_decisions_are_logged_with_their_id_header(client, server):
    """POST /evaluate answers with X-Decision-Id, the id of its log line (no patient)."""
    answer = client.post("/evaluate", json={"open_wounds": True})
    decision_id = answer.headers["x-decision-id"]
    (line,) = server.logged(decision_id)
    assert (line["via"], line["verdict"], line["patient"]) == ("evaluate-api", "see_doctor", None)


def test_feedback_is_stored_and_joins_on_the_card(client, server):
    """accepted and overridden feedback: 200, one line each with the card's id, no comment."""
    (first,) = client.post(HOOK_URL, json=hook_call(PATIENT)).json()["cards"]
    (second,) = client.post(HOOK_URL, json=hook_call(PATIENT)).json()["cards"]
    answer = client.post(
        FEEDBACK_URL,
        json={
            "feedback": [
                {
                    "card": first["uuid"],
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": first["suggestions"][0]["uuid"]}],
                    "outcomeTimestamp": "2026-12-03T12:00:00Z",
                },
                {
                    "card": second["uuid"],
                    "outcome": "overridden",
                    "overrideReason": {
                        "reason": {"code": "already-assessed", "system": "urn:example"},
                        "userComment": "Seen by Dr Secretname this morning",
                    },
                    "outcomeTimestamp": "2026-12-03T12:00:00Z",
                },
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    decision, accepted = server.logged(first["uuid"])
    assert (decision["event"], accepted["event"], accepted["outcome"]) == (
        "decision",
        "feedback",
        "accepted",
    )
    assert accepted["accepted_suggestions"] == [first["suggestions"][0]["uuid"]]
    _, overridden = server.logged(second["uuid"])
    assert overridden["outcome"] == "overridden"
    assert overridden["override_reason"] == "already-assessed"
    assert "Secretname" not in server.log.read_text(encoding="utf-8")


def test_feedback_that_breaks_the_spec_is_400(client):
    """Not a card's uuid, an unknown outcome, no feedback at all: 400 each."""
    for body in (
        {"feedback": [{"card": "not-a-uuid", "outcome": "accepted"}]},
        {"feedback": [{"card": str(uuid.uuid4()), "outcome": "ignored"}]},
        {"feedback": []},
        {},
    ):
        answer = client.post(FEEDBACK_URL, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["error"]

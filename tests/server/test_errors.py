"""Every refusal of the live server is JSON with a reason, never a traceback: 400, 412, 413, 422."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fhirtools import condition, pain
from tests.servers import LiveServer, hook_call

HOOK_URL = "/cds-services/foot-massage-triage"
MIB = 1024 * 1024


def assert_json_error(answer: httpx.Response, status: int) -> dict[str, object]:
    """``status``, a JSON body with an ``error`` sentence, no traceback."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, object] = answer.json()
    assert isinstance(body["error"], str)
    assert body["error"]
    assert "Traceback" not in answer.text
    return body


@pytest.mark.parametrize(
    ("prefetch", "missing"),
    [
        ({"conditions": ..., "observations": ...}, ["conditions", "observations"]),
        ({"conditions": None}, ["conditions"]),
        ({"observations": None}, ["observations"]),
        ({"observations": ...}, ["observations"]),
    ],
    ids=["neither", "conditions-null", "observations-null", "observations-left-out"],
)
def test_a_missing_required_prefetch_is_412_naming_it(client, prefetch, missing):
    """conditions and observations are required; missing or null, 412 names which."""
    answer = client.post(HOOK_URL, json=hook_call("pat-1", **prefetch))
    body = assert_json_error(answer, 412)
    assert body["missing_prefetch"] == missing


def test_optional_prefetch_may_be_missing(client):
    """No patient and no questionnaire: still a card (its questions stay open)."""
    answer = client.post(HOOK_URL, json=hook_call("pat-1", patient=..., questionnaire=None))
    assert answer.status_code == 200, answer.text
    assert answer.json()["cards"][0]["indicator"] == "warning"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b'{"hook": "patient-view",'],
    ids=["garbage", "empty", "cut-short"],
)
def test_malformed_json_is_400(client, body):
    """A body that is not JSON: 400 with a JSON error, on the hook and on /evaluate."""
    for url in (HOOK_URL, "/evaluate", f"{HOOK_URL}/feedback"):
        answer = client.post(url, content=body, headers={"content-type": "application/json"})
        assert_json_error(answer, 400)


def call_without(*path: str) -> dict[str, object]:
    call: dict[str, object] = hook_call("pat-1")
    target = call
    for key in path[:-1]:
        target = target[key]  # type: ignore[assignment]
    del target[path[-1]]
    return call


@pytest.mark.parametrize(
    ("call", "named"),
    [
        ({**hook_call("pat-1"), "hook": "order-select"}, "'patient-view'"),
        (call_without("hookInstance"), "hookInstance"),
        (call_without("context"), "context"),
        (call_without("context", "patientId"), "patientId"),
        ({**hook_call("pat-1"), "context": {"patientId": ""}}, "patientId"),
        ({**hook_call("pat-1"), "prefetch": {"conditions": "Condition?x"}}, "conditions"),
        ([1, 2, 3], "body"),
    ],
    ids=[
        "wrong-hook",
        "no-hook-instance",
        "no-context",
        "no-patient",
        "empty-patient",
        "prefetch-not-a-resource",
        "not-an-object",
    ],
)
def test_a_call_that_breaks_the_spec_is_400(client, call, named):
    """Each breach of the CDS Hooks request is 400, its details naming the element."""
    body = assert_json_error(client.post(HOOK_URL, json=call), 400)
    assert named in json.dumps(body["details"])


def test_bad_fhir_is_400_naming_resource_and_element(client):
    """A malformed element: 400 whose message names the resource and the element."""
    bad = condition("44054006", id="bad-1", subject={"reference": "Patient/pat-1"})
    bad["clinicalStatus"] = "active"  # a CodeableConcept, not a string
    body = assert_json_error(client.post(HOOK_URL, json=hook_call("pat-1", conditions=[bad])), 400)
    assert "Condition/bad-1 clinicalStatus" in str(body["error"])
    reading = pain("high", id="bad-2", subject={"reference": "Patient/pat-1"})
    call = hook_call("pat-1", observations=[reading])
    body = assert_json_error(client.post(HOOK_URL, json=call), 400)
    assert "Observation/bad-2 valueInteger" in str(body["error"])


def test_another_patients_record_is_400(client):
    """A prefetched resource about someone else is refused: decisions never mix records."""
    other = condition("44054006", subject={"reference": "Patient/someone-else"})
    call = hook_call("pat-1", conditions=[other])
    body = assert_json_error(client.post(HOOK_URL, json=call), 400)
    assert "Patient/someone-else" in str(body["error"])
    wrong = {"resourceType": "Patient", "id": "someone-else"}
    assert_json_error(client.post(HOOK_URL, json=hook_call("pat-1", patient=wrong)), 400)


@pytest.mark.parametrize(
    "reference",
    ["Patient/pat-1", "https://ehr.example/fhir/Patient/pat-1", "Patient/pat-1/_history/3"],
)
def test_the_patients_own_record_is_read_however_referenced(client, reference):
    """A relative, absolute or versioned reference to the context's patient is the patient."""
    own = condition("44054006", subject={"reference": reference})  # diabetes mellitus type 2
    answer = client.post(HOOK_URL, json=hook_call("pat-1", conditions=[own]))
    assert answer.status_code == 200, answer.text


def test_a_bad_profile_is_422_with_pydantic_field_errors(client):
    """POST /evaluate with a value out of range, a wrong type, an unknown field: 422 per field."""
    answer = client.post("/evaluate", json={"pain_level": 11, "diabetes": "yes", "color": "red"})
    assert answer.status_code == 422
    errors = {tuple(item["loc"]): item["type"] for item in answer.json()["detail"]}
    assert errors == {
        ("body", "pain_level"): "less_than_equal",
        ("body", "diabetes"): "bool_type",
        ("body", "color"): "extra_forbidden",
    }


def test_a_body_over_1_mib_is_413(client, server):
    """Declared over 1 MiB: 413 before it is read. Sent chunked: 413 once it passes 1 MiB."""
    big = b"[" + b"0," * (MIB // 2) + b"0]"
    for url in (HOOK_URL, "/evaluate"):
        assert_json_error(client.post(url, content=big), 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 65536  # 2.5 MiB of JSON whitespace, never a Content-Length

    assert_json_error(client.post("/evaluate", content=chunks()), 413)
    assert client.get("/healthz").status_code == 200  # and the server goes on


def test_a_body_of_almost_1_mib_is_read(client):
    """Just under the limit is not refused for its size (it is a profile, with padding)."""
    body = b'{"open_wounds": true}' + b" " * (MIB - 30)
    answer = client.post("/evaluate", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdict"] == "see_doctor"


def test_a_slow_client_does_not_block_others(server: LiveServer):
    """While one client has sent only part of its body, other requests are answered."""
    where = urlsplit(server.url)
    body = json.dumps({"open_wounds": True}).encode()
    half_sent, others_done = threading.Event(), threading.Event()
    slow_answer: list[bytes] = []

    def trickle() -> None:
        with socket.create_connection((where.hostname, where.port), timeout=60) as sock:
            sock.sendall(
                b"POST /evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            for byte in body[:5]:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
            half_sent.set()
            others_done.wait(60)  # the request stays unfinished while the others are served
            sock.sendall(body[5:])
            slow_answer.append(sock.recv(65536))

    slow = threading.Thread(target=trickle)
    slow.start()
    try:
        assert half_sent.wait(30)
        with httpx.Client(base_url=server.url, timeout=30) as other:
            for _ in range(20):
                assert other.get("/healthz").status_code == 200
                answer = other.post("/evaluate", json={"foot_infection": True})
                assert answer.json()["verdict"] == "see_doctor"
        assert not slow_answer, "the slow request was answered before its body was sent"
    finally:
        others_done.set()
        slow.join(60)
    assert slow_answer
    assert slow_answer[0].startswith(b"HTTP/1.1 200")

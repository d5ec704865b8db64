"""A live ``neurotriage serve`` for the tests, and the CDS Hooks requests they send it.

:func:`live_server` starts the real command in a child process on a free port
of 127.0.0.1 (``--port 0``; the port is read from the line the command prints
once it listens), waits for ``/healthz``, and always stops it (SIGTERM, then
SIGKILL), even when the test failed. The decision log and its key are in the
caller's directory, so a test can read the log and recompute the hashes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from neurotriage import RuleSet, evaluate
from neurotriage.analysis import input_space
from neurotriage.decision import VERDICTS
from tests.processes import console_command

__all__ = [
    "KEY",
    "LiveServer",
    "answers_for",
    "first_of_each_verdict",
    "hook_call",
    "live_server",
    "patient_hash",
    "searchset",
    "stop",
]

#: The decision log key the live servers are given (through --decision-log-key).
KEY = b"a test key, long enough to be accepted"
#: How long a server may take to start listening (it loads and proves its pack first).
START_SECONDS = 90.0
_LISTENING = re.compile(r"at (http://127\.0\.0\.1:\d+) ")


@dataclass(frozen=True)
class LiveServer:
    """A running ``neurotriage serve``: its base URL, process, decision log and stderr file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    errors: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line of the decision log so far, parsed."""
        if not self.log.exists():
            return []
        text = self.log.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines()]

    def logged(self, decision_id: str) -> list[dict[str, Any]]:
        """The log lines about ``decision_id`` (its decision, then its feedback)."""
        return [line for line in self.log_lines() if line["id"] == decision_id]

    def stderr(self) -> str:
        """What the server wrote to standard error so far."""
        return self.errors.read_text(encoding="utf-8", errors="replace")


def patient_hash(patient_id: str) -> str:
    """The hash the decision log holds for ``patient_id`` under :data:`KEY`."""
    return hmac.new(KEY, patient_id.encode(), hashlib.sha256).hexdigest()


@contextlib.contextmanager
def live_server(directory: Path, *args: str) -> Iterator[LiveServer]:
    """``neurotriage serve --host 127.0.0.1 --port 0 ARGS`` running, logging into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "key"
    key.write_bytes(KEY)
    log, errors = directory / "decisions.jsonl", directory / "server.err"
    argv = [
        *console_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--decision-log",
        str(log),
        "--decision-log-key",
        str(key),
        *args,
    ]
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
    try:
        server = LiveServer(_listening_url(process, errors), process, log, errors)
        _wait_healthy(server)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL after 15 s; the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _listening_url(process: subprocess.Popen[bytes], errors: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        text = errors.read_text(encoding="utf-8", errors="replace")
        if found := _LISTENING.search(text):
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"neurotriage serve exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    pytest.fail(f"neurotriage serve did not listen within {START_SECONDS} s")


def _wait_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.process.poll() is not None:
            pytest.fail(f"neurotriage serve is not healthy:\n{server.stderr()}")
        time.sleep(0.05)


# --- requests ---------------------------------------------------------------------------------


def searchset(*resources: Mapping[str, Any]) -> dict[str, Any]:
    """A searchset Bundle of ``resources``, as an EHR prefetches a search."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": dict(r), "search": {"mode": "match"}} for r in resources],
    }


def _answer(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, list):
        return [{"valueString": item} for item in value] or [{"valueCoding": {"code": "none"}}]
    return [{"valueString": value}]


def answers_for(profile: BaseModel | Mapping[str, Any], patient_id: str) -> dict[str, Any]:
    """A completed QuestionnaireResponse answering each known field of ``profile`` by linkId."""
    values = profile.model_dump() if isinstance(profile, BaseModel) else dict(profile)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "answers",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": "2026-12-03T11:00:00+00:00",
        "item": [
            {"linkId": name, "answer": _answer(value)}
            for name, value in values.items()
            if value is not None
        ],
    }


def hook_call(
    patient_id: str,
    *,
    profile: BaseModel | Mapping[str, Any] | None = None,
    conditions: Sequence[Mapping[str, Any]] | EllipsisType | None = (),
    observations: Sequence[Mapping[str, Any]] | EllipsisType | None = (),
    **prefetch: Any,
) -> dict[str, Any]:
    """A ``patient-view`` call: the given Conditions and Observations as searchsets, and a
    QuestionnaireResponse answering ``profile``'s known fields.

    ``prefetch`` overrides keys (``patient``, ``questionnaire``); for any key,
    ``None`` sends a null (the EHR could not fetch it), ``...`` leaves it out.
    """
    fetched: dict[str, Any] = {
        "patient": {"resourceType": "Patient", "id": patient_id},
        "conditions": conditions if conditions in (None, ...) else searchset(*conditions),
        "observations": observations if observations in (None, ...) else searchset(*observations),
        "questionnaire": searchset(*([answers_for(profile, patient_id)] if profile else [])),
    }
    fetched.update(prefetch)
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/dr-1", "patientId": patient_id},
        "prefetch": {key: value for key, value in fetched.items() if value is not ...},
    }


@functools.cache
def first_of_each_verdict(rules: RuleSet) -> dict[str, BaseModel]:
    """For each verdict the pack can give, the first profile of its input space that gets it."""
    found: dict[str, BaseModel] = {}
    for profile in input_space(rules):
        found.setdefault(evaluate(profile, rules=rules).verdict, profile)
        if len(found) == len(VERDICTS):
            break
    return found

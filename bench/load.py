"""Load on a live ``neurotriage serve``: latency percentiles and throughput of the CDS hook.

Runnable alone: ``.venv/bin/python bench/load.py [--requests N] [--clients N]``.
It starts ``neurotriage serve`` on a free port of 127.0.0.1 (the default pack,
with its decision log in a temporary directory, as served by default), sends
a warm-up, then ``--requests`` CDS Hooks ``patient-view`` calls from
``--clients`` concurrent clients (one connection each), each call a class
spread over the pack's input space, and checks every answer against the card
made in-process. It prints p50, p90, p99 and the worst latency, the
throughput, and whether the CDS Hooks target (p99 within 500 ms) is met. It
asserts nothing; it stops the server when done, and every loop is bounded in
count and time (127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from neurotriage import default_rules, evaluate
from neurotriage.analysis import input_space
from neurotriage.server import card

#: The CDS Hooks specification's target for a service's answer.
TARGET_P99_MS = 500.0
#: No run goes on past this, whatever the options.
BOUND_SECONDS = 600.0
WARM_UP = 200
SPREAD = 200  # classes of the input space the calls cycle through
HOOK_URL = "/cds-services/foot-massage-triage"


def _answer(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, list):
        return [{"valueString": item} for item in value] or [{"valueCoding": {"code": "none"}}]
    return [{"valueString": value}]


def hook_call(patient_id: str, profile: BaseModel) -> dict[str, Any]:
    """A patient-view call whose QuestionnaireResponse answers ``profile``'s known fields."""
    answers = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": [
            {"linkId": name, "answer": _answer(value)}
            for name, value in profile.model_dump().items()
            if value is not None
        ],
    }

    def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
        }

    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": patient_id},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": patient_id},
            "conditions": searchset(),
            "observations": searchset(),
            "questionnaire": searchset(answers),
        },
    }


def calls() -> list[tuple[dict[str, Any], str]]:
    """(call, the summary its card must have) for classes spread over the input space."""
    rules = default_rules()
    space = input_space(rules)
    found = []
    for number in range(SPREAD):
        profile = space.profile_at(number * (space.size - 1) // (SPREAD - 1))
        expected = card(evaluate(profile, rules=rules), rules, card_id="x").summary
        found.append((hook_call(f"bench-{number}", profile), expected))
    return found


def start_server(log_dir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``neurotriage serve --port 0`` in a child process; it, its URL and its stderr file."""
    script = Path(sys.executable).with_name("neurotriage")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "neurotriage"]
    errors = log_dir / "server.err"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [
                *command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--decision-log",
                str(log_dir / "decisions.jsonl"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = errors.read_text(encoding="utf-8", errors="replace")
        if found := re.search(r"at (http://127\.0\.0\.1:\d+) ", text):
            return process, found.group(1), errors
        if process.poll() is not None:
            raise SystemExit(f"neurotriage serve exited:\n{text}")
        time.sleep(0.05)
    process.kill()
    raise SystemExit("neurotriage serve did not start listening")


async def send_all(
    clients: list[httpx.AsyncClient], work: list[tuple[dict[str, Any], str]], requests: int
) -> tuple[list[float], list[str], float]:
    """Latencies (s), problems and wall time of ``requests`` calls spread over ``clients``."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(requests):
        queue.put_nowait(index)
    latencies: list[float] = []
    problems: list[str] = []

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            call, summary = work[queue.get_nowait() % len(work)]
            started = time.perf_counter()
            answer = await http.post(HOOK_URL, json=call)
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200:
                problems.append(f"{answer.status_code}: {answer.text[:200]}")
            elif answer.json()["cards"][0]["summary"] != summary:
                problems.append(f"wrong card: {answer.json()['cards'][0]['summary']!r}")

    started = time.perf_counter()
    await asyncio.gather(*(client(http) for http in clients))
    return latencies, problems, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000, help="calls to time (default 2000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    args = parser.parse_args()
    work = calls()
    with tempfile.TemporaryDirectory(prefix="neurotriage-load-") as tmp:
        process, url, errors = start_server(Path(tmp))
        try:
            run = asyncio.wait_for(_measure(url, work, args.requests, args.clients), BOUND_SECONDS)
            latencies, problems, wall = asyncio.run(run)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        logged = sum(1 for _ in (Path(tmp) / "decisions.jsonl").open(encoding="utf-8"))
        if "Traceback" in errors.read_text(encoding="utf-8", errors="replace"):
            problems.append("the server printed a traceback")
    ms = [value * 1000 for value in latencies]
    p99 = percentile(ms, 0.99)
    print(
        f"neurotriage serve, POST {HOOK_URL}: {len(ms):,} calls from {args.clients} "
        f"concurrent clients on 127.0.0.1 (decision log on, {logged:,} lines written)"
    )
    print(
        f"latency ms: p50 {percentile(ms, 0.50):.1f}, p90 {percentile(ms, 0.90):.1f}, "
        f"p99 {p99:.1f}, max {max(ms):.1f} (mean {statistics.fmean(ms):.1f})"
    )
    print(f"throughput: {len(ms) / wall:,.0f} calls/s ({wall:.2f} s wall)")
    print(
        f"answers wrong or refused: {len(problems)}"
        + (f" (first: {problems[0]})" if problems else "")
    )
    met = "met" if p99 <= TARGET_P99_MS and not problems else "MISSED"
    print(f"CDS Hooks target p99 <= {TARGET_P99_MS:.0f} ms: {p99:.1f} ms  {met}")
    return 0


async def _measure(
    url: str, work: list[tuple[dict[str, Any], str]], requests: int, clients: int
) -> tuple[list[float], list[str], float]:
    """Warm up, then time: the clients (one connection each) are made before either, so
    that making them (httpx builds an SSL context per client) is not timed as latency."""
    limits = httpx.Limits(max_connections=1)
    made = [httpx.AsyncClient(base_url=url, timeout=30, limits=limits) for _ in range(clients)]
    try:
        await send_all(made, work, max(WARM_UP, clients))  # every connection up, classes seen
        return await send_all(made, work, requests)
    finally:
        for http in made:
            await http.aclose()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::RuntimeWarning")
    sys.exit(main())

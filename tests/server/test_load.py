"""Under load: 2,000 requests from 50 concurrent clients, every one answered correctly.

Bounded in count and in time (a generous bound: this checks correctness under
concurrency, not speed; ``bench/load.py`` measures the latency).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from neurotriage import default_rules, evaluate
from neurotriage.analysis import input_space
from neurotriage.server import MAX_SUMMARY, card
from tests.servers import LiveServer, hook_call

REQUESTS = 2_000
CLIENTS = 50
#: Nothing here should take long; past this the test fails rather than hangs.
BOUND_SECONDS = 240
SAMPLE = 60  # classes spread over the default pack's input space
RULES = default_rules()


def cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(url, body, what the answer must hold) for a spread of the input space, both APIs."""
    space = input_space(RULES)
    found = []
    for number in range(SAMPLE):
        profile = space.profile_at(number * (space.size - 1) // (SAMPLE - 1))
        decision = evaluate(profile, rules=RULES)
        expected = card(decision, RULES, card_id="x")
        found.append(
            (
                "/cds-services/foot-massage-triage",
                hook_call(f"pat-{number}", profile=profile),
                {"summary": expected.summary, "indicator": expected.indicator},
            )
        )
        found.append(("/evaluate", profile.model_dump(), decision.model_dump(mode="json")))
    return found


def wrong(url: str, answer: httpx.Response, expected: dict[str, Any]) -> str | None:
    """Why ``answer`` is not the right one (None: it is)."""
    if answer.status_code != 200:
        return f"{url}: {answer.status_code} {answer.text[:200]}"
    body = answer.json()
    if url == "/evaluate":
        return None if body == expected else f"{url}: a different decision"
    (got,) = body["cards"]
    if len(got["summary"]) > MAX_SUMMARY:
        return f"{url}: a summary of {len(got['summary'])} characters"
    if {key: got[key] for key in expected} != expected:
        return f"{url}: {got['summary']!r} ({got['indicator']}), not {expected}"
    return None


async def load(base_url: str, work: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Send ``REQUESTS`` requests over ``CLIENTS`` concurrent clients; the problems found."""
    jobs: asyncio.Queue[tuple[str, dict[str, Any], dict[str, Any]]] = asyncio.Queue()
    for index in range(REQUESTS):
        jobs.put_nowait(work[index % len(work)])
    problems: list[str] = []
    answered = 0

    async def client() -> None:
        nonlocal answered
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            while not jobs.empty():
                url, body, expected = jobs.get_nowait()
                answer = await http.post(url, json=body)
                answered += 1
                if (problem := wrong(url, answer, expected)) is not None:
                    problems.append(problem)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    if answered != REQUESTS:
        problems.append(f"{answered} of {REQUESTS} requests answered")
    return problems


@pytest.mark.slow
def test_every_request_of_concurrent_clients_is_answered_right(server: LiveServer):
    """2,000 hook and /evaluate calls over 50 connections: each is the in-process answer."""
    work = cases()
    problems = asyncio.run(asyncio.wait_for(load(server.url, work), BOUND_SECONDS))
    assert problems == []
    assert "Traceback" not in server.stderr()

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
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import hook_call, live_server  # noqa: E402 - the tests' live server

from neurotriage import default_rules, evaluate  # noqa: E402
from neurotriage.analysis import input_space  # noqa: E402
from neurotriage.server import card  # noqa: E402

#: The CDS Hooks specification's target for a service's answer.
TARGET_P99_MS = 500.0
#: No run goes on past this, whatever the options.
BOUND_SECONDS = 600.0
WARM_UP = 200
SPREAD = 200  # classes of the input space the calls cycle through
HOOK_URL = "/cds-services/foot-massage-triage"


def calls() -> list[tuple[dict[str, Any], str]]:
    """(call, the summary its card must have) for classes spread over the input space."""
    rules = default_rules()
    space = input_space(rules)
    found = []
    for number in range(SPREAD):
        profile = space.profile_at(number * (space.size - 1) // (SPREAD - 1))
        expected = card(evaluate(profile, rules=rules), rules, card_id="x").summary
        found.append((hook_call(f"bench-{number}", profile=profile), expected))
    return found


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
    with (
        tempfile.TemporaryDirectory(prefix="neurotriage-load-") as tmp,
        live_server(Path(tmp)) as server,  # the tests' own: started, checked, stopped
    ):
        run = asyncio.wait_for(
            _measure(server.url, work, args.requests, args.clients), BOUND_SECONDS
        )
        latencies, problems, wall = asyncio.run(run)
        logged = len(server.log_lines())
        if "Traceback" in server.stderr():
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

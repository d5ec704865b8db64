"""Per-evaluation time of each backend, and the exhaustive enumeration's size and time.

Prints numbers; asserts nothing. Run with ``make bench`` or
``.venv/bin/python bench/evaluate_bench.py [--repeat N]``.

Each timing is the median of ``--rounds`` rounds, each round evaluating every
profile of a fixed sample of the input space once; the per-evaluation time of
a round is its total divided by the sample size. ``fired`` is the engine alone
(which rules fire); ``evaluate`` is the whole public call (validation of a
dict, engine, combining into a Decision).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from neurotriage import __version__, default_rules, evaluate
from neurotriage.analysis import input_space
from neurotriage.engines import durable_available


def per_call_us(func: Callable[[Any], object], items: list[Any], rounds: int) -> list[float]:
    """Microseconds per call, one figure per round."""
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            func(item)
        results.append((time.perf_counter() - started) / len(items) * 1e6)
    return results


def main() -> None:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2000, help="profiles per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per measurement")
    args = parser.parse_args()

    rules = default_rules()
    space = input_space(rules)
    profiles = list(space)
    step = max(1, len(profiles) // args.sample)
    sample = profiles[::step][: args.sample]
    dicts = [dict(p.__dict__) for p in sample]
    backends = ["reference"] + (["durable"] if durable_available() is None else [])

    print(f"neurotriage {__version__} on Python {platform.python_version()} ({sys.platform})")
    print(f"rules: {len(rules.rules)} rules, rule-set version {rules.version}")
    print(f"MALLOC_TRIM_THRESHOLD_={os.environ.get('MALLOC_TRIM_THRESHOLD_', '(unset)')}")
    print(f"sample: {len(sample)} profiles of the input space, {args.rounds} rounds")
    print()
    print(f"{'backend':<10} {'measure':<9} {'median us':>10} {'min us':>8} {'max us':>8}")
    for backend in backends:
        engine = rules.engine(backend)
        engine.fired(sample[0])  # compile and warm up
        for label, func, items in (
            ("fired", engine.fired, sample),
            ("evaluate", lambda d, b=backend: evaluate(d, rules=rules, backend=b), dicts),
        ):
            runs = per_call_us(func, items, args.rounds)
            print(
                f"{backend:<10} {label:<9} {statistics.median(runs):>10.1f} "
                f"{min(runs):>8.1f} {max(runs):>8.1f}"
            )

    print()
    started = time.perf_counter()
    for profile in profiles:
        for backend in backends:
            evaluate(profile, rules=rules, backend=backend)
    seconds = time.perf_counter() - started
    print(
        f"exhaustive: {space.size} profiles x {len(backends)} backends evaluated in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()

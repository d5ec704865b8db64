"""Write ``docs/_numbers.json``: every benchmark number the docs quote, from one run's JSON.

Run after ``make bench`` (which writes ``bench/results.json``), then put the
numbers into the pages and review the diff::

    .venv/bin/python bench/docs_numbers.py [--results bench/results.json]
    .venv/bin/python -m tests.docs_examples --update

The pages quote each number as ``<!--bench:NAME-->VALUE`` and each text block
as a ```text bench:NAME fence; ``tests/test_docs.py`` checks every one against
this file. Add a name here to quote a new number.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import report

BENCH = Path(__file__).resolve().parent
OUTPUT = BENCH.parent / "docs" / "_numbers.json"

Format = Callable[[Any], str]


def fixed(digits: int) -> Format:
    """A number with ``digits`` decimals and thousands separators: ``1,234.5``."""
    return lambda value: f"{value:,.{digits}f}"


def signed(digits: int) -> Format:
    """A number with its sign: ``+0.00``."""
    return lambda value: f"{value:+.{digits}f}"


def percent(value: float) -> str:
    """A fraction as a whole percentage, without the ``%``: ``25``."""
    return f"{value * 100:.0f}"


def signed_percent(value: float) -> str:
    """A fraction as a signed whole percentage, without the ``%``: ``+14``."""
    return f"{value * 100:+.0f}"


def yes_no(value: bool) -> str:
    """A met target: ``yes`` or ``no``."""
    return "yes" if value else "no"


LOOP = ("batch", "evaluate_many")
#: Each quoted number: its name in the pages, where it is in results.json, how it is written.
NUMBERS: dict[str, tuple[tuple[str, ...], Format]] = {
    "environment.cores": (("environment", "cores"), str),
    "environment.passes": (("environment", "passes"), str),
    "environment.corpus": (("environment", "corpus", "size"), fixed(0)),
    "checks.classes": (("checks", "classes"), fixed(0)),
    "checks.distinct_decisions": (("checks", "distinct_decisions"), fixed(0)),
    "checks.all_miss.reference": (("checks", "all_miss_mean_us", "reference"), fixed(1)),
    "latency.reference.dict": (("latency", "reference.dict", "median_us"), fixed(2)),
    "latency.reference.profile": (("latency", "reference.profile", "median_us"), fixed(2)),
    "latency.reference.fired": (("latency", "reference.fired", "median_us"), fixed(2)),
    "latency.durable.fired": (("latency", "durable.fired", "median_us"), fixed(2)),
    "compile.load_ms": (("compile", "load_ms"), fixed(1)),
    "compile.reference": (("compile", "compile_ms", "reference"), fixed(2)),
    "compile.durable": (("compile", "compile_ms", "durable"), fixed(2)),
    "memory.traced_peak": (("memory", "traced_peak_mib_cold_pass"), fixed(1)),
    "memory.evaluations": (("memory", "evaluations"), fixed(0)),
    "target.reference.limit": (
        ("targets", "reference_dict_vs_floor_validate", "target"),
        fixed(0),
    ),
    "target.reference.value": (
        ("targets", "reference_dict_vs_floor_validate", "value"),
        fixed(2),
    ),
    "target.reference.met": (("targets", "reference_dict_vs_floor_validate", "met"), yes_no),
    "target.adapter.limit": (("targets", "durable_adapter_overhead", "target"), percent),
    "target.adapter.value": (("targets", "durable_adapter_overhead", "value"), signed_percent),
    "target.adapter.whole_call": (
        ("targets", "durable_adapter_overhead", "whole_call"),
        signed_percent,
    ),
    "target.adapter.met": (("targets", "durable_adapter_overhead", "met"), yes_no),
    "target.compile.limit": (("targets", "load_and_compile_ms", "target"), fixed(0)),
    "target.compile.value": (("targets", "load_and_compile_ms", "value"), fixed(1)),
    "target.compile.met": (("targets", "load_and_compile_ms", "met"), yes_no),
    "target.memory.limit": (("targets", "memory_growth_mib", "target"), fixed(0)),
    "target.memory.value": (("targets", "memory_growth_mib", "value"), signed(2)),
    "target.memory.met": (("targets", "memory_growth_mib", "met"), yes_no),
    "batch.worker_start": (("batch", "worker_start_s"), fixed(2)),
    **{
        f"batch.{kind}.{backend}.{run.replace('=', '_')}": (("batch", kind, backend, run), fixed(0))
        for kind, runs in (
            ("evaluate_many", ("loop", "workers=1", "workers=2")),
            ("cli", ("workers=1", "workers=2")),
        )
        for backend in ("reference", "durable")
        for run in runs
    },
    "verify.reference": (("analysis", "verify", "reference", "seconds"), fixed(1)),
    "verify.durable": (("analysis", "verify", "durable", "seconds"), fixed(1)),
    "lint": (("analysis", "lint", "seconds"), fixed(1)),
}

#: Each quoted text block: its name and the lines of the report it holds.
BLOCKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "report": report.report_lines,
    "batch": lambda results: report.batch_lines(results)[1:],  # without the blank line
}


def at(results: dict[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` in the results, or a clear error naming what is missing."""
    value: Any = results
    for step, key in enumerate(path):
        if not isinstance(value, dict) or key not in value:
            where = ".".join(path[: step + 1])
            raise SystemExit(
                f"results.json has no {where}: run the whole benchmark, with durable-rules"
            )
        value = value[key]
    return value


def numbers(results: dict[str, Any]) -> dict[str, Any]:
    """The content of ``docs/_numbers.json`` for one run's results."""
    env = results["environment"]
    return {
        "generated_by": "bench/docs_numbers.py from the JSON of bench/run.py; do not edit",
        "run": {
            "neurotriage": env["neurotriage"],
            "python": env["python"],
            "platform": env["platform"],
            "cores": env["cores"],
            "quick": env["quick"],
        },
        "numbers": {name: form(at(results, path)) for name, (path, form) in NUMBERS.items()},
        "blocks": {
            name: [line.rstrip() for line in render(results)] for name, render in BLOCKS.items()
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Read the results, write the numbers file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=BENCH / "results.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        results = json.loads(args.results.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"no {args.results}: run make bench first") from None
    args.output.write_text(json.dumps(numbers(results), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}; now run: .venv/bin/python -m tests.docs_examples --update")
    return 0


if __name__ == "__main__":
    sys.exit(main())

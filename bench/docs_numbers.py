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
#: Where a number is in results.json, and how it is written.
Quoted = tuple[tuple[str, ...], Format]


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


def times(value: float) -> str:
    """A multiple as the report prints it, without the ``x``: ``2.41``, ``16.1``."""
    return report.ratio_text(value).removesuffix("x")


def target(name: str, key: str, limit: Format, value: Format | None) -> dict[str, Quoted]:
    """A target's limit, value and whether it is met: ``target.NAME.limit`` and so on.

    ``value`` None: the page quotes each backend's multiple instead (``latency.*.times``),
    as the target's line prints them.
    """
    path = ("targets", key)
    quoted: dict[str, Quoted] = {
        f"target.{name}.limit": ((*path, "target"), limit),
        f"target.{name}.met": ((*path, "met"), yes_no),
    }
    if value is not None:
        quoted[f"target.{name}.value"] = ((*path, "value"), value)
    return quoted


LOOP = ("batch", "evaluate_many")
#: Each quoted number: its name in the pages, where it is in results.json, how it is written.
NUMBERS: dict[str, Quoted] = {
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
    **target("reference", "reference_dict_vs_floor_validate", fixed(0), fixed(2)),
    **target("warm", "warm_dict_vs_floor_validate", fixed(1), None),
    **target("uncached", "uncached_dict_vs_floor_validate", fixed(1), None),
    **target("profile", "profile_vs_floor", fixed(1), None),
    **target("durable_uncached", "durable_uncached_vs_direct", fixed(1), times),
    **target("adapter", "durable_adapter_overhead", percent, signed_percent),
    "target.adapter.whole_call": (
        ("targets", "durable_adapter_overhead", "whole_call"),
        signed_percent,
    ),
    **target("compile", "load_and_compile_ms", fixed(0), fixed(1)),
    **target("memory", "memory_growth_mib", fixed(0), signed(2)),
    **target("table_rate", "table_rows_per_s", fixed(0), fixed(0)),
    **target("table_loop", "table_vs_loop", fixed(0), fixed(1)),
    **target("workers", "workers_speedup", fixed(1), fixed(2)),
    **target("one_worker", "one_worker_vs_loop", fixed(1), fixed(2)),
    **target("table_memory", "table_command_growth_mib", fixed(0), signed(1)),
    **target("evaluate_memory", "evaluate_growth_mib", fixed(0), signed(1)),
    # each backend's multiple, as the target lines print them beside the one judged
    **{
        f"latency.{backend}.{row}.times": (("latency", f"{backend}.{row}", "times_baseline"), times)
        for backend in ("reference", "durable")
        for row in ("dict", "dict.uncached", "profile")
    },
    "latency.direct.fired": (("latency", "direct.fired", "median_us"), fixed(2)),
    "latency.reference.profile.uncached": (
        ("latency", "reference.profile.uncached", "median_us"),
        fixed(2),
    ),
    "latency.floor.profile": (("latency", "floor.profile", "median_us"), fixed(2)),
    "latency.floor.dict": (("latency", "floor.dict", "median_us"), fixed(2)),
    "checks.cold.reference": (("checks", "cold_first_pass_mean_us", "reference"), fixed(1)),
    "checks.cold.durable": (("checks", "cold_first_pass_mean_us", "durable"), fixed(1)),
    "run.seconds": (("seconds",), fixed(0)),
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
    **{
        f"screening.table.{backend}.{measure}": (
            ("screening", "table", backend, measure),
            fixed(0) if measure.endswith("_per_s") else fixed(1),
        )
        for backend in ("reference", "durable")
        for measure in (
            "cold_rows_per_s",
            "warm_rows_per_s",
            "loop_rows_per_s",
            "uncached_loop_rows_per_s",
            "remembered_loop_rows_per_s",
            "cold_vs_loop",
            "cold_vs_uncached_loop",
            "warm_vs_remembered_loop",
        )
    },
    "screening.table.rows": (("screening", "table", "rows"), fixed(0)),
    "screening.workers.profiles": (("screening", "workers", "profiles"), fixed(0)),
    **{
        f"screening.workers.{kind}.{run.replace('=', '_')}": (
            ("screening", "workers", kind, run),
            fixed(0) if run.startswith(("loop", "workers")) else fixed(2),
        )
        for kind in ("spread", "corpus")
        for run in ("loop", "workers=1", "workers=2", "speedup", "one_vs_loop")
    },
    **{
        f"screening.table_memory.{measure}": (
            ("screening", "table_memory", measure),
            fixed(0) if measure.endswith(("rows", "_per_s")) else fixed(1),
        )
        for measure in (
            "rows",
            "middle_rows",
            "small_peak_mib",
            "big_peak_mib",
            "rows_per_s",
        )
    },
    "screening.table_memory.flat_growth": (
        ("screening", "table_memory", "flat_growth_mib"),
        signed(1),
    ),
    "screening.evaluate_memory.calls": (("screening", "evaluate_memory", "calls"), fixed(0)),
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

"""Population screening, measured: evaluate_table, evaluate-table, evaluate_many's workers.

Used by ``bench/run.py`` (which prints these targets with the others) and
runnable alone: ``.venv/bin/python bench/screening.py [--quick]``. It asserts
nothing; every target is a ratio or a figure measured in this same run.

* ``evaluate_table`` on a table of realistic profiles (the seeded corpus),
  first with a fresh rule set (every class decided for the first time), then
  again (classes remembered), next to a Python loop of ``evaluate()`` over
  the same rows as dicts, timed on the same rows;
* ``evaluate_many`` with one and two workers on 200,000 profiles spread over
  the built-in pack's input space (deciding is the work), and on the corpus
  (classes repeat, so shipping a profile costs about what deciding it does),
  next to a plain loop;
* RSS growth of ``neurotriage evaluate-table`` over a large Parquet file (in a
  process of its own, so its peak is its own) against the same command on a
  1,000-row file (the whole cost of the rows) and on a tenth of the rows
  (what grows with the rows themselves), and of one process over a million ``evaluate()`` calls from
  cold.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from corpus import corpus

from neurotriage import Profile, evaluate, evaluate_many, evaluate_table, load_rules
from neurotriage.analysis import input_space

BENCH = Path(__file__).resolve().parent
RULES_DIR = BENCH.parent / "rules"
MIB = 1024 * 1024

MIN_TABLE_ROWS_PER_S = 1_000_000
MIN_TABLE_VS_LOOP = 30.0
MIN_WORKERS_SPEEDUP = 1.6
MIN_ONE_WORKER_VS_LOOP = 1.0
MAX_SCREEN_GROWTH_MIB = 50.0


def complete(dicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each profile with every field (a table has every column; a null there is unknown,
    where a key missing from a dict takes the field's default)."""
    return [Profile.model_validate(data).model_dump() for data in dicts]


def table_speed(rows: int, loop_rows: int) -> dict[str, Any]:
    """Rows per second of evaluate_table and of loops of evaluate(), on each backend.

    Each backend gets a fresh rule set: the table first decides every class for
    the first time ("fresh"), then again with its classes remembered. The loop
    of evaluate() runs over the same rows, also from a fresh rule set, so both
    sides pay for the same first decisions; the loop that decides every row
    afresh (``cache=False``) and the loop whose classes are all remembered are
    timed on the first ``loop_rows`` rows. pyarrow is warmed up first on the
    same table with a rule set of its own, so its one-time start (kernels,
    thread pool, the allocator's first touch of a million rows' pages) is
    counted in no figure.
    """
    import pyarrow as pa  # noqa: PLC0415 - optional

    dicts = complete(corpus(rows, 11))
    table = pa.Table.from_pylist(dicts)
    # the whole table once, on a rule set of its own: Arrow's allocator touches its pages
    # for the first time here (a one-off of the process: the first run is about 40% slower)
    evaluate_table(table, rules=load_rules(RULES_DIR), backend="reference")
    report: dict[str, Any] = {"rows": rows}
    for backend in ("reference", "durable"):
        report[backend] = _table_backend(table, dicts, backend, loop_rows)
    return report


def _table_backend(
    table: Any, dicts: list[dict[str, Any]], backend: str, loop_rows: int
) -> dict[str, float]:
    """:func:`table_speed` on one backend."""
    rows, sample = len(dicts), dicts[:loop_rows]
    rules = load_rules(RULES_DIR)
    started = time.perf_counter()
    out = evaluate_table(table, rules=rules, backend=backend)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    evaluate_table(table, rules=rules, backend=backend)
    warm = time.perf_counter() - started
    fresh = load_rules(RULES_DIR)
    started = time.perf_counter()
    for data in dicts:
        evaluate(data, rules=fresh, backend=backend)
    loop = time.perf_counter() - started
    started = time.perf_counter()
    for data in sample:
        evaluate(data, rules=fresh, backend=backend, cache=False)
    uncached = time.perf_counter() - started
    started = time.perf_counter()
    for data in sample:  # every class of these rows is remembered by now
        evaluate(data, rules=fresh, backend=backend)
    remembered = time.perf_counter() - started
    for data, row in zip(dicts, out.slice(0, 2_000).to_pylist(), strict=False):
        if row["verdict"] != evaluate(data, rules=rules, backend=backend).verdict:
            raise SystemExit(f"evaluate_table disagrees with evaluate() on {data}")
    return {
        "cold_rows_per_s": rows / cold,
        "warm_rows_per_s": rows / warm,
        "loop_rows_per_s": rows / loop,
        "uncached_loop_rows_per_s": len(sample) / uncached,
        "remembered_loop_rows_per_s": len(sample) / remembered,
        "cold_vs_loop": loop / cold,
        "warm_vs_remembered_loop": (rows / warm) / (len(sample) / remembered),
        "cold_vs_uncached_loop": (rows / cold) / (len(sample) / uncached),
    }


def workers_speed(count: int) -> dict[str, Any]:
    """Profiles per second of evaluate_many, one and two workers, and a plain loop."""
    space = input_space(load_rules(RULES_DIR))
    spread = [p.model_dump() for p in itertools.islice(itertools.cycle(space), count)]
    report: dict[str, Any] = {"profiles": count}
    for name, items in (("spread", spread), ("corpus", corpus(count, 13))):
        rates: dict[str, float] = {}
        for label in ("loop", "workers=1", "workers=2"):
            rules = load_rules(RULES_DIR)  # fresh: each run decides its classes itself
            started = time.perf_counter()
            if label == "loop":
                for data in items:
                    evaluate(data, rules=rules)
            else:
                workers = int(label.split("=")[1])
                for _ in evaluate_many(items, rules=rules, workers=workers):
                    pass
            rates[label] = count / (time.perf_counter() - started)
        rates["speedup"] = rates["workers=2"] / rates["workers=1"]
        rates["one_vs_loop"] = rates["workers=1"] / rates["loop"]
        report[name] = rates
    return report


def screen_memory(rows: int) -> dict[str, Any]:
    """Peak RSS of evaluate-table on ``rows`` rows less its peak on a small file, in MiB."""
    import pyarrow as pa  # noqa: PLC0415 - optional
    import pyarrow.parquet as pq  # noqa: PLC0415

    block = pa.Table.from_pylist(complete(corpus(100_000, 17)))
    with tempfile.TemporaryDirectory() as directory:
        small, big = Path(directory, "small.parquet"), Path(directory, "big.parquet")
        middle = Path(directory, "middle.parquet")
        pq.write_table(block.slice(0, 1_000), small)
        for path, blocks in ((middle, max(1, rows // block.num_rows // 10)), (big, None)):
            with pq.ParquetWriter(path, block.schema) as writer:
                for _ in range(blocks or max(1, rows // block.num_rows)):
                    writer.write_table(block)
        written = pq.ParquetFile(big).metadata.num_rows
        tenth = pq.ParquetFile(middle).metadata.num_rows
        peaks = {}
        seconds = 0.0
        for name, source in (("small", small), ("middle", middle), ("big", big)):
            started = time.perf_counter()
            peaks[name] = _peak_rss_mib(
                [
                    sys.executable,
                    "-m",
                    "neurotriage",
                    "evaluate-table",
                    str(source),
                    "-o",
                    str(Path(directory, f"{name}-out.parquet")),
                ]
            )
            seconds = time.perf_counter() - started
    return {
        "rows": written,
        "small_peak_mib": peaks["small"],
        "big_peak_mib": peaks["big"],
        "growth_mib": peaks["big"] - peaks["small"],
        "middle_rows": tenth,
        # from a tenth of the rows to all of them: what grows with the rows themselves
        "flat_growth_mib": peaks["big"] - peaks["middle"],
        "rows_per_s": written / seconds,
    }


def _peak_rss_mib(argv: list[str]) -> float:
    """The peak RSS of one command, run as a child of a fresh child (so it is its alone)."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=False, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def evaluate_memory(calls: int) -> dict[str, Any]:
    """RSS of a fresh process before its first evaluate() and after ``calls`` of them."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from corpus import corpus; from neurotriage import evaluate, default_rules; "
        "rules = default_rules(); dicts = corpus(200_000, 19); "
        "rss = lambda: int(open('/proc/self/statm').read().split()[1]) * 4096; "
        "before = rss(); n = int(sys.argv[2]); "
        "[evaluate(dicts[i % len(dicts)], rules=rules) for i in range(n)]; "
        "print(before, rss())"
    )
    if not Path("/proc/self/statm").exists():
        return {"calls": calls, "growth_mib": None}
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", code, str(BENCH), str(calls)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = map(int, done.stdout.split())
    return {"calls": calls, "growth_mib": (after - before) / MIB}


def screening(quick: bool) -> dict[str, Any]:
    """Every measure of this module."""
    return {
        "table": table_speed(1_000_000, 50_000 if quick else 200_000),
        "workers": workers_speed(200_000),
        "table_memory": screen_memory(1_000_000 if quick else 10_000_000),
        "evaluate_memory": evaluate_memory(100_000 if quick else 1_000_000),
    }


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each screening target: its value, its limit, whether it is met, and a line of text."""
    table, workers = results["table"], results["workers"]
    reference, durable = table["reference"], table["durable"]
    spread, screen = workers["spread"], results["table_memory"]
    growth = results["evaluate_memory"]["growth_mib"]

    def target(value: float | None, limit: float, met: bool | None, text: str) -> dict[str, Any]:
        return {"value": value, "target": limit, "met": met, "text": text}

    return {
        "table_rows_per_s": target(
            reference["cold_rows_per_s"],
            MIN_TABLE_ROWS_PER_S,
            reference["cold_rows_per_s"] >= MIN_TABLE_ROWS_PER_S,
            f"evaluate_table >= {MIN_TABLE_ROWS_PER_S:,} rows/s on {table['rows']:,} rows, "
            f"fresh rule set, reference backend: {reference['cold_rows_per_s']:,.0f} "
            f"(again: {reference['warm_rows_per_s']:,.0f}; durable fresh: "
            f"{durable['cold_rows_per_s']:,.0f}, again: {durable['warm_rows_per_s']:,.0f})",
        ),
        "table_vs_loop": target(
            reference["cold_vs_loop"],
            MIN_TABLE_VS_LOOP,
            reference["cold_vs_loop"] >= MIN_TABLE_VS_LOOP,
            f"evaluate_table >= {MIN_TABLE_VS_LOOP:.0f}x a loop of evaluate() on the same rows, "
            f"both fresh: {reference['cold_vs_loop']:.1f}x reference, "
            f"{durable['cold_vs_loop']:.1f}x durable (against a loop deciding every row, "
            f"cache=False: {reference['cold_vs_uncached_loop']:.1f}x / "
            f"{durable['cold_vs_uncached_loop']:.1f}x; again, against a loop whose classes are "
            f"all remembered: {reference['warm_vs_remembered_loop']:.1f}x / "
            f"{durable['warm_vs_remembered_loop']:.1f}x)",
        ),
        "workers_speedup": target(
            spread["speedup"],
            MIN_WORKERS_SPEEDUP,
            spread["speedup"] >= MIN_WORKERS_SPEEDUP,
            f"evaluate_many workers=2 >= {MIN_WORKERS_SPEEDUP}x workers=1 on "
            f"{workers['profiles']:,} input-space profiles: {spread['speedup']:.2f}x "
            f"(on the corpus, classes repeating: {workers['corpus']['speedup']:.2f}x)",
        ),
        "one_worker_vs_loop": target(
            min(spread["one_vs_loop"], workers["corpus"]["one_vs_loop"]),
            MIN_ONE_WORKER_VS_LOOP,
            min(spread["one_vs_loop"], workers["corpus"]["one_vs_loop"]) >= 0.95,
            f"evaluate_many workers=1 no slower than a loop: {spread['one_vs_loop']:.2f}x "
            f"(input space), {workers['corpus']['one_vs_loop']:.2f}x (corpus); 5% is noise",
        ),
        "table_command_growth_mib": target(
            screen["growth_mib"],
            MAX_SCREEN_GROWTH_MIB,
            screen["growth_mib"] < MAX_SCREEN_GROWTH_MIB,
            f"evaluate-table on {screen['rows']:,} rows grows RSS < {MAX_SCREEN_GROWTH_MIB:.0f} "
            f"MiB over a 1,000-row file: {screen['growth_mib']:+.1f} MiB; over "
            f"{screen['middle_rows']:,} rows: {screen['flat_growth_mib']:+.1f} MiB "
            f"({screen['rows_per_s']:,.0f} rows/s, Parquet in and out)",
        ),
        "evaluate_growth_mib": target(
            growth,
            MAX_SCREEN_GROWTH_MIB,
            None if growth is None else growth < MAX_SCREEN_GROWTH_MIB,
            f"{results['evaluate_memory']['calls']:,} evaluate() calls from cold grow RSS "
            f"< {MAX_SCREEN_GROWTH_MIB:.0f} MiB: "
            + ("n/a (no /proc)" if growth is None else f"{growth:+.1f} MiB"),
        ),
    }


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller files and fewer calls")
    args = parser.parse_args()
    results = screening(args.quick)
    for found in targets(results).values():
        met = {True: "met", False: "MISSED", None: "n/a"}[found["met"]]
        print(f"{found['text']}  {met}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::RuntimeWarning")
    sys.exit(main())

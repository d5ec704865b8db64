"""The neurotriage benchmark: prints a table and writes the numbers as JSON.

Run ``make bench`` or ``.venv/bin/python bench/run.py [--quick] [--json PATH]``.
It asserts nothing; it reports each target as met or missed.

What it measures, on a fixed, seeded corpus of realistic profiles:

* per-evaluation latency (median, p99) of ``evaluate()`` on each backend,
  from a dict (validated) and from a ``Profile`` (not validated), next to a
  hand-written floor (``bench/floor.py``) that is first checked to agree with
  ``evaluate()`` on the whole corpus. Every measure runs interleaved with the
  others, chunk by chunk, in one process; each call is timed on its own and
  the timer's own cost is subtracted;
* the durable backend's overhead over durable-rules driven by hand
  (``bench/direct.py``);
* RuleSet load and first compile per backend, on fresh RuleSets;
* peak memory, and RSS growth across many evaluations of the reference backend;
* batch throughput (``neurotriage.evaluate_many`` and ``neurotriage
  evaluate-many``, one and two workers) and the time of ``analysis.verify``
  (each backend) and ``analysis.lint``.

The docs quote these numbers from ``docs/_numbers.json``, which
``bench/docs_numbers.py`` writes from the JSON of a run: the text blocks it renders
come from the same ``*_lines`` functions that print the report here.
"""

from __future__ import annotations

import argparse
import functools
import gc
import io
import itertools
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import report
import screening
from corpus import corpus
from floor import decide, summary

import neurotriage
from neurotriage import Profile, RuleSet, evaluate, evaluate_many, load_rules
from neurotriage.analysis import input_space, lint, verify
from neurotriage.cli import main as cli_main
from neurotriage.engines import durable_available
from neurotriage.pipeline.classes import class_key
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.profile import field_specs

if TYPE_CHECKING:
    from direct import DirectDurable

BENCH = Path(__file__).resolve().parent
RULES_DIR = BENCH.parent / "rules"
MIB = 1024 * 1024

#: The targets, reported (never asserted).
MAX_WARM_VS_FLOOR_VALIDATE = 1.5
MAX_UNCACHED_VS_FLOOR_VALIDATE = 3.0
MAX_DURABLE_UNCACHED_VS_DIRECT = 1.2
MAX_PROFILE_VS_FLOOR = 3.0
MAX_REFERENCE_VS_FLOOR = 3.0
MAX_ADAPTER_OVERHEAD = 0.25
MAX_COMPILE_MS = 50.0
MAX_GROWTH_MIB = 5.0


@dataclass
class Measure:
    """One thing timed per call: a label, a function and the items it is called on."""

    key: str
    label: str
    func: Callable[[Any], object]
    items: Sequence[Any]
    baseline: str | None = None  # the key of the measure this one is a multiple of
    samples: list[int] = field(default_factory=list)


@dataclass
class Stats:
    """Median and p99 of a measure's per-call times, in microseconds."""

    median_us: float
    p99_us: float
    calls: int


def quantile(ordered: Sequence[int], q: float) -> float:
    """The ``q`` quantile of sorted values (nearest rank)."""
    index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return float(ordered[index])


def timer_overhead_ns(calls: int = 20_000) -> float:
    """The median cost of the two clock reads around every timed call."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(calls):
        started = clock()
        samples.append(clock() - started)
    samples.sort()
    return quantile(samples, 0.5)


def time_calls(func: Callable[[Any], object], items: Sequence[Any], out: list[int]) -> None:
    """Call ``func`` on each item, appending each call's time in ns to ``out``."""
    clock = time.perf_counter_ns
    append = out.append
    for item in items:
        started = clock()
        func(item)
        append(clock() - started)


def run_interleaved(measures: list[Measure], size: int, passes: int, chunk: int) -> None:
    """Every measure on the same chunk in turn, rotating who goes first."""
    turn = 0
    for _ in range(passes):
        for start in range(0, size, chunk):
            first = turn % len(measures)
            for measure in measures[first:] + measures[:first]:
                time_calls(measure.func, measure.items[start : start + chunk], measure.samples)
            turn += 1


def stats(samples: list[int], overhead_ns: float) -> Stats:
    """Median and p99 in microseconds, less the timer's own cost."""
    ordered = sorted(samples)
    return Stats(
        median_us=max(0.0, quantile(ordered, 0.5) - overhead_ns) / 1000,
        p99_us=max(0.0, quantile(ordered, 0.99) - overhead_ns) / 1000,
        calls=len(ordered),
    )


def current_rss() -> int | None:
    """This process's resident set size in bytes (Linux), else None."""
    try:
        pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[1]
    except OSError:
        return None
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


def max_rss() -> int:
    """The peak resident set size so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def median(values: Sequence[float]) -> float:
    """The median of a few values."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# --- the parts of the run ---------------------------------------------------------------------


def check_floor(
    dicts: list[dict[str, Any]], profiles: list[Profile], backends: list[str]
) -> dict[str, Any]:
    """The floor agrees with evaluate() on every profile; time this cold first pass."""
    key = class_key(load_rules(RULES_DIR), field_specs())
    report: dict[str, Any] = {
        "profiles": len(profiles),
        "classes": len({key(p.__dict__) for p in profiles}),
        "cold_first_pass_mean_us": {},
    }
    floor = [decide(p) for p in profiles]
    for backend in backends:
        fresh = load_rules(RULES_DIR)  # empty caches: this pass is the cold one
        started = time.perf_counter()
        decisions = [evaluate(d, rules=fresh, backend=backend) for d in dicts]
        seconds = time.perf_counter() - started
        report["cold_first_pass_mean_us"][backend] = seconds / len(dicts) * 1e6
        report["distinct_decisions"] = len({d.model_dump_json() for d in decisions})
        wrong = [i for i, d in enumerate(decisions) if summary(d) != floor[i]]
        if wrong:
            first = wrong[0]
            raise SystemExit(
                f"the floor disagrees with evaluate(backend={backend!r}) on {len(wrong)} "
                f"profiles, first {dicts[first]}: {floor[first]} != {summary(decisions[first])}"
            )
    return report


def miss_path(backends: list[str], count: int) -> dict[str, float]:
    """Mean us of evaluate(Profile) when every call is a new class: nothing cached helps."""
    rules = load_rules(RULES_DIR)
    space = input_space(rules)
    step = max(1, space.size // count)
    profiles = list(itertools.islice(space, 0, None, step))[:count]
    means = {}
    for backend in backends:
        fresh = load_rules(RULES_DIR)
        evaluate(profiles[0], rules=fresh, backend=backend)  # compile outside the timing
        started = time.perf_counter()
        for profile in profiles[1:]:
            evaluate(profile, rules=fresh, backend=backend)
        means[backend] = (time.perf_counter() - started) / (len(profiles) - 1) * 1e6
    return means


def direct_driver(rules: RuleSet, profiles: list[Profile]) -> DirectDurable:
    """durable-rules driven by hand, checked against the durable engine on every profile."""
    from direct import DirectDurable  # noqa: PLC0415 - needs durable-rules

    direct = DirectDurable(rules)
    engine = compiled_engine(rules, "durable")
    for profile in profiles:
        if direct.fired(profile) != engine.fired(profile):
            raise SystemExit(f"the direct driver disagrees with the durable engine on {profile}")
    return direct


def latency(
    rules: RuleSet,
    dicts: list[dict[str, Any]],
    profiles: list[Profile],
    backends: list[str],
    *,
    direct: DirectDurable | None,
    passes: int,
) -> tuple[list[Measure], float]:
    """Per-call times of every measure, interleaved; and the timer overhead subtracted."""

    def floor_validated(data: dict[str, Any]) -> object:
        return decide(Profile.model_validate(data))

    measures = [
        Measure("floor.profile", "floor (plain ifs) on a Profile", decide, profiles),
        Measure("floor.dict", "floor + Profile.model_validate", floor_validated, dicts),
    ]
    for backend in backends:

        def on_dict(data: dict[str, Any], backend: str = backend) -> object:
            return evaluate(data, rules=rules, backend=backend)

        def on_profile(profile: Profile, backend: str = backend) -> object:
            return evaluate(profile, rules=rules, backend=backend)

        def uncached(data: dict[str, Any], backend: str = backend) -> object:
            return evaluate(data, rules=rules, backend=backend, cache=False)

        def uncached_profile(profile: Profile, backend: str = backend) -> object:
            return evaluate(profile, rules=rules, backend=backend, cache=False)

        measures += [
            Measure(f"{backend}.dict", f"{backend} evaluate(dict)", on_dict, dicts, "floor.dict"),
            Measure(
                f"{backend}.dict.uncached",
                f"{backend} evaluate(dict, cache=False)",
                uncached,
                dicts,
                "floor.dict",
            ),
            Measure(
                f"{backend}.profile.uncached",
                f"{backend} evaluate(Profile, cache=False)",
                uncached_profile,
                profiles,
                "floor.profile",
            ),
            Measure(
                f"{backend}.profile",
                f"{backend} evaluate(Profile)",
                on_profile,
                profiles,
                "floor.profile",
            ),
            Measure(
                f"{backend}.fired",
                f"{backend} engine.fired(Profile)",
                compiled_engine(rules, backend).fired,
                profiles,
                "floor.profile",
            ),
        ]
    if direct is not None:
        measures.append(
            Measure(
                "direct.fired",
                "durable-rules by hand (direct)",
                direct.fired,
                profiles,
                "floor.profile",
            )
        )
    overhead = timer_overhead_ns()
    run_interleaved(measures, len(profiles), passes, chunk=500)
    return measures, overhead


def compile_times(backends: list[str], runs: int) -> dict[str, Any]:
    """load_rules of the rules directory, then each backend's first compile, on fresh RuleSets."""
    loads: list[float] = []
    compiles: dict[str, list[float]] = {b: [] for b in backends}
    firsts: dict[str, list[float]] = {b: [] for b in backends}
    probe = Profile()
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        fresh = load_rules(RULES_DIR)
        loads.append((time.perf_counter() - started) * 1e3)
        for backend in backends:
            started = time.perf_counter()
            compiled_engine(fresh, backend)
            compiles[backend].append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            evaluate(probe, rules=fresh, backend=backend)
            firsts[backend].append((time.perf_counter() - started) * 1e3)
    load = median(loads)
    return {
        "runs": runs,
        "load_ms": load,
        "load_ms_first_run": loads[0],
        "compile_ms": {b: median(v) for b, v in compiles.items()},
        "first_evaluate_ms": {b: median(v) for b, v in firsts.items()},
        "load_and_compile_ms": {b: load + median(v) for b, v in compiles.items()},
    }


def memory(dicts: list[dict[str, Any]], evaluations: int) -> dict[str, Any]:
    """Traced peak over one cold pass; RSS before and after ``evaluations`` calls (reference)."""
    gc.collect()
    tracemalloc.start()
    fresh = load_rules(RULES_DIR)
    for data in dicts:
        evaluate(data, rules=fresh, backend="reference")
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del fresh

    for data in dicts:  # warm the default rule set's caches before the "before"
        evaluate(data, backend="reference")
    gc.collect()
    before = current_rss()
    started = time.perf_counter()
    done = 0
    while done < evaluations:
        for data in dicts[: evaluations - done]:
            evaluate(data, backend="reference")
        done += min(len(dicts), evaluations - done)
    seconds = time.perf_counter() - started
    gc.collect()
    after = current_rss()
    growth = None if before is None or after is None else (after - before) / MIB
    return {
        "evaluations": done,
        "seconds": seconds,
        "traced_peak_mib_cold_pass": traced_peak / MIB,
        "rss_before_mib": None if before is None else before / MIB,
        "rss_after_mib": None if after is None else after / MIB,
        "rss_growth_mib": growth,
        "max_rss_mib": max_rss() / MIB,
    }


def batch(dicts: list[dict[str, Any]], backends: list[str], rounds: int) -> dict[str, Any] | str:
    """Throughput of evaluate_many and of the command, one and two workers, next to a loop."""
    rules = load_rules(RULES_DIR)
    expected = [evaluate(d, rules=rules, backend="reference") for d in dicts[:500]]
    report: dict[str, Any] = {"evaluate_many": {}, "cli": {}}
    for backend in backends:
        got = list(evaluate_many(dicts[:500], rules=rules, backend=backend, workers=2))
        if got != expected:
            return f"n/a (evaluate_many disagrees with evaluate on {backend})"
        runs: dict[str, list[float]] = {"loop": [], "workers=1": [], "workers=2": []}
        for _ in range(rounds):
            started = time.perf_counter()
            for data in dicts:
                evaluate(data, rules=rules, backend=backend)
            runs["loop"].append(time.perf_counter() - started)
            for workers in (1, 2):
                started = time.perf_counter()
                list(evaluate_many(dicts, rules=rules, backend=backend, workers=workers))
                runs[f"workers={workers}"].append(time.perf_counter() - started)
        report["evaluate_many"][backend] = {n: len(dicts) / median(t) for n, t in runs.items()}
        report["cli"][backend] = cli_throughput(dicts, backend, rounds)
    starts = []
    for _ in range(max(3, rounds)):
        started = time.perf_counter()
        list(evaluate_many(dicts[:1], rules=rules, backend="reference", workers=2))
        starts.append(time.perf_counter() - started)
    report["worker_start_s"] = median(starts)
    return report


def cli_throughput(dicts: list[dict[str, Any]], backend: str, rounds: int) -> dict[str, float]:
    """Lines per second of ``neurotriage evaluate-many IN -o OUT``, one and two workers."""
    rates = {}
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory, "in.jsonl"), Path(directory, "out.jsonl")
        source.write_text("".join(json.dumps(d) + "\n" for d in dicts), encoding="utf-8")
        for workers in (1, 2):
            argv = ["evaluate-many", str(source), "-o", str(target), "--backend", backend]
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                status = cli_main([*argv, "--workers", str(workers)], io.StringIO(), io.StringIO())
                times.append(time.perf_counter() - started)
                if status not in (0, 1):  # 1: a line of the corpus is not a valid profile
                    raise SystemExit(f"evaluate-many failed with exit code {status}")
            rates[f"workers={workers}"] = len(dicts) / median(times)
    return rates


def analysis_times(backends: list[str], runs: int) -> dict[str, Any]:
    """Seconds of analysis.verify(rules) on each backend, and of analysis.lint(rules)."""

    def timed(job: Callable[[RuleSet], object]) -> dict[str, Any]:
        times: list[float] = []
        while len(times) < runs and sum(times) <= 10:  # one slow run is enough
            fresh = load_rules(RULES_DIR)
            started = time.perf_counter()
            job(fresh)
            times.append(time.perf_counter() - started)
        return {"runs": len(times), "seconds": median(times)}

    return {
        # the enumeration: the floor the symbolic proof is measured against (bench/prove_bench.py)
        "verify": {
            b: timed(functools.partial(verify, backend=b, method="enumeration")) for b in backends
        },
        "lint": timed(lint),
    }


# --- the targets -------------------------------------------------------------------------------


def latency_rows(measures: list[Measure], overhead: float) -> dict[str, Any]:
    """Each measure's median and p99, and its multiple of its baseline, in measure order."""
    by_key = {m.key: stats(m.samples, overhead) for m in measures}
    rows: dict[str, Any] = {}
    for measure in measures:
        result = by_key[measure.key]
        times = None
        if measure.baseline is not None:
            times = result.median_us / by_key[measure.baseline].median_us
        rows[measure.key] = {
            "label": measure.label,
            "median_us": result.median_us,
            "p99_us": result.p99_us,
            "calls": result.calls,
            "baseline": measure.baseline,
            "times_baseline": times,
        }
    return rows


def judge(
    rows: dict[str, Any], compiled: dict[str, Any], mem: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each target: its value, its limit, whether it is met, and a line of text."""
    reference = rows["reference.dict"]["times_baseline"]
    targets: dict[str, dict[str, Any]] = {
        "reference_dict_vs_floor_validate": {
            "value": reference,
            "target": MAX_REFERENCE_VS_FLOOR,
            "met": reference <= MAX_REFERENCE_VS_FLOOR,
            "text": f"reference evaluate(dict) <= {MAX_REFERENCE_VS_FLOOR:.0f}x "
            f"floor + model_validate: {report.ratio_text(reference)}",
        }
    }
    for key, label, limit, baseline in (
        ("warm_dict_vs_floor_validate", "warm evaluate(dict)", MAX_WARM_VS_FLOOR_VALIDATE, "dict"),
        (
            "uncached_dict_vs_floor_validate",
            "evaluate(dict, cache=False)",
            MAX_UNCACHED_VS_FLOOR_VALIDATE,
            "dict.uncached",
        ),
        ("profile_vs_floor", "warm evaluate(Profile)", MAX_PROFILE_VS_FLOOR, "profile"),
    ):
        measured = {
            b: rows[f"{b}.{baseline}"]["times_baseline"]
            for b in ("reference", "durable")
            if f"{b}.{baseline}" in rows
        }
        chosen = max(measured.values())  # met only if every backend measured meets it
        over = "floor" if baseline == "profile" else "floor + model_validate"
        targets[key] = {
            "value": chosen,
            "target": limit,
            "met": chosen <= limit,
            "text": f"{label} <= {limit}x {over}: "
            + ", ".join(f"{b} {report.ratio_text(v)}" for b, v in measured.items()),
        }
    direct = rows.get("direct.fired")
    if direct is not None:
        uncached = rows["durable.profile.uncached"]["median_us"] / direct["median_us"]
        targets["durable_uncached_vs_direct"] = {
            "value": uncached,
            "target": MAX_DURABLE_UNCACHED_VS_DIRECT,
            "met": uncached <= MAX_DURABLE_UNCACHED_VS_DIRECT,
            "text": f"durable evaluate(Profile, cache=False) <= "
            f"{MAX_DURABLE_UNCACHED_VS_DIRECT}x durable-rules by hand: "
            f"{report.ratio_text(uncached)}",
        }
    if direct is None:
        targets["durable_adapter_overhead"] = {
            "value": None,
            "target": MAX_ADAPTER_OVERHEAD,
            "met": None,
            "text": "durable adapter overhead: durable-rules not available",
        }
    else:
        adapter = rows["durable.fired"]["median_us"] / direct["median_us"] - 1
        whole = rows["durable.profile"]["median_us"] / direct["median_us"] - 1
        targets["durable_adapter_overhead"] = {
            "value": adapter,
            "whole_call": whole,
            "target": MAX_ADAPTER_OVERHEAD,
            "met": adapter <= MAX_ADAPTER_OVERHEAD,
            "text": f"durable adapter (engine.fired) within {MAX_ADAPTER_OVERHEAD:.0%} of direct: "
            f"{adapter:+.0%} (whole evaluate(Profile), Decision included: {whole:+.0%})",
        }
    worst = max(compiled["load_and_compile_ms"].values())
    targets["load_and_compile_ms"] = {
        "value": worst,
        "target": MAX_COMPILE_MS,
        "met": worst < MAX_COMPILE_MS,
        "text": f"load_rules + first compile < {MAX_COMPILE_MS:.0f} ms: "
        f"worst backend {worst:.1f} ms",
    }
    growth = mem["rss_growth_mib"]
    targets["memory_growth_mib"] = {
        "value": growth,
        "evaluations": mem["evaluations"],
        "target": MAX_GROWTH_MIB,
        "met": None if growth is None else abs(growth) <= MAX_GROWTH_MIB,
        "text": f"RSS growth within {MAX_GROWTH_MIB:.0f} MiB over {mem['evaluations']:,} "
        + ("evaluations: n/a (no /proc)" if growth is None else f"evaluations: {growth:+.2f} MiB"),
    }
    return targets


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes and evaluations")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="output file")
    parser.add_argument("--seed", type=int, default=4, help="corpus seed")
    parser.add_argument("--size", type=int, default=20_000, help="corpus size")
    parser.add_argument("--passes", type=int, help="interleaved passes over the corpus")
    parser.add_argument("--evaluations", type=int, help="evaluations for the memory growth")
    args = parser.parse_args(argv)
    passes = args.passes or (1 if args.quick else 3)
    evaluations = args.evaluations or (100_000 if args.quick else 1_000_000)

    started = time.perf_counter()
    backends = ["reference"] + (["durable"] if durable_available() is None else [])
    dicts = corpus(args.size, args.seed)
    profiles = [Profile.model_validate(d) for d in dicts]
    env = {
        "neurotriage": neurotriage.__version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": sys.platform,
        "cores": os.cpu_count(),
        "malloc_trim_threshold": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        "backends": backends,
        "corpus": {"size": len(dicts), "seed": args.seed},
        "passes": passes,
        "quick": args.quick,
    }
    results: dict[str, Any] = {"environment": env}
    show(report.environment_lines(results))

    checks = check_floor(dicts, profiles, backends)
    rules = load_rules(RULES_DIR)
    for data in dicts:  # compile and warm every backend on this RuleSet
        for backend in backends:
            evaluate(data, rules=rules, backend=backend)
    direct = direct_driver(rules, profiles) if "durable" in backends else None
    measures, overhead = latency(rules, dicts, profiles, backends, direct=direct, passes=passes)
    if direct is not None:
        direct.close()
    results |= {"checks": checks, "timer_overhead_ns": overhead}
    results["latency"] = latency_rows(measures, overhead)
    show(report.corpus_lines(results) + report.latency_lines(results))
    checks["all_miss_mean_us"] = miss_path(backends, 5_000 if args.quick else 20_000)
    show(report.miss_lines(results))

    results["compile"] = compile_times(backends, 5 if args.quick else 15)
    show(report.compile_lines(results))

    results["memory"] = memory(dicts, evaluations)
    show(report.memory_lines(results))

    results["batch"] = batch(dicts, backends, 1 if args.quick else 2)
    results["analysis"] = analysis_times(backends, 1 if args.quick else 3)
    show(report.batch_lines(results))

    results["screening"] = screening.screening(args.quick)
    results["targets"] = judge(results["latency"], results["compile"], results["memory"])
    results["targets"] |= screening.targets(results["screening"])
    show(report.target_lines(results))

    results["seconds"] = time.perf_counter() - started
    print(f"\n{results['seconds']:.0f} s in all; JSON in {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def show(lines: list[str]) -> None:
    """Print a section of the report as soon as its numbers exist."""
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's report as text, rendered from its results (the JSON ``run.py`` writes).

``run.py`` prints each section as soon as its numbers exist; ``docs_numbers.py``
renders the same sections from a saved ``results.json`` for the docs. So the
text in ``docs/performance.md`` is exactly what the run printed.
"""

from __future__ import annotations

from typing import Any

Results = dict[str, Any]


def ratio_text(value: float) -> str:
    """A multiple, e.g. ``2.4x``."""
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def verdict_text(met: bool | None) -> str:
    """met / MISSED / n/a."""
    return "n/a" if met is None else ("met" if met else "MISSED")


def environment_lines(results: Results) -> list[str]:
    """What ran, where."""
    env = results["environment"]
    trim = env["malloc_trim_threshold"] or "unset"
    line = (
        f"neurotriage {env['neurotriage']}, {env['python']}, {env['platform']}, "
        f"{env['cores']} cores, MALLOC_TRIM_THRESHOLD_={trim}"
    )
    return [line]


def corpus_lines(results: Results) -> list[str]:
    """The corpus, and the checks made before timing anything."""
    env = results["environment"]
    direct = "direct.fired" in results["latency"]
    return [
        f"corpus: {env['corpus']['size']:,} profiles (seed {env['corpus']['seed']}); "
        f"floor == evaluate() on all of them ({', '.join(env['backends'])})"
        + ("; direct == durable engine on all" if direct else ""),
        (
            f"{env['passes']} interleaved pass(es); timer overhead "
            f"{results['timer_overhead_ns']:.0f} ns subtracted per call"
        ),
    ]


def latency_lines(results: Results) -> list[str]:
    """The per-evaluation table and the cold first pass."""
    lines = ["", f"{'per evaluation':<36}{'median us':>10}{'p99 us':>10}{'vs floor':>10}"]
    for row in results["latency"].values():
        vs = ""
        if row["times_baseline"] is not None:
            star = "*" if row["baseline"] == "floor.dict" else ""
            vs = ratio_text(row["times_baseline"]) + star
        lines.append(f"{row['label']:<36}{row['median_us']:>10.2f}{row['p99_us']:>10.2f}{vs:>10}")
    cold = results["checks"]["cold_first_pass_mean_us"]
    return [
        *lines,
        "  (vs floor: median over the floor's median; * = over floor + Profile.model_validate)",
        "cold first pass over the corpus (fresh RuleSet, mean us): "
        + ", ".join(f"{b} evaluate(dict) {us:.1f}" for b, us in cold.items()),
    ]


def miss_lines(results: Results) -> list[str]:
    """The mean time when every call is a new class."""
    misses = results["checks"]["all_miss_mean_us"]
    return [
        "every call a new class (input-space profiles, mean us): "
        + ", ".join(f"{b} evaluate(Profile) {us:.1f}" for b, us in misses.items())
    ]


def compile_lines(results: Results) -> list[str]:
    """The load and compile times."""
    compiled = results["compile"]
    lines = [
        "",
        f"load_rules(rules/) + first compile, median of {compiled['runs']} fresh RuleSets:",
        f"  load_rules {compiled['load_ms']:.1f} ms (first: {compiled['load_ms_first_run']:.1f})",
    ]
    for backend, compile_ms in compiled["compile_ms"].items():
        lines.append(
            f"  {backend:<10} compile {compile_ms:6.2f} ms, "
            f"load + compile {compiled['load_and_compile_ms'][backend]:6.1f} ms, "
            f"first evaluate {compiled['first_evaluate_ms'][backend]:.2f} ms"
        )
    return lines


def memory_lines(results: Results) -> list[str]:
    """The memory figures."""
    mem = results["memory"]
    lines = [
        "",
        (
            f"memory (reference): traced peak {mem['traced_peak_mib_cold_pass']:.1f} MiB "
            f"over a cold pass; max RSS {mem['max_rss_mib']:.0f} MiB"
        ),
    ]
    if mem["rss_growth_mib"] is None:
        return [*lines, "  RSS growth: n/a (no /proc/self/statm here)"]
    return [
        *lines,
        (
            f"  RSS {mem['rss_before_mib']:.1f} -> {mem['rss_after_mib']:.1f} MiB "
            f"({mem['rss_growth_mib']:+.2f}) across {mem['evaluations']:,} evaluations "
            f"of evaluate(dict) in {mem['seconds']:.0f} s"
        ),
    ]


def batch_lines(results: Results) -> list[str]:
    """Batch throughput, the workers' start, and the time of verify and lint."""
    batched = results["batch"]
    if isinstance(batched, str):
        lines = ["", f"batch: {batched}"]
    else:
        lines = [""]
        for backend, figures in batched["evaluate_many"].items():
            lines.append(
                f"evaluate_many {backend} (profiles/s): "
                + ", ".join(f"{name} {rate:,.0f}" for name, rate in figures.items())
            )
        for backend, figures in batched["cli"].items():
            lines.append(
                f"evaluate-many {backend} (lines/s): "
                + ", ".join(f"{name} {rate:,.0f}" for name, rate in figures.items())
            )
        lines.append(f"start of 2 worker processes: {batched['worker_start_s']:.2f} s")
    analysis = results["analysis"]
    for backend, timed in analysis["verify"].items():
        lines.append(
            f"verify(rules) {backend}: {timed['seconds']:.2f} s (median of {timed['runs']})"
        )
    timed = analysis["lint"]
    lines.append(f"lint(rules): {timed['seconds']:.2f} s (median of {timed['runs']})")
    return lines


def target_lines(results: Results) -> list[str]:
    """Each target, met or missed."""
    return [
        "",
        "targets (reported, not asserted):",
        *(
            f"  {target['text']}  {verdict_text(target['met'])}"
            for target in results["targets"].values()
        ),
    ]


def report_lines(results: Results) -> list[str]:
    """Everything up to the memory figures, as ``run.py`` printed it."""
    return [
        *environment_lines(results),
        *corpus_lines(results),
        *latency_lines(results),
        *miss_lines(results),
        *compile_lines(results),
        *memory_lines(results),
    ]

"""The symbolic proof's budgets: verify on three packs, time and peak memory, in one run.

    .venv/bin/python bench/prove_bench.py [--quick]

Each pack is verified in a child process of its own, so its peak RSS is its
own. Printed per pack: the space size, the seconds of ``verify`` (the
median of the runs), the budget and the ratio to it, the peak RSS and the
seconds of one ``lint`` (after the proof at load, which is not timed); for
the default pack also the enumerated ``verify`` measured in the same run,
the floor a proof replaces. ``--quick`` runs each once.

The generated pack (200 fields, 1,000 rules, tests/generated_packs.py) is
loaded without durable-rules' capacity check: durable follows at most 64
rules at once, and any monotone pack of 1,000 rules has profiles that fire
far more; the proof is about the rules, on the reference semantics.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
import neurotriage.loading._loader as loader
from neurotriage import default_rules, load_rules
from neurotriage.analysis import lint, verify
which, method, runs = {which!r}, {method!r}, {runs}
if which == "generated":
    from tests.generated_packs import write_generated_pack
    loader.check_capacity = lambda *args, **kwargs: []  # see the module's docstring
    rules = load_rules(write_generated_pack(Path({scratch!r}) / "generated"))
else:
    rules = default_rules(which)
times = []
for _ in range(runs):
    started = time.perf_counter()
    report = verify(rules, method=method)
    times.append(time.perf_counter() - started)
started = time.perf_counter()
lint(rules)
linted = time.perf_counter() - started
print(json.dumps({{"times": times, "lint": linted, "size": report.space_size, "ok": report.ok,
    "fields": len(rules.pack.fields), "rules": len(rules.rules),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

PACKS = (
    ("foot-massage-for-neuropathy", 1.0),
    ("neuropathy-foot-care", 10.0),
    ("generated", 60.0),
)
MEMORY_BUDGET_MB = 1024


def measure(which: str, method: str, runs: int, scratch: str) -> dict[str, object]:
    code = CHILD.format(root=str(ROOT), which=which, method=method, runs=runs, scratch=scratch)
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per pack")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    print(
        f"{'pack':<30} {'fields':>6} {'rules':>5} {'classes':>10} {'verify s':>9} "
        f"{'budget':>7} {'ratio':>6} {'RSS MB':>7}  met"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for which, budget in PACKS:
            found = measure(which, "symbolic", 1 if which == "generated" else runs, scratch)
            seconds = statistics.median(found["times"])  # type: ignore[arg-type]
            rss = float(found["rss_mb"])  # type: ignore[arg-type]
            met = seconds < budget and rss < MEMORY_BUDGET_MB and found["ok"]
            print(
                f"{which:<30} {found['fields']:>6} {found['rules']:>5} "
                f"{float(found['size']):>10.2e} {seconds:>9.2f} {budget:>6.0f}s "  # type: ignore[arg-type]
                f"{seconds / budget:>6.2f} {rss:>7.0f} {float(found['lint']):>7.2f}  "  # type: ignore[arg-type]
                f"{'yes' if met else 'NO'}"
            )
        floor = measure("foot-massage-for-neuropathy", "enumeration", runs, scratch)
        enumerated = statistics.median(floor["times"])  # type: ignore[arg-type]
        proved = measure("foot-massage-for-neuropathy", "symbolic", runs, scratch)
        symbolic = statistics.median(proved["times"])  # type: ignore[arg-type]
        print(
            f"default pack: enumeration {enumerated:.2f} s, proof {symbolic:.2f} s "
            f"({enumerated / symbolic:.1f}x faster than walking every class)"
        )


if __name__ == "__main__":
    main()

"""The symbolic diff: seconds, kinds of change and classes counted, beside the walk.

    .venv/bin/python bench/diff_bench.py [--quick]

Each case compares a pack with a copy changed in one rule, in this process
(one case at a time). Printed per case: the space, the seconds of ``diff``
by solver, the kinds of change it found, how many of them it counted, and
the classes that decide differently; for the default pack also ``diff`` by
enumeration in the same run, the floor the solver replaces (the two must
agree, or the script stops). ``--quick`` leaves out the slowest case (a red
flag narrowed in the generated pack of 200 fields, with over a hundred
kinds of change, none of which can be counted within the counting budget).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.generated_packs import write_generated_pack  # noqa: E402

import neurotriage.loading._loader as loader  # noqa: E402 - after the path is set
from neurotriage import RuleSet, load_rules  # noqa: E402
from neurotriage.analysis import diff  # noqa: E402
from neurotriage.loading import builtin_pack_dir  # noqa: E402


def _changed(source: Path, target: Path, name: str, old: str, new: str) -> Path:
    if source != target:
        shutil.copytree(source, target)
    path = target / name
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _cases(scratch: Path, quick: bool) -> list[tuple[str, Path, Path]]:
    pain = ("red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8")
    cases = []
    for pack in ("foot-massage-for-neuropathy", "neuropathy-foot-care"):
        source = builtin_pack_dir(pack)
        cases.append((f"{pack}: pain 7 -> 8", source, _changed(source, scratch / pack, *pain)))
    loader.check_capacity = lambda *args, **kwargs: []  # see prove_bench.py's docstring
    generated = write_generated_pack(scratch / "generated", fields=200, rules=250)
    warned = write_generated_pack(scratch / "warned", fields=200, rules=250)
    age = ("rules.yaml", '"when": "age >= 80",', '"when": "age >= 85",')
    cases.append(("200 fields: warning 80 -> 85", generated, _changed(warned, warned, *age)))
    if not quick:
        flag = write_generated_pack(scratch / "flag", fields=200, rules=250)
        narrowed = ("rules.yaml", '"when": "r1",', '"when": "r1 and age < 90",')
        cases.append(("200 fields: red flag narrowed", generated, _changed(flag, flag, *narrowed)))
    return cases


def _timed(old: RuleSet, new: RuleSet, method: str) -> tuple[float, object]:
    started = time.perf_counter()
    result = diff(old, new, method=method)  # type: ignore[arg-type]
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the slowest case")
    args = parser.parse_args()
    print(f"{'case':<46} {'classes':>10} {'diff s':>7} {'kinds':>6} {'counted':>7} {'changed':>10}")
    with tempfile.TemporaryDirectory() as scratch:
        for label, old_dir, new_dir in _cases(Path(scratch), args.quick):
            old, new = load_rules(old_dir, verify=False), load_rules(new_dir, verify=False)
            seconds, result = _timed(old, new, "symbolic")
            groups = result.groups  # type: ignore[attr-defined]
            counted = sum(1 for g in groups if g.count is not None)
            changed = result.changed  # type: ignore[attr-defined]
            shown = "some" if changed is None else f"{float(changed):.2e}"
            print(
                f"{label:<46} {float(result.space_size):>10.2e} {seconds:>7.2f} "  # type: ignore[attr-defined]
                f"{len(groups):>6} {counted:>7} {shown:>10}"
            )
            if label.startswith("foot-massage"):
                walked, floor = _timed(old, new, "enumeration")
                if floor.changed != changed or len(floor.groups) != len(groups):  # type: ignore[attr-defined]
                    raise SystemExit("the solver and the walk disagree")
                print(
                    f"{'  the same by enumeration':<46} {'':>10} {walked:>7.2f}   "
                    f"(the solver is {walked / seconds:.1f}x faster)"
                )


if __name__ == "__main__":
    main()

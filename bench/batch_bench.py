"""Throughput of evaluate_many() and ``neurotriage evaluate-many``, by backend and workers.

Prints numbers; asserts nothing. Run with
``.venv/bin/python bench/batch_bench.py [--profiles N] [--workers 1 2]``.

The profiles are spread over the whole input space of the built-in rules.
Each figure is one run, wall-clock, including the start of the worker
processes (about half a second each); decisions are consumed and dropped.
Worker processes need free cores: measure on an otherwise idle machine.
The command is run with its full records and with ``--compact``, and the
bytes it wrote per record are printed for each.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from neurotriage import __version__, default_rules, evaluate_many
from neurotriage.analysis import input_space
from neurotriage.cli import main as cli_main
from neurotriage.engines import durable_available


def main() -> None:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=20_000, help="profiles per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    args = parser.parse_args()

    space = list(input_space(default_rules()))
    dicts = [dict(space[(i * 37) % len(space)].__dict__) for i in range(args.profiles)]
    backends = ["reference"] + (["durable"] if durable_available() is None else [])
    print(f"neurotriage {__version__} on Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{args.profiles} profiles per run\n")
    print(f"{'what':<28} {'backend':<10} {'workers':>7} {'seconds':>8} {'profiles/s':>11}")
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory) / "in.jsonl", Path(directory) / "out.jsonl"
        source.write_text("".join(json.dumps(d) + "\n" for d in dicts), encoding="utf-8")
        for backend in backends:
            for workers in args.workers:
                started = time.perf_counter()
                for _ in evaluate_many(dicts, backend=backend, workers=workers):
                    pass
                report("evaluate_many()", backend, workers, time.perf_counter() - started, args)
            for what, options in FORMATS.items():
                for workers in args.workers:
                    argv = ["evaluate-many", str(source), "-o", str(target), *options]
                    argv += ["--backend", backend, "--workers", str(workers)]
                    started = time.perf_counter()
                    cli_main(argv, stdout=io.StringIO(), stderr=io.StringIO())
                    report(what, backend, workers, time.perf_counter() - started, args)
                    sizes[what] = target.stat().st_size / args.profiles
    print()
    for what, size in sizes.items():
        print(f"{what:<28} {size:>8,.0f} bytes per record")


#: The command's output formats: a name for the table, and the options.
FORMATS = {"evaluate-many": (), "evaluate-many --compact": ("--compact",)}


def report(what: str, backend: str, workers: int, seconds: float, args: argparse.Namespace) -> None:
    """One line of the table."""
    rate = args.profiles / seconds
    print(f"{what:<28} {backend:<10} {workers:>7} {seconds:>8.2f} {rate:>11,.0f}")


if __name__ == "__main__":
    main()

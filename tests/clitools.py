"""Running the command in-process, for every CLI test module."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from neurotriage.cli import main

__all__ = [
    "SUMMARY_VERDICTS",
    "Run",
    "assert_clean_failure",
    "cli",
    "many_summary",
    "write_profile",
]

#: The verdicts evaluate-many's summary line counts, in its order (least to most serious).
#: Spelled out, not taken from neurotriage.decision, so a changed order fails the tests.
SUMMARY_VERDICTS = (
    "proceed",
    "consult_first",
    "needs_answers",
    "needs_clearance",
    "see_doctor",
    "stop",
)


@dataclass(frozen=True)
class Run:
    """What one in-process run of the command produced."""

    code: int
    out: str
    err: str


def cli(*argv: str | os.PathLike[str], stdin: str = "") -> Run:
    """Run ``neurotriage ARGV`` in-process with fresh string streams."""
    out, err = io.StringIO(), io.StringIO()
    code = main([os.fspath(a) for a in argv], stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return Run(code, out.getvalue(), err.getvalue())


def assert_clean_failure(run: Run) -> None:
    """Exit 2, nothing on stdout, one paragraph on stderr and no traceback."""
    assert run.code == 2
    assert run.out == ""
    assert run.err.endswith("\n")
    assert "\n\n" not in run.err
    assert "Traceback" not in run.err


def write_profile(tmp_path: Path, data: object, name: str = "profile.json") -> Path:
    """Write ``data`` as a JSON profile file and return its path."""
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def many_summary(verdicts: Iterable[str | None], unit: str = "lines") -> str:
    """The line a finished evaluate-many (or, with ``unit="rows"``, evaluate-table) ends
    with, for records of ``verdicts`` (None: error)."""
    seen = list(verdicts)
    counts = Counter(seen)
    failed = counts[None]
    listed = ", ".join(f"{verdict} {counts[verdict]:,}" for verdict in SUMMARY_VERDICTS)
    return (
        f"neurotriage: {unit} read {len(seen):,}, decided {len(seen) - failed:,},"
        f" failed {failed:,}; {listed}\n"
    )

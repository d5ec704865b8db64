"""A script that ended with an evaluate_many() iterator unfinished hung at exit, for ever.

An iterator ``decisions = evaluate_many(profiles, workers=2)`` left
unfinished at module level (a ``break`` out of ``for decision in
decisions``, or one ``next(decisions)``) keeps its worker processes alive
until the interpreter exits. multiprocessing's exit handler then sent the workers
SIGTERM, which they ignore (the parent handles signals), and waited for
them for ever, while they waited for a pipe that the waiting parent held
open. The pool now closes every pool still open at exit, before that handler.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.processes import MARKER_VARIABLE, marked_pids, needs_proc

#: A run that takes longer than this hangs (it takes about a second).
HANG_SECONDS = 60

SCRIPTS = {
    "break": """
        decisions = evaluate_many(PROFILES, workers=2, backend="reference")
        for decision in decisions:
            if decision.verdict == "see_doctor":
                break
        print(decision.verdict)
    """,
    "one-taken": """
        decisions = evaluate_many(PROFILES, workers=2, backend="reference")
        print(next(decisions).verdict)
    """,
}


@needs_proc
@pytest.mark.parametrize("body", list(SCRIPTS.values()), ids=list(SCRIPTS))
def test_a_script_ending_with_an_unfinished_batch_exits_and_leaves_no_worker(tmp_path, body):
    """The script exits at once with status 0, and none of its worker processes is left."""
    script = tmp_path / "batch.py"
    script.write_text(
        "from neurotriage import evaluate_many\n"
        "PROFILES = [{'open_wounds': True}] * 5000\n"
        "if __name__ == '__main__':\n" + textwrap.indent(textwrap.dedent(body), "    "),
        encoding="utf-8",
    )
    marker = uuid.uuid4().hex
    try:
        done = subprocess.run(
            [sys.executable, script],
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=False,
            env={**os.environ, MARKER_VARIABLE: marker},
            cwd=Path(tmp_path),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the script did not exit within {HANG_SECONDS} s")
    finally:
        left = marked_pids(marker)
        for pid in left:  # a hung run's workers: ours to end, by their pid
            os.kill(pid, 9)
    assert (done.returncode, done.stdout, done.stderr) == (0, "see_doctor\n", "")
    assert left == set()

"""A worker process that dies is a WorkerError at its position, never a hang.

``evaluate_many(workers=2)`` ran on a ProcessPoolExecutor, whose workers
share one result pipe: a worker killed (``kill -9``) half-way through writing
a result left half a message in it, and the reader waited for the rest for
ever while the other worker held the pipe open (4 hangs in 12 trials). Each
worker now has a pipe of its own. The trials here kill a real worker at a
different moment each time, from another thread while decisions stream out.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import pickle
import re
import signal
import threading
from typing import Any

import pytest

from neurotriage import (
    NeurotriageError,
    Profile,
    WorkerError,
    default_rules,
    evaluate,
    evaluate_many,
)
from neurotriage.analysis import input_space
from neurotriage.pipeline.batch import CHUNK_ITEMS, map_ordered
from tests.conftest import SAFE
from tests.processes import (
    marked_pids,
    needs_proc,
    profiles_file,
    spawned_pids,
    start_marked,
    wait_for,
    written_temp_file,
)

TRIALS = 20
#: A trial that takes longer than this hangs (a trial takes a few seconds).
HANG_SECONDS = 120


@functools.cache
def sample() -> list[Profile]:
    """Varied profiles, so that results differ in size and chunks take varied times."""
    return list(input_space(default_rules()))[::97][:1000]


def workers_of_this_process() -> list[multiprocessing.Process]:
    """The worker processes evaluate_many() has running for this process."""
    return [
        child
        for child in multiprocessing.active_children()
        if child.name.startswith("neurotriage-worker-")
    ]


def consume_and_kill(kill_after: int, victim: int) -> dict[str, Any]:
    """Stream decisions; once ``kill_after`` have come, another thread kills a worker."""
    outcome: dict[str, Any] = {"decisions": [], "killed": None}
    enough = threading.Event()

    def consume() -> None:
        try:
            for decision in evaluate_many(itertools.cycle(sample()), workers=2):
                outcome["decisions"].append(decision)
                if len(outcome["decisions"]) == kill_after:
                    enough.set()
        except Exception as err:  # noqa: BLE001 - what the test looks at
            outcome["error"] = err
        finally:
            enough.set()

    def kill() -> None:
        enough.wait()
        workers = sorted(workers_of_this_process(), key=lambda child: child.name)
        if len(workers) == 2:
            outcome["killed"] = workers[victim].pid
            os.kill(workers[victim].pid, signal.SIGKILL)

    threads = [threading.Thread(target=consume, daemon=True), threading.Thread(target=kill)]
    for thread in threads:
        thread.start()
    threads[0].join(HANG_SECONDS)
    threads[1].join(HANG_SECONDS)
    outcome["hung"] = threads[0].is_alive()
    return outcome


@pytest.mark.slow
def test_a_killed_worker_always_raises_worker_error_after_the_decisions_before_it():
    """In 20 trials a ``kill -9`` of a worker ends the iteration with WorkerError, never a hang."""
    expected = [evaluate(profile) for profile in sample()]
    message = re.compile(
        r"worker process (?P<worker>[12]) of 2 \(pid (?P<pid>\d+)\) was killed by SIGKILL"
        r" \(signal 9\) before the profile at index (?P<index>\d+) of the input was decided"
    )
    for trial in range(TRIALS):
        outcome = consume_and_kill(kill_after=200 + 311 * trial, victim=trial % 2)
        assert not outcome["hung"], f"trial {trial} hung"
        assert outcome["killed"] is not None, f"trial {trial}: no worker to kill"
        error = outcome["error"]
        assert isinstance(error, WorkerError)
        assert isinstance(error, NeurotriageError)
        assert isinstance(error, RuntimeError)
        match = message.fullmatch(str(error))
        assert match is not None, str(error)
        assert (error.pid, error.exitcode) == (outcome["killed"], -signal.SIGKILL)
        assert (error.worker, error.index) == (int(match["worker"]), int(match["index"]))
        decisions = outcome["decisions"]
        assert error.index == len(decisions) >= 200 + 311 * trial
        assert decisions == [expected[index % len(expected)] for index in range(len(decisions))]
        assert workers_of_this_process() == []


def exit_at_700(rules: Any, backend: Any, item: int) -> int:
    """A task whose worker process exits with status 3 at item 700."""
    if item == 700:
        os._exit(3)
    return item * 2


def test_a_worker_that_exits_names_its_exit_code_and_the_first_item_not_decided():
    """The error names the worker, its exit code and the index after the last result yielded."""
    results = map_ordered(
        exit_at_700, range(5000), rules=default_rules(), backend="reference", workers=2
    )
    yielded = []
    with pytest.raises(WorkerError) as caught:
        yielded.extend(results)
    # chunk 0 (items 0-255) and chunk 2 (512-767) went to worker 1, which died in chunk 2
    assert yielded == [(item, item * 2) for item in range(2 * CHUNK_ITEMS)]
    error = caught.value
    assert str(error) == (
        f"worker process 1 of 2 (pid {error.pid}) exited with code 3 before the item at"
        " index 512 of the input was decided"
    )
    assert (error.worker, error.exitcode, error.index) == (1, 3, 512)
    assert workers_of_this_process() == []


def test_worker_error_survives_pickling():
    """A WorkerError unpickles with its message and every field."""
    error = WorkerError("worker process 2 of 2 ...", 2, 4242, -9, 512)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own data
    assert type(copy) is WorkerError
    assert (str(copy), copy.worker, copy.pid, copy.exitcode, copy.index) == (
        "worker process 2 of 2 ...",
        2,
        4242,
        -9,
        512,
    )


@needs_proc
def test_the_command_exits_2_naming_the_killed_worker_and_writes_no_out(tmp_path):
    """``evaluate-many --workers 2`` with a worker killed: exit 2, one line, OUT untouched."""
    source = profiles_file(tmp_path / "in.jsonl", SAFE, 300_000)
    target = tmp_path / "out.jsonl"
    target.write_text("old results\n", encoding="utf-8")
    argv = ["evaluate-many", source, "-o", target, "--workers", "2"]
    with start_marked(argv) as (process, marker):
        wait_for(
            lambda: written_temp_file(tmp_path),
            timeout=HANG_SECONDS,
            what="a temporary file with records",
        )
        workers = wait_for(
            lambda: len(pids := spawned_pids(marker)) == 2 and pids,
            timeout=HANG_SECONDS,
            what="two worker processes",
        )
        os.kill(workers[0], signal.SIGKILL)
        out, err = process.communicate(timeout=HANG_SECONDS)
    assert (process.returncode, out) == (2, b"")
    assert re.fullmatch(
        rb"neurotriage: error: worker process [12] of 2 \(pid "
        + str(workers[0]).encode()
        + rb"\) was killed by SIGKILL \(signal 9\) before line \d+ was decided\n",
        err,
    ), err
    assert target.read_text(encoding="utf-8") == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    wait_for(lambda: not marked_pids(marker), timeout=HANG_SECONDS, what="every child's end")

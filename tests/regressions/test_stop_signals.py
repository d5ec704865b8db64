"""SIGTERM and SIGHUP clean up as Ctrl-C does; a killed command leaves no worker running.

SIGTERM or SIGHUP during ``evaluate-many`` ended the process at once: a
hidden partial temporary file (50-477 MB) stayed beside OUT and, with
``--workers``, two worker processes and multiprocessing's resource tracker
ran on for minutes. Now the command removes the temporary file, stops every
child, keeps OUT and exits 143 (SIGTERM) or 129 (SIGHUP); after ``kill -9``
of the command, its workers notice their pipe end and exit.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurotriage.cli._many
from neurotriage.cli._process import Stopped, stop_on_signals
from tests.clitools import Run, cli
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

#: Lines in the input: a run of a minute or more, so the signal lands mid-run.
LINES = 400_000
#: Anything that takes longer than this hangs (each step takes a few seconds).
HANG_SECONDS = 120
OLD = "old results\n"


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large JSON Lines input, shared by the tests of this module."""
    return profiles_file(tmp_path_factory.mktemp("input") / "in.jsonl", SAFE, LINES)


@contextlib.contextmanager
def started_run(
    big_input: Path, tmp_path: Path, workers: int
) -> Iterator[tuple[Any, str, list[int]]]:
    """Run evaluate-many into tmp_path/out.jsonl; yield once records are being written.

    Yields the process, its marker and the pids of its worker processes.
    """
    target = tmp_path / "out.jsonl"
    target.write_text(OLD, encoding="utf-8")
    argv = ["evaluate-many", big_input, "-o", target, "--workers", str(workers)]
    with start_marked(argv) as (process, marker):
        wait_for(
            lambda: written_temp_file(tmp_path) or process.poll() is not None,
            timeout=HANG_SECONDS,
            what="a temporary file with records",
        )
        assert process.poll() is None, "the run ended before the signal"
        workers_seen = spawned_pids(marker)
        assert len(workers_seen) == (workers if workers > 1 else 0)
        yield process, marker, workers_seen


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "status", "workers"),
    [
        pytest.param(signal.SIGTERM, 143, 1, id="SIGTERM"),
        pytest.param(signal.SIGTERM, 143, 2, id="SIGTERM-workers"),
        pytest.param(signal.SIGHUP, 129, 1, id="SIGHUP"),
        pytest.param(signal.SIGHUP, 129, 2, id="SIGHUP-workers"),
    ],
)
def test_a_signal_mid_run_cleans_up_and_exits_128_plus_its_number(
    big_input, tmp_path, signum, status, workers
):
    """The temporary file goes, OUT keeps its content, no child is left; exit 143 or 129."""
    with started_run(big_input, tmp_path, workers) as (process, marker, workers_seen):
        process.send_signal(signum)
        out, err = process.communicate(timeout=HANG_SECONDS)
    name = signal.Signals(signum).name
    assert (process.returncode, out, err) == (
        status,
        b"",
        f"neurotriage: stopped by {name}\n".encode(),
    )
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    # the workers were stopped by the command; the resource tracker ended with it
    assert [pid for pid in workers_seen if Path(f"/proc/{pid}").exists()] == []
    wait_for(lambda: not marked_pids(marker), timeout=HANG_SECONDS, what="every child's end")


@needs_proc
@pytest.mark.slow
def test_the_workers_of_a_command_killed_with_sigkill_exit_too(big_input, tmp_path):
    """``kill -9`` of the command: its workers see their pipe end and exit; OUT is kept."""
    with started_run(big_input, tmp_path, 2) as (process, marker, workers_seen):
        assert len(workers_seen) == 2
        process.kill()
        process.communicate(timeout=HANG_SECONDS)
    assert process.returncode == -signal.SIGKILL
    # nothing could remove the temporary file, but the workers and the tracker all go
    wait_for(lambda: not marked_pids(marker), timeout=HANG_SECONDS, what="every child's end")
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == OLD


def test_stopped_in_process_exits_143_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """main() maps Stopped(SIGTERM) to exit 143 and one line, after the same clean-up."""

    def stopped(*args: Any) -> Any:
        raise Stopped(signal.SIGTERM)

    monkeypatch.setattr(neurotriage.cli._many, "_record", stopped)
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"open_wounds": true}\n', encoding="utf-8")
    target.write_text(OLD, encoding="utf-8")
    run = cli("evaluate-many", source, "-o", target)
    assert run == Run(143, "", "neurotriage: stopped by SIGTERM\n")
    assert target.read_text(encoding="utf-8") == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_signals_are_handled_only_inside_the_block_and_raise_stopped_once():
    """stop_on_signals() turns the first SIGTERM into Stopped, ignores the next, then restores."""
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    with pytest.raises(Stopped) as caught, stop_on_signals():
        signal.raise_signal(signal.SIGTERM)  # runs the handler before it returns
    assert (caught.value.name, caught.value.status) == ("SIGTERM", 143)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    with stop_on_signals():
        with pytest.raises(Stopped) as caught:
            signal.raise_signal(signal.SIGHUP)
        assert (caught.value.name, caught.value.status) == ("SIGHUP", 129)
        signal.raise_signal(signal.SIGHUP)  # a second signal: ignored during the clean-up
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL


def test_a_signal_the_process_ignores_stays_ignored():
    """Under ``nohup`` (SIGHUP ignored) the command leaves SIGHUP ignored."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_on_signals():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)

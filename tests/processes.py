"""Running the real command in a child process, and finding the processes it left.

A child is given a marker in its environment; every process it starts
(worker processes, multiprocessing's resource tracker) inherits it, so
``marked_pids(marker)`` finds them all in ``/proc`` without knowing their
parents. Linux only: the tests that use it skip where there is no ``/proc``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "MARKER_VARIABLE",
    "PROC",
    "cmdline",
    "console_command",
    "marked_pids",
    "needs_proc",
    "profiles_file",
    "spawned_pids",
    "start_marked",
    "wait_for",
    "written_temp_file",
]

#: The environment variable that marks a test's command and its descendants.
MARKER_VARIABLE = "NEUROTRIAGE_TEST_MARKER"

PROC = Path("/proc")

#: Skip a test that looks for processes where /proc cannot show them.
needs_proc = pytest.mark.skipif(
    not (PROC / "self" / "environ").exists(), reason="needs Linux /proc"
)


def console_command() -> list[str]:
    """The installed ``neurotriage`` console script (``python -m neurotriage`` if absent)."""
    script = Path(sys.executable).with_name("neurotriage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "neurotriage"]


@contextlib.contextmanager
def start_marked(
    argv: Sequence[str | os.PathLike[str]], **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``neurotriage ARGV`` with a fresh marker; yield the process and its marker.

    On leaving the block the process is killed if it still runs, its pipes
    are closed and it is waited for, even when the test failed.
    """
    marker = uuid.uuid4().hex
    process = subprocess.Popen(
        [*console_command(), *map(os.fspath, argv)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C.UTF-8", **env, MARKER_VARIABLE: marker},
    )
    with process:
        try:
            yield process, marker
        finally:
            if process.poll() is None:
                process.kill()


def marked_pids(marker: str) -> set[int]:
    """The live processes whose environment holds ``marker`` (a zombie's is empty)."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours
            continue
        if needle in environment.split(b"\0"):
            found.add(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    """The command line of process ``pid``, NUL-separated (empty once it is gone)."""
    try:
        return (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def spawned_pids(marker: str) -> list[int]:
    """The marked worker processes ("spawn" children running multiprocessing's spawn_main)."""
    return sorted(pid for pid in marked_pids(marker) if b"spawn_main" in cmdline(pid))


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it is true; fail saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)
    return result


def profiles_file(path: Path, profile: dict[str, Any], count: int) -> Path:
    """Write ``count`` copies of ``profile`` as JSON Lines to ``path``."""
    line = json.dumps(profile).encode() + b"\n"
    with path.open("wb") as handle:
        for _ in range(count // 1000):
            handle.write(line * 1000)
        handle.write(line * (count % 1000))
    return path


def written_temp_file(directory: Path) -> bool:
    """Whether ``directory`` holds a temporary output file with something in it."""
    for path in directory.glob(".*.tmp"):
        try:
            if path.stat().st_size:
                return True
        except OSError:  # renamed or removed meanwhile
            continue
    return False

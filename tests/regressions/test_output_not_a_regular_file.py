"""``evaluate-many -o OUT`` refuses an OUT that is not a regular file, and leaves it alone.

OUT is written under a temporary name and renamed over OUT at the end, and
the rename replaced whatever OUT was: run as root, ``-o /dev/full`` turned
the device into a 6,422-byte regular file, a symbolic link was replaced by
a file, and a FIFO's reader got nothing. Now an OUT that exists and is not a
regular file is refused (exit 2, naming it) before anything is read.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

import neurotriage.cli._many
from neurotriage import evaluate
from tests.clitools import Run, cli, many_summary
from tests.conftest import SAFE

ADVICE = (
    "evaluate-many replaces OUT with a new file, so OUT must be a regular file or a new name"
    " (or -, for standard output)"
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory (short relative names: a socket's path is short)."""
    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_text('{"open_wounds": true}\n', encoding="utf-8")
    return tmp_path


def test_a_symbolic_link_is_refused_and_neither_it_nor_its_target_changes(here):
    """OUT a symbolic link: exit 2 naming it; the link and the file it points to are intact."""
    Path("target.jsonl").write_text("old results\n", encoding="utf-8")
    Path("out.jsonl").symlink_to("target.jsonl")
    run = cli("evaluate-many", "in.jsonl", "-o", "out.jsonl")
    assert run == Run(
        2, "", f"neurotriage: error: cannot write out.jsonl: it is a symbolic link; {ADVICE}\n"
    )
    assert os.readlink("out.jsonl") == "target.jsonl"
    assert Path("target.jsonl").read_text(encoding="utf-8") == "old results\n"
    assert sorted(os.listdir()) == ["in.jsonl", "out.jsonl", "target.jsonl"]


def test_a_dangling_symbolic_link_is_refused_too(here):
    """OUT a link to nothing is still a link: refused, not replaced by a file."""
    Path("out.jsonl").symlink_to("nowhere.jsonl")
    run = cli("evaluate-many", "in.jsonl", "-o", "out.jsonl")
    assert run.code == 2
    assert (
        run.err == f"neurotriage: error: cannot write out.jsonl: it is a symbolic link; {ADVICE}\n"
    )
    assert os.readlink("out.jsonl") == "nowhere.jsonl"


def test_a_fifo_is_refused_and_stays_a_fifo(here):
    """OUT a named pipe: exit 2 naming it; it is still a FIFO (never opened, so nothing blocks)."""
    os.mkfifo("out.fifo")
    run = cli("evaluate-many", "in.jsonl", "-o", "out.fifo")
    assert run == Run(
        2,
        "",
        f"neurotriage: error: cannot write out.fifo: it is a named pipe (FIFO); {ADVICE}\n",
    )
    assert stat.S_ISFIFO(os.lstat("out.fifo").st_mode)
    assert sorted(os.listdir()) == ["in.jsonl", "out.fifo"]


@pytest.fixture
def device(here: Path) -> str:
    """A character device to give as OUT, never one that a regression could replace.

    As root, a regression would turn the system's /dev/full into a file (as the
    issue saw), so root gets a device node of its own; anyone else cannot
    create files in /dev, so /dev/full itself is safe to name.
    """
    if getattr(os, "geteuid", lambda: 0)() != 0 and os.path.exists("/dev/full"):
        return "/dev/full"
    try:
        os.mknod("full", stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (OSError, AttributeError):
        pytest.skip("cannot make a device node here")
    return "full"


def test_a_device_is_refused_and_left_alone(device):
    """OUT a character device: exit 2 naming it; it stays the same device."""
    before = os.lstat(device)
    run = cli("evaluate-many", "in.jsonl", "-o", device)
    assert run == Run(
        2, "", f"neurotriage: error: cannot write {device}: it is a character device; {ADVICE}\n"
    )
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not any(name.endswith(".tmp") for name in os.listdir(os.path.dirname(device) or "."))


def test_a_socket_is_refused_and_left_alone(here):
    """OUT a Unix socket: exit 2 naming it; it stays a socket."""
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("out.sock")
        run = cli("evaluate-many", "in.jsonl", "-o", "out.sock")
        assert stat.S_ISSOCK(os.lstat("out.sock").st_mode)
    assert run == Run(
        2, "", f"neurotriage: error: cannot write out.sock: it is a socket; {ADVICE}\n"
    )
    assert sorted(os.listdir()) == ["in.jsonl", "out.sock"]


def test_a_regular_file_is_still_replaced_whole(here):
    """OUT a regular file: replaced by the records, as before."""
    Path("out.jsonl").write_text("old results\n", encoding="utf-8")
    run = cli("evaluate-many", "in.jsonl", "-o", "out.jsonl")
    assert run == Run(0, "", many_summary(["see_doctor"]))
    (record,) = (json.loads(line) for line in Path("out.jsonl").read_text().splitlines())
    assert record["line"] == 1
    assert sorted(os.listdir()) == ["in.jsonl", "out.jsonl"]


def test_dash_writes_standard_output_even_beside_a_file_named_dash(here):
    """``-o -`` means standard output; a file called ``-`` is not touched."""
    Path("-").symlink_to("in.jsonl")
    run = cli("evaluate-many", "in.jsonl", "-o", "-")
    assert run.code == 0
    (record,) = (json.loads(line) for line in run.out.splitlines())
    assert record["decision"]["verdict"] == evaluate({"open_wounds": True}).verdict
    assert os.readlink("-") == "in.jsonl"


def test_out_turned_into_a_link_during_the_run_is_not_replaced(here, monkeypatch):
    """If OUT becomes a symbolic link while the records are written, it is left as it is."""
    Path("target.jsonl").write_text("old results\n", encoding="utf-8")
    Path("in.jsonl").write_text(json.dumps(SAFE) + "\n" + json.dumps(SAFE) + "\n")
    record = neurotriage.cli._many._record

    def swapping(*args: Any) -> Any:
        if not os.path.lexists("out.jsonl"):
            Path("out.jsonl").symlink_to("target.jsonl")  # someone else, mid-run
        return record(*args)

    monkeypatch.setattr(neurotriage.cli._many, "_record", swapping)
    run = cli("evaluate-many", "in.jsonl", "-o", "out.jsonl")
    assert run == Run(
        2, "", f"neurotriage: error: cannot write out.jsonl: it is a symbolic link; {ADVICE}\n"
    )
    assert os.readlink("out.jsonl") == "target.jsonl"
    assert Path("target.jsonl").read_text(encoding="utf-8") == "old results\n"
    assert sorted(os.listdir()) == ["in.jsonl", "out.jsonl", "target.jsonl"]

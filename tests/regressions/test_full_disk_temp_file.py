"""On a full disk, evaluate-many removes its temporary file (the disk no longer stays full).

The temporary file was removed by ``discard()``, which closed the stream
first: on a full disk the close flushes, fails with ENOSPC, and the unlink
never ran, so the partial file stayed and kept the disk full.
"""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import neurotriage.cli._many
from tests.clitools import Run, cli
from tests.conftest import SAFE


class FullDisk(io.RawIOBase):
    """A file descriptor on a disk with room for ``room`` more bytes."""

    def __init__(self, descriptor: int, room: int) -> None:
        self.descriptor, self.room = descriptor, room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return os.write(self.descriptor, data)

    def close(self) -> None:
        if not self.closed:
            os.close(self.descriptor)
        super().close()


@pytest.mark.parametrize(
    ("lines", "room"),
    [
        pytest.param(200, 20_000, id="mid-run"),  # a write fails after ~20 kB
        pytest.param(1, 0, id="at-the-end"),  # one record, buffered: the final flush fails
    ],
)
def test_a_full_disk_exits_2_and_removes_the_temporary_file(tmp_path, monkeypatch, lines, room):
    """ENOSPC while writing OUT: exit 2 with one line, OUT as it was, no temporary file left."""

    def open_on_full_disk(file: Any, mode: str, **kwargs: Any) -> Any:
        if mode != "w":  # reading the input
            return open(file, mode, **kwargs)
        return io.TextIOWrapper(io.BufferedWriter(FullDisk(file, room)), **kwargs)

    monkeypatch.setattr(neurotriage.cli._many, "open", open_on_full_disk, raising=False)
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text((json.dumps(SAFE) + "\n") * lines, encoding="utf-8")
    target.write_text("old results\n", encoding="utf-8")
    run = cli("evaluate-many", source, "-o", target)
    assert run == Run(
        2, "", "neurotriage: error: cannot write the output: No space left on device\n"
    )
    assert target.read_text(encoding="utf-8") == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_discard_removes_the_file_even_when_closing_fails(tmp_path: Path):
    """Output.discard() unlinks the temporary file although the stream's close raises."""
    output = neurotriage.cli._many.Output(str(tmp_path / "out.jsonl"), io.StringIO())
    (temp,) = tmp_path.iterdir()
    real = output.stream
    output.stream = io.TextIOWrapper(io.BufferedWriter(FullDisk(os.dup(real.fileno()), 0)))
    real.close()
    output.stream.write("x" * 100)
    output.discard()
    assert not temp.exists()
    assert output.stream.closed

"""A progress line for long analyses, drawn only on a terminal."""

from __future__ import annotations

import time
from typing import IO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """``neurotriage verify: evaluating rules 45%``, redrawn at most 5 times a second.

    On anything but a terminal it draws nothing, so pipes and logs stay clean.
    Call :meth:`close` when the work is done: the line is wiped.
    """

    def __init__(self, command: str, stream: IO[str]) -> None:
        try:
            terminal = stream.isatty()
        except (AttributeError, ValueError, OSError):
            terminal = False
        self.command = command
        self.stream = stream if terminal else None
        self.shown = 0.0
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self.shown < 0.2:
            return
        self.shown = now
        share = f" {100 * done // total}%" if total > 1 else ""
        text = f"neurotriage {self.command}: {stage}{share}"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        """Wipe the progress line, if one was drawn."""
        if self.stream is not None and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

"""What the command does when it owns the process: signals and the standard streams.

**Signals.** SIGTERM (``kill``, a service manager, ``timeout``) and SIGHUP
(a closed terminal) would end the process at once, leaving the temporary
output file of ``evaluate-many`` behind and its worker processes running.
While the command runs, each raises :class:`Stopped` instead, which unwinds
the stack like Ctrl-C's KeyboardInterrupt: every ``finally`` block runs
(the temporary file is removed, the workers are stopped), and the command
exits with 128 + the signal's number (143, 129), as a shell reports a
process killed by it. A signal the process was started ignoring (``nohup``
ignores SIGHUP) stays ignored. Once the first has arrived, later ones are
ignored, so that they cannot interrupt the clean-up.

**Streams.** Standard output and error may have an encoding that cannot
represent every character (``PYTHONIOENCODING=ascii``, a C locale on an old
system), and a rule's text or a file name may hold any. Rather than crash
with UnicodeEncodeError, a character the stream cannot encode is written as
a JSON escape (``\\u00e9``; a pair of them beyond U+FFFF): readable in text,
and still the same string in JSON output (``evaluate --json``, the records
of ``evaluate-many -o -``), where Python's own ``backslashreplace`` would
write ``\\xe9``, which JSON does not allow.
"""

from __future__ import annotations

import codecs
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import IO

__all__ = ["ESCAPE", "Stopped", "escape_unencodable", "stop_on_signals"]

#: The name of the codec error handler that writes \uXXXX escapes.
ESCAPE = "neurotriage.escape"


def _escape(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code > 0xFFFF:  # JSON spells it as a UTF-16 surrogate pair
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), error.end


codecs.register_error(ESCAPE, _escape)


def escape_unencodable(stream: IO[str]) -> IO[str]:
    """``stream``, set to escape what its encoding cannot represent (where it can be set)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # a closed or detached stream: leave it
            reconfigure(errors=ESCAPE)
    return stream


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived; a BaseException, so ``except Exception`` lets it through."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.name = signal.Signals(signum).name
        self.status = 128 + signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While in the block, SIGTERM and SIGHUP raise Stopped (see the module docs)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can handle signals
        return
    names = ("SIGTERM", "SIGHUP")
    signums = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {signum: signal.getsignal(signum) for signum in signums}
    caught = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal caught
        if not caught:  # the first one unwinds; later ones must not interrupt the clean-up
            caught = True
            raise Stopped(signum)

    for signum, handler in previous.items():
        if handler == signal.SIG_DFL:
            signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)

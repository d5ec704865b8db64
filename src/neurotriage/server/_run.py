"""Running the service: bind the address first (a clear error if it is taken), then uvicorn.

The socket is bound here, not by uvicorn, so that an address in use or a
port that needs privileges is one error message (:class:`ServeError`), not
uvicorn's log and exit; and so that port 0 (any free port) can be told to
the caller before the first request. uvicorn's own messages go to standard
error, one line each and never a traceback; there is no access log (the
decision log is the record of what was served).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from neurotriage._errors import NeurotriageError

__all__ = ["ServeError", "bind", "run"]

#: How many connections may wait to be accepted.
BACKLOG = 2048
#: Seconds that open requests get to finish once a stop is asked for.
GRACEFUL_SECONDS = 5


class ServeError(NeurotriageError, OSError):
    """The service cannot listen where it was asked to (address in use, no permission...)."""


class _OneLine(logging.Formatter):
    """A log record as one line: its message, and an exception's type and text, no traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"neurotriage: server: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        return text


_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line": {"()": _OneLine}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "one_line",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


def _described(error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return "no such host"
    return {98: "the address is already in use", 13: "permission denied"}.get(
        error.errno or 0, error.strerror or str(error)
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port`` (port 0: any free port)."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise ServeError(f"cannot listen on {where}: {_described(error)}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)  # connections wait in the queue until the server accepts them
    except OSError as error:
        sock.close()
        raise ServeError(f"cannot listen on {where}: {_described(error)}") from None
    return sock


def run(app: Any, sock: socket.socket, *, on_listening: Callable[[str], None]) -> None:
    """Serve ``app`` on the bound ``sock`` until stopped (SIGINT or SIGTERM: graceful)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        app,
        log_config=_LOG_CONFIG,
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    server = uvicorn.Server(config)
    on_listening(f"http://{shown}:{port}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise ServeError(f"the service on {shown}:{port} could not start (see the line above)")

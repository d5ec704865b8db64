"""Pure ASGI middleware: limits on what a request may send, and no traceback ever.

:class:`RequestLimits` acts before any parsing:

* A body larger than ``max_bytes`` is refused with 413, as a JSON error. A
  ``Content-Length`` over the limit is refused before a byte of the body is
  read; a body sent without one (chunked) is counted as it arrives, and
  refused as soon as it passes the limit.
* A body that stops arriving (more than ``body_seconds`` for the whole of it)
  is refused with 408, so a client that trickles its body cannot hold a
  request open for ever. Other clients are never kept waiting by one that is
  slow: the server reads every connection concurrently.

:class:`NoTraceback` answers an unexpected error with a 500 and a JSON
error (never the traceback) and reports it as one line on standard error.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

__all__ = ["BODY_SECONDS", "MAX_BODY_BYTES", "NoTraceback", "RequestLimits"]

#: The largest request body accepted (1 MiB).
MAX_BODY_BYTES = 1024 * 1024
#: How long a whole request body may take to arrive.
BODY_SECONDS = 30.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _Refused(Exception):  # noqa: N818 - not an error of the service: the request was refused
    """The request broke a limit; the answer has been sent."""


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestLimits:
    """ASGI middleware: 413 for a body over ``max_bytes``, 408 for a slower one than allowed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = MAX_BODY_BYTES,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_seconds = body_seconds

    def _too_large(self) -> str:
        return f"the request body is over the limit of {self.max_bytes:,} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _answer(send, 413, self._too_large())
            return
        received = 0
        deadline = time.monotonic() + self.body_seconds
        answered = False  # by this middleware: the app's own answer is then dropped
        started = False  # the app's answer has begun
        whole = False  # the whole body has arrived: later receives wait for a disconnect

        async def limited_receive() -> Message:
            nonlocal received, answered, whole
            if whole:
                return await receive()
            left = deadline - time.monotonic()
            with anyio.move_on_after(max(left, 0)) as waited:
                message = await receive()
            if waited.cancelled_caught:
                if not started:
                    answered = True
                    await _answer(send, 408, "the request body took too long to arrive")
                raise _Refused
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if not started:
                        answered = True
                        await _answer(send, 413, self._too_large())
                    raise _Refused
                whole = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _Refused:
            if not answered:
                raise


class NoTraceback:
    """ASGI middleware: an exception from the app becomes a 500 with a JSON error.

    The client learns only that it failed; standard error gets one line
    naming the request and the exception (its type and message), never a
    traceback, and never the request's body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:  # noqa: BLE001 - the point: no request ends in a traceback
            print(
                f"neurotriage: error: {scope.get('method')} {scope.get('path')} failed: "
                f"{type(error).__name__}: {error}",
                file=sys.stderr,
                flush=True,
            )
            if not started:
                await _answer(send, 500, "the service failed to answer; the failure is logged")

"""The ASGI middleware in-process: body limits by count and by time, no traceback ever."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from neurotriage.server import NoTraceback, RequestLimits


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A tiny app: reads the whole body, answers 200 with its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def call(app: Any, chunks: list[bytes | None], headers: list[tuple[bytes, bytes]] = ()) -> list:
    """Run ``app`` on one request whose body arrives as ``chunks`` (None: a stall)."""
    sent: list[dict[str, Any]] = []
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        chunk = pending.pop(0)
        if chunk is None:
            await asyncio.sleep(3600)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": list(headers)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    return sent


def status_and_error(sent: list[dict[str, Any]]) -> tuple[int, str]:
    start, body = sent
    return start["status"], json.loads(body["body"])["error"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit():
    """No Content-Length: counted as it arrives, 413 past max_bytes, the app's answer dropped."""
    app = RequestLimits(echo_length, max_bytes=10)
    assert status_and_error(call(app, [b"123456", b"123456", b"more"])) == (
        413,
        "the request body is over the limit of 10 bytes",
    )
    assert call(app, [b"12345", b"12345"])[1]["body"] == b"10"


def test_a_declared_length_over_the_limit_is_refused_unread():
    """Content-Length over max_bytes: 413 before the app runs or a byte is read."""
    app = RequestLimits(echo_length, max_bytes=10)
    sent = call(app, [], headers=[(b"content-length", b"11")])
    assert status_and_error(sent)[0] == 413


def test_a_body_that_stalls_is_408():
    """A body that stops arriving is answered 408 after body_seconds."""
    app = RequestLimits(echo_length, body_seconds=0.2)
    assert status_and_error(call(app, [b"12", None])) == (
        408,
        "the request body took too long to arrive",
    )


def test_an_exception_is_a_json_500_and_one_line(capsys):
    """An app that raises: 500 with a JSON error; stderr has one line, no traceback."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    assert status_and_error(call(NoTraceback(broken), [b""])) == (
        500,
        "the service failed to answer; the failure is logged",
    )
    assert capsys.readouterr().err == "neurotriage: error: POST /x failed: RuntimeError: boom\n"

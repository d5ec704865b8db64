"""The docs shell's commands for a live server: ``neurotriage serve ... &``, ``curl``, json.tool.

``tests/docs_shell.py`` runs these for a page (see its docstring for the rest):

- ``neurotriage serve ARGS &`` starts the real command in a child process, in the
  background, as a terminal would; the page's shell stops it (SIGTERM) when the
  page ends. It shows the line the server prints once it listens. The port a
  page names (``--port 8080``) is mapped to a free port of 127.0.0.1, as
  ``/tmp`` is mapped to the page's directory, and the output shows it as the
  page's port again; the server only ever listens on 127.0.0.1.
- ``curl [-s] [-X METHOD] [-H 'NAME: VALUE'] [-d DATA | -d @FILE] [-w FORMAT] URL``
  sends one real HTTP request (httpx) to that server (only to 127.0.0.1) and
  shows the body; ``-w`` may hold ``%{http_code}`` and ``\\n``.
- ``python -m json.tool [--json-lines]`` re-indents JSON read from the pipe.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

__all__ = ["Servers", "curl", "json_tool"]

_LISTENING = re.compile(r"at http://127\.0\.0\.1:(\d+) ")
_HOST = "127.0.0.1"


class HttpShellError(Exception):
    """A docs example uses a form of these commands that is not run here."""


@dataclass
class Servers:
    """The page's background servers, and the port each page port is mapped to."""

    tmp: Path
    ports: dict[str, str] = field(default_factory=dict)  # page port -> real port
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: list[str]) -> str:
        """Start ``neurotriage ARGV`` (a ``serve``) in the background; the line it prints."""
        argv = list(argv)
        if not argv or argv[0] != "serve":
            raise HttpShellError(f"only 'neurotriage serve' runs in the background: {argv!r}")
        if "--host" in argv and argv[argv.index("--host") + 1] != _HOST:
            raise HttpShellError("a docs example serves on 127.0.0.1 only")
        shown = argv[argv.index("--port") + 1] if "--port" in argv else "8080"
        if "--port" in argv:
            argv[argv.index("--port") + 1] = "0"
        else:
            argv += ["--port", "0"]
        errors = self.tmp / f".serve-{len(self._processes)}.err"
        script = Path(sys.executable).with_name("neurotriage")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "neurotriage"]
        with errors.open("wb") as stderr:
            process = subprocess.Popen(
                [*command, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, "LC_ALL": "C.UTF-8", "COLUMNS": "80"},
            )
        self._processes.append(process)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = errors.read_text(encoding="utf-8", errors="replace")
            if found := _LISTENING.search(text):
                self.ports[shown] = found.group(1)
                return self.shown_ports(text)
            if process.poll() is not None:
                return text
            time.sleep(0.05)
        raise HttpShellError("neurotriage serve did not listen within 90 s")

    def real_url(self, url: str) -> str:
        """``url`` with the page's port replaced by the server's."""
        parts = urlsplit(url)
        if parts.hostname != _HOST or str(parts.port) not in self.ports:
            raise HttpShellError(f"curl here reaches a server the page started, not {url!r}")
        return url.replace(f":{parts.port}", f":{self.ports[str(parts.port)]}", 1)

    def shown_ports(self, text: str) -> str:
        """``text`` with each real port written as the page's."""
        for page_port, real in self.ports.items():
            text = text.replace(f"{_HOST}:{real}", f"{_HOST}:{page_port}")
        return text

    def close(self) -> None:
        """Stop every background server (SIGTERM, then SIGKILL)."""
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._processes.clear()


def _format(written: str, status: int) -> str:
    if set(re.findall(r"%\{[^}]*\}", written)) - {"%{http_code}"}:
        raise HttpShellError(f"curl -w here takes %{{http_code}} and \\n only: {written!r}")
    return written.replace("%{http_code}", str(status)).replace("\\n", "\n")


def curl(args: list[str], servers: Servers, read: Callable[[str], str]) -> tuple[int, str, str]:
    """Run one ``curl`` command line (see the module docs); ``read(word)`` reads ``@FILE``."""
    method: str | None = None
    headers: dict[str, str] = {}
    data: str | None = None
    written: str | None = None
    url: str | None = None
    words = iter(args)
    for word in words:
        if word in ("-s", "--silent"):
            continue
        if word in ("-X", "--request"):
            method = next(words)
        elif word in ("-H", "--header"):
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-binary"):
            given = next(words)
            data = read(given[1:]) if given.startswith("@") else given
        elif word in ("-w", "--write-out"):
            written = next(words)
        elif word.startswith("-") or url is not None:
            raise HttpShellError(f"curl here takes -s, -X, -H, -d and -w only: {args!r}")
        else:
            url = word
    if url is None:
        raise HttpShellError(f"curl needs a URL: {args!r}")
    verb = method or ("POST" if data is not None else "GET")
    answer = httpx.request(verb, servers.real_url(url), headers=headers, content=data, timeout=30)
    out = answer.text
    if written is not None:
        out += _format(written, answer.status_code)
    return 0, out, ""


def json_tool(args: list[str], stdin: str | None) -> tuple[int, str, str]:
    """``python -m json.tool [--json-lines]``: JSON from the pipe, indented by 4."""
    if args[:2] != ["-m", "json.tool"] or set(args[2:]) - {"--json-lines"}:
        raise HttpShellError(f"python here runs -m json.tool [--json-lines] only: {args!r}")
    text = stdin or ""
    values = (
        [json.loads(line) for line in text.splitlines() if line.strip()]
        if "--json-lines" in args
        else [json.loads(text)]
    )
    return 0, "".join(json.dumps(value, indent=4) + "\n" for value in values), ""

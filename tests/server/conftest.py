"""One live ``neurotriage serve`` (the default pack) shared by the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.servers import LiveServer, live_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The default pack served on a free port of 127.0.0.1, its decision log in a temp dir."""
    with live_server(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the live server."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http

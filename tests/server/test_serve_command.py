"""``neurotriage serve``: its options, its clean failures, another pack, a clean stop."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

import neurotriage
from tests.clitools import assert_clean_failure, cli
from tests.servers import hook_call, live_server, stop


def test_serve_without_the_extra_says_what_to_install(monkeypatch):
    """Without fastapi, exit 2 and the pip command, no traceback."""
    for name in list(sys.modules):
        if name.startswith(("neurotriage.server", "fastapi")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(neurotriage, "server", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi now fails
    with socket.socket() as taken:  # should serve() start after all, it fails instead of hanging
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = cli("serve", "--port", str(taken.getsockname()[1]), "--no-decision-log")
    assert_clean_failure(run)
    assert run.err == (
        "neurotriage: error: 'neurotriage serve' needs the server extra: "
        "pip install 'neurotriage[server]'\n"
    )


def test_the_library_and_its_command_import_no_server_code():
    """import neurotriage and its CLI load neither FastAPI nor uvicorn (they are the extra's)."""
    code = (
        "import sys, neurotriage, neurotriage.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', "
        "'starlette') or m.startswith('neurotriage.server')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout == "[]\n"


def test_a_port_in_use_is_one_clear_error():
    """Another process holds the port: exit 2, naming the address, before serving anything."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = cli("serve", "--host", "127.0.0.1", "--port", str(port), "--no-decision-log")
    assert_clean_failure(run)
    assert run.err == (
        f"neurotriage: error: cannot listen on 127.0.0.1:{port}: the address is already in use\n"
    )


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_usage_error(port):
    """A port outside 0-65535 or not a number: argparse's exit 2."""
    run = cli("serve", "--port", port)
    assert run.code == 2
    assert "argument --port:" in run.err


def test_a_bad_rules_directory_fails_before_listening(tmp_path):
    """--rules naming no rules: exit 2 with the loader's message, nothing served."""
    run = cli("serve", "--rules", tmp_path / "missing", "--port", "0", "--no-decision-log")
    assert_clean_failure(run)


def test_an_unwritable_decision_log_fails_before_listening(tmp_path):
    """A log path that is a directory: exit 2 naming it."""
    (tmp_path / "log").mkdir()
    run = cli("serve", "--port", "0", "--decision-log", tmp_path / "log")
    assert_clean_failure(run)
    assert "cannot open the decision log" in run.err


@pytest.mark.slow
def test_another_pack_is_served_and_stops_cleanly(tmp_path):
    """--pack neuropathy-foot-care: its urgent signs make a critical card; SIGTERM stops it."""
    with live_server(tmp_path, "--pack", "neuropathy-foot-care") as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            health = client.get("/healthz").json()
            assert health == {
                "status": "ok",
                "pack": "neuropathy-foot-care",
                "version": "2026.12.0",
            }
            call = hook_call("pat-9", profile={"dvt_signs": True})
            (card,) = client.post("/cds-services/foot-massage-triage", json=call).json()["cards"]
            assert card["indicator"] == "critical"
            assert card["summary"] == "Get medical help today; no massage."
            assert card["source"]["label"].startswith("Foot care and massage")
        status = stop(server.process)
        assert status == 143  # 128 + SIGTERM, once the open requests are done
        errors = server.stderr()
        assert "Traceback" not in errors
        assert errors.splitlines()[0].startswith(
            "neurotriage: serving neuropathy-foot-care 2026.12.0"
        )
        assert errors.splitlines()[-1] == "neurotriage: stopped by SIGTERM"

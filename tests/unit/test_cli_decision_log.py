"""``neurotriage evaluate --decision-log PATH``: the decision appended, nothing without it."""

from __future__ import annotations

import json

from tests.clitools import cli, write_profile
from tests.conftest import ROOT

OPEN_WOUND = ROOT / "examples" / "open-wound.json"


def test_evaluate_appends_one_line_per_decision(tmp_path):
    """Each run adds one decision line (via cli, no patient), with its key file made 0600."""
    log = tmp_path / "decisions.jsonl"
    for _ in range(2):
        run = cli("evaluate", OPEN_WOUND, "--decision-log", log)
        assert (run.code, run.err) == (0, "")
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["via"], line["verdict"], line["patient"]) for line in lines] == [
        ("cli", "see_doctor", None),
        ("cli", "see_doctor", None),
    ]
    assert lines[0]["id"] != lines[1]["id"]
    assert (tmp_path / "decisions.jsonl.key").stat().st_mode & 0o777 == 0o600


def test_evaluate_logs_nothing_by_default(tmp_path, monkeypatch):
    """Without --decision-log, evaluate writes no log anywhere (not even serve's default)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert cli("evaluate", OPEN_WOUND).code == 0
    assert list(tmp_path.iterdir()) == []


def test_a_key_file_that_cannot_be_read_is_a_clean_error(tmp_path):
    """--decision-log-key naming no file: exit 2, naming it, and no decision printed."""
    profile = write_profile(tmp_path, {"open_wounds": True})
    run = cli(
        "evaluate",
        profile,
        "--decision-log",
        tmp_path / "log",
        "--decision-log-key",
        tmp_path / "nokey",
    )
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("neurotriage: error: cannot read the decision log key ")
    assert "Traceback" not in run.err

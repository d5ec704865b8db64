"""The decision log: one JSON line per decision or feedback, keyed hashes, rotation, 0600."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import threading
from pathlib import Path

import pytest

from neurotriage import default_rules, evaluate
from neurotriage.decision_log import KEY_VARIABLE, DecisionLog, DecisionLogError, default_path

KEY = b"k" * 32


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_decision_line_holds_what_audits_it_and_no_profile_value(tmp_path, monkeypatch):
    """Id, time, pack, verdict, fired rules, hashed patient, duration: nothing of the profile."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    rules = default_rules()
    profile = {"open_wounds": True, "pain_level": 6, "other_conditions": ["Rare-Condition-X"]}
    decision = evaluate(profile, rules=rules)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY) as log:
        log.decision(
            "id-1", decision, rules.pack, seconds=0.0012, via="cds-hooks", patient_id="p-7"
        )
    (line,) = lines(path)
    assert set(line) == {
        "event",
        "id",
        "time",
        "pack",
        "pack_version",
        "verdict",
        "fired_rules",
        "verified",
        "patient",
        "duration_ms",
        "via",
    }
    assert line["event"] == "decision"
    assert line["id"] == "id-1"
    assert (line["pack"], line["pack_version"]) == (rules.pack.id, rules.pack.version)
    assert line["verdict"] == decision.verdict
    assert line["fired_rules"] == list(decision.fired_rules)
    assert line["patient"] == hmac.new(KEY, b"p-7", hashlib.sha256).hexdigest()
    assert line["duration_ms"] == 1.2
    text = path.read_text(encoding="utf-8")
    assert "p-7" not in text
    assert "Rare-Condition-X" not in text


def test_feedback_joins_on_the_decision_id_and_keeps_no_comment(tmp_path):
    """A feedback line names the decision, the outcome and the reason's code only."""
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY) as log:
        log.feedback("id-1", "overridden", override_reason="too-cautious", override_system="s")
    (line,) = lines(path)
    assert {k: line[k] for k in ("event", "id", "outcome", "override_reason")} == {
        "event": "feedback",
        "id": "id-1",
        "outcome": "overridden",
        "override_reason": "too-cautious",
    }


def test_a_key_file_is_made_once_with_0600_and_reused(tmp_path, monkeypatch):
    """Without a key, PATH.key is made (0600) and the same hash comes after a restart."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path) as first:
        hashed = first.patient_hash("p-1")
    key_file = tmp_path / "log.jsonl.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with DecisionLog(path) as second:
        assert second.patient_hash("p-1") == hashed


def test_the_environment_variable_gives_the_key(tmp_path, monkeypatch):
    """NEUROTRIAGE_DECISION_LOG_KEY is the key when none is passed; no key file is made."""
    monkeypatch.setenv(KEY_VARIABLE, "an environment key of some length")
    with DecisionLog(tmp_path / "log.jsonl") as log:
        expected = hmac.new(b"an environment key of some length", b"p", hashlib.sha256)
        assert log.patient_hash("p") == expected.hexdigest()
    assert not (tmp_path / "log.jsonl.key").exists()


def test_a_short_key_is_refused(tmp_path):
    """A key under 16 bytes would make the hash guessable: refused, saying so."""
    with pytest.raises(DecisionLogError, match="too short: 5 bytes, at least 16"):
        DecisionLog(tmp_path / "log.jsonl", key=b"short")


def test_the_log_rotates_by_size(tmp_path):
    """Past max_bytes the file becomes PATH.1 and a new one starts; backups are bounded."""
    rules = default_rules()
    decision = evaluate({}, rules=rules)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY, max_bytes=2_000, backups=2) as log:
        for index in range(40):
            log.decision(f"id-{index}", decision, rules.pack, seconds=0.0, via="cli")
    assert sorted(p.name for p in tmp_path.glob("log.jsonl*")) == [
        "log.jsonl",
        "log.jsonl.1",
        "log.jsonl.2",
    ]
    for name in ("log.jsonl", "log.jsonl.1", "log.jsonl.2"):
        assert (tmp_path / name).stat().st_size <= 2_000
        assert all(line["event"] == "decision" for line in lines(tmp_path / name))
    assert lines(path)[-1]["id"] == "id-39"


def test_lines_written_from_many_threads_stay_whole(tmp_path):
    """Concurrent writers never interleave: every line parses, none is lost."""
    rules = default_rules()
    decision = evaluate({}, rules=rules)
    path = tmp_path / "log.jsonl"
    with DecisionLog(path, key=KEY) as log:

        def write(start: int) -> None:
            for index in range(start, start + 200):
                log.decision(f"id-{index}", decision, rules.pack, seconds=0.0, via="cli")

        threads = [threading.Thread(target=write, args=(n * 1000,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    found = lines(path)
    assert len(found) == 1_600
    assert len({line["id"] for line in found}) == 1_600


def test_an_unwritable_log_is_an_error_that_names_it(tmp_path):
    """A log that cannot be opened raises DecisionLogError naming the path, no traceback text."""
    (tmp_path / "dir").mkdir()
    with pytest.raises(DecisionLogError, match=r"cannot open the decision log .*dir"):
        DecisionLog(tmp_path / "dir", key=KEY)


def test_a_closed_log_refuses_lines(tmp_path):
    """After close(), a write raises instead of losing the line."""
    log = DecisionLog(tmp_path / "log.jsonl", key=KEY)
    log.close()
    with pytest.raises(DecisionLogError, match="is closed"):
        log.feedback("id", "accepted")


def test_the_default_path_follows_xdg_state_home(monkeypatch, tmp_path):
    """serve's default log is $XDG_STATE_HOME/neurotriage/decisions.jsonl."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_path() == tmp_path / "neurotriage" / "decisions.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_path() == Path.home() / ".local" / "state" / "neurotriage" / "decisions.jsonl"

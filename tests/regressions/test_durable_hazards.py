"""Each known durable-rules hazard (DESIGN.md section 3), shown to be handled."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from neurotriage import BackendError, Profile, default_rules, evaluate
from neurotriage.analysis import input_space
from neurotriage.engines import durable_available
from neurotriage.pipeline.compiled import compiled_engine
from tests.conftest import DURABLE_EXPECTED, ROOT, SAFE, requires_durable
from tests.rulefiles import load_unproved, with_default_catalogue

pytestmark = requires_durable

if durable_available() is None or DURABLE_EXPECTED:
    import durable_rules_engine

    from neurotriage.engines.durable import HANDLED, MARKER, DurableEngine, compile_rules


def rss_bytes() -> int:
    """This process's resident memory."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def write_rules(directory: Path, rules: str) -> Path:
    """A rule directory with the default catalogue and ``rules`` as its only rule file."""
    return with_default_catalogue(directory, {"rules.yaml": rules})


def test_no_host_no_threads_no_global_state():
    """Evaluating never creates durable's global host nor any background thread."""
    threads_before = threading.active_count()
    for profile in list(input_space(default_rules()))[:500]:
        evaluate(profile, backend="durable")
    assert threading.active_count() == threads_before
    lang = sys.modules.get("durable.lang")
    assert lang is None or lang._main_host is None


def test_facts_fire_every_matching_rule(tmp_path):
    """Two rules on the same condition both fire (an event would reach only one)."""
    rules = load_unproved(
        write_rules(
            tmp_path / "r",
            "rules:\n"
            "  - {id: first, description: a, when: diabetes, ask: [pain_level]}\n"
            "  - {id: second, description: b, when: diabetes, ask: [pain_level]}\n",
        )
    )
    decision = evaluate({"diabetes": True}, rules=rules, backend="durable")
    assert decision.fired_rules == ("first", "second")


def test_state_is_deleted_after_each_evaluation():
    """After an evaluation its session is gone, like a session that never existed."""
    engine = DurableEngine(default_rules())
    kept = json.dumps({MARKER: 1, "sid": "kept", "diabetes": True})
    durable_rules_engine.assert_fact(engine._handle, kept)
    assert json.loads(durable_rules_engine.get_state(engine._handle, "kept"))["sid"] == "kept"
    engine.fired(Profile(**SAFE))  # the engine's first evaluation uses sid "0"
    for sid in ("0", "never-used"):
        with pytest.raises(Exception, match="Could not get state, error code: 309"):
            durable_rules_engine.get_state(engine._handle, sid)


@pytest.mark.slow
def test_100k_sequential_evaluations_neither_fail_nor_grow_memory():
    """100,000 evaluations on one engine (far past the 1024-session cap) keep memory flat."""
    rules = default_rules()
    engine = DurableEngine(rules)
    profiles = list(input_space(rules))[:1000]
    for profile in profiles * 5:  # warm up allocator pools
        engine.fired(profile)
    before = rss_bytes()
    for index in range(100_000):
        engine.fired(profiles[index % len(profiles)])
    growth = rss_bytes() - before
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth} bytes over 100,000 evaluations"


def test_concurrent_evaluation_matches_sequential():
    """8 threads sharing one engine get exactly the reference decisions."""
    rules = default_rules()
    profiles = list(input_space(rules))[::97]
    expected = [evaluate(p, rules=rules, backend="reference") for p in profiles]

    def run(offset: int) -> bool:
        order = profiles[offset:] + profiles[:offset]
        wanted = expected[offset:] + expected[:offset]
        return all(
            evaluate(p, rules=rules, backend="durable") == e
            for p, e in zip(order, wanted, strict=True)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(run, range(0, 8 * 50, 50)))


def test_every_rule_requires_the_fact_marker():
    """Each compiled rule matches only facts carrying the marker, never session state."""
    definition, _ = compile_rules(default_rules())
    assert definition.pop(HANDLED) == {"all": [{"m": {MARKER: 1}}]}
    assert set(definition) == {rule.id for rule in default_rules().rules}
    for rule_id, rule in definition.items():
        condition = rule["all"][0]["m"]
        assert condition["$and"][0] == {MARKER: 1}, rule_id
        assert "run" not in rule, rule_id  # no Python actions whose errors could be swallowed


def test_always_and_unknown_rules_fire_once_and_return(tmp_path):
    """'always' and 'is unknown' rules (which state could satisfy) return promptly."""
    directory = write_rules(
        tmp_path / "r",
        "rules:\n"
        "  - {id: everyone, description: a, when: always, ask: [diabetes]}\n"
        "  - {id: no-answer, description: b, when: diabetes is unknown, ask: [diabetes]}\n",
    )
    script = (
        "import sys, json; from neurotriage import evaluate, load_rules\n"
        f"rules = load_rules({str(directory)!r}, verify=False)\n"
        "d = evaluate({}, rules=rules, backend='durable')\n"
        "print(json.dumps(d.fired_rules))\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == ["everyone", "no-answer"]
    assert time.perf_counter() - started < 30


def test_unexpected_action_is_an_error_not_a_partial_decision(monkeypatch):
    """If the engine reports a rule we did not compile, evaluation fails loudly."""
    engine = DurableEngine(default_rules())
    monkeypatch.setattr(engine, "_known_ids", frozenset({"nothing"}))
    with pytest.raises(BackendError, match="unexpected action"):
        engine.fired(Profile(**SAFE))


def test_engine_is_compiled_once_per_ruleset():
    """A RuleSet compiles each backend once and reuses it."""
    rules = default_rules()
    assert compiled_engine(rules, "durable") is compiled_engine(rules, "durable")


FALLBACK = """
import sys, warnings
sys.modules["durable"] = None
sys.modules["durable_rules_engine"] = None
from neurotriage import evaluate, BackendError
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    first = evaluate({"open_wounds": True})
    evaluate({"open_wounds": True})
messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
assert len(messages) == 1, messages
assert "using the reference backend" in messages[0], messages
assert first == evaluate({"open_wounds": True}, backend="reference")
try:
    evaluate({}, backend="durable")
except BackendError as err:
    print("BackendError:", err)
"""


def test_fallback_when_durable_does_not_import():
    """Where durable-rules cannot import (Python 3.13), evaluate warns once and uses reference."""
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.startswith("BackendError: the durable backend is not available here")


def test_durable_dependency_is_marked_for_python_below_313():
    """pyproject declares durable-rules only where it imports (python_version < 3.13)."""
    text = (ROOT / "pyproject.toml").read_text()
    assert "\"durable-rules>=2.0.28,<3; python_version < '3.13'\"" in text


def test_no_rule_firing_neither_crashes_nor_leaks_sessions(tmp_path):
    """A fact no rule matches, 3,000 times (past the 1024 cap), in a clean process."""
    directory = write_rules(
        tmp_path / "r",
        "rules:\n  - {id: wounds, description: w, when: open_wounds, block: all}\n",
    )
    script = (
        "from neurotriage import evaluate, load_rules\n"
        f"rules = load_rules({str(directory)!r}, verify=False)\n"
        "for _ in range(3000):\n"
        "    d = evaluate({'open_wounds': False}, rules=rules, backend='durable')\n"
        "    assert d.fired_rules == () and len(d.allowed_techniques) == 4\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")

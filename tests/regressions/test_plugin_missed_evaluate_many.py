"""The coverage plugin saw no decision of evaluate_many(), in-process or with workers.

evaluate_many() builds its decisions with combine() and never calls
evaluate(), so the observers that evaluate() notifies (the plugin's
recorder) saw none of them: a test suite that checked its profiles in a
batch was reported as exercising no rule. Now evaluate_many() passes each
decision it yields to the observers, whether its engine work ran here or in
worker processes (the decisions are built here either way).
"""

from __future__ import annotations

from typing import Any

import pytest

from neurotriage import default_rules, evaluate, evaluate_many
from neurotriage.pipeline.evaluation import add_observer
from tests.plugintools import CHILD, expected_report, section

#: Profiles with different decisions: a red flag, a cleared person, a first visit.
PROFILES: list[dict[str, Any]] = [
    {"open_wounds": True},
    {
        "diabetes": True,
        "neuropathy_severity": "moderate",
        "pain_level": 3,
        "symptoms_worsening": False,
        "open_wounds": False,
        "foot_infection": False,
        "home_remedies_no_relief": False,
        "other_conditions": [],
        "cleared_by_clinician": True,
        "requested_pressure": "firm",
    },
    {},
]

BATCH_TESTS = f"""
import neurotriage

PROFILES = {PROFILES!r}

def test_batch():
    decisions = list(neurotriage.evaluate_many(PROFILES, backend="reference", workers=WORKERS))
    assert [d.verdict for d in decisions] == {[evaluate(p).verdict for p in PROFILES]!r}
"""

NOTHING_FOUND = "no evaluate() or evaluate_many() decisions were recorded: 0 rules exercised"


@pytest.mark.parametrize("workers", [None, 1, 2])
def test_the_plugin_sees_each_decision_of_evaluate_many(pytester, rules, workers):
    """Every decision evaluate_many() yields is counted, with or without worker processes."""
    pytester.makepyfile(test_user=BATCH_TESTS.replace("WORKERS", repr(workers)))
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1)
    assert section(result) == expected_report(rules, PROFILES)


def test_batch_and_single_decisions_add_up(pytester, rules):
    """evaluate() calls and evaluate_many() decisions of one run are counted together."""
    pytester.makepyfile(
        test_user=BATCH_TESTS.replace("WORKERS", "2")
        + f"""
def test_single():
    assert neurotriage.evaluate({PROFILES[0]!r}).verdict == "see_doctor"
"""
    )
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == expected_report(rules, [*PROFILES, PROFILES[0]])


def test_only_the_decisions_taken_are_counted(pytester, rules):
    """A test that takes one decision from evaluate_many() and stops counts that one only."""
    pytester.makepyfile(
        test_user=f"""
import neurotriage

def test_first_only():
    decisions = neurotriage.evaluate_many({PROFILES!r}, workers=2)
    assert next(decisions).verdict == "see_doctor"
    decisions.close()
"""
    )
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == expected_report(rules, PROFILES[:1])


COMMAND_TESTS = f"""
import io
import json

from neurotriage.cli import main

def test_command(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(p) + "\\n" for p in {PROFILES!r}))
    argv = ["evaluate-many", str(source), "-o", str(tmp_path / "out.jsonl"), *OPTIONS]
    assert main(argv, stdout=io.StringIO(), stderr=io.StringIO()) == 0
"""


def test_the_command_in_process_is_seen_but_not_its_worker_processes(pytester, rules):
    """``evaluate-many`` via main() is counted with one worker, not with worker processes."""
    pytester.makepyfile(test_user=COMMAND_TESTS.replace("OPTIONS", "[]"))
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == expected_report(rules, PROFILES)
    pytester.makepyfile(test_user=COMMAND_TESTS.replace("OPTIONS", "['--workers', '2']"))
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == [NOTHING_FOUND]


@pytest.mark.parametrize("workers", [None, 2])
def test_observers_get_each_decision_before_it_is_yielded(workers):
    """An observer gets the very Decision evaluate_many() then yields, with the rule set."""
    seen: list[Any] = []
    remove = add_observer(lambda rules, decision: seen.append((rules, decision)))
    try:
        decisions = evaluate_many(PROFILES, workers=workers)
        first = next(decisions)
        assert len(seen) == 1
        assert seen[0][1] is first
        rest = list(decisions)
    finally:
        remove()
    assert len(seen) == len(PROFILES)
    assert all(decision is got for (_, decision), got in zip(seen, [first, *rest], strict=True))
    assert [decision for _, decision in seen] == [evaluate(p) for p in PROFILES]
    assert all(rules is default_rules() for rules, _ in seen)

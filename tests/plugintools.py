"""Running the pytest plugin in a child pytest run (pytester), for every plugin test module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from neurotriage import RuleSet, evaluate

__all__ = [
    "CHILD",
    "READY",
    "USER_TESTS",
    "WOUND",
    "combined_percent",
    "expected_report",
    "section",
]

#: The child run needs no cache, and hypothesis' and coverage's plugins only slow it down.
CHILD = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:pytest_cov")

#: Two profiles the child run's tests evaluate.
WOUND: dict[str, Any] = {"open_wounds": True}
READY: dict[str, Any] = {
    "diabetes": False,
    "neuropathy_severity": "mild",
    "pain_level": 3,
    "symptoms_worsening": False,
    "open_wounds": False,
    "foot_infection": False,
    "home_remedies_no_relief": False,
    "other_conditions": [],
    "cleared_by_clinician": True,
}

#: A child test module with two passing tests, one evaluating each profile.
USER_TESTS = f"""
import neurotriage

def test_wound():
    assert neurotriage.evaluate({WOUND!r}, backend="reference").verdict == "see_doctor"

def test_ready():
    assert neurotriage.evaluate({READY!r}, backend="reference").verdict == "proceed"
"""


def expected_report(rules: RuleSet, profiles: Iterable[dict[str, Any]]) -> list[str]:
    """The report lines for one rule set, computed by evaluating the profiles here."""
    counts: Counter[str] = Counter()
    evaluations = 0
    for profile in profiles:
        counts.update(evaluate(profile, rules=rules, backend="reference").fired_rules)
        evaluations += 1
    total = len(rules.rules)
    never = [rule for rule in rules.rules if rule.id not in counts]
    fired = total - len(never)
    return [
        (
            f"rule set {rules.version}: {fired} of {total} rules fired "
            f"({100 * fired / total:.1f}%) over {evaluations} evaluations"
        ),
        f"rules never exercised ({len(never)}):",
        *(f"  {rule.file}:{rule.line}: {rule.id}" for rule in never),
    ]


def section(result: pytest.RunResult) -> list[str]:
    """The lines of the coverage section, up to the final summary line."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "neurotriage rule coverage ===" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("====="))
    return [line for line in lines[start + 1 : end] if line]


def combined_percent(rules: RuleSet, profiles: Iterable[dict[str, Any]]) -> float:
    """The share of the rules the profiles fire, computed here."""
    fired = set()
    for profile in profiles:
        fired.update(evaluate(profile, rules=rules, backend="reference").fired_rules)
    return 100 * len(fired) / len(rules.rules)

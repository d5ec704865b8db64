"""Rule coverage: how often each rule fired over a corpus or a test run."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from neurotriage.decision import Decision
from neurotriage.loading import default_rules
from neurotriage.pipeline.evaluation import evaluate
from neurotriage.ruleset import Rule, RuleSet

__all__ = ["CoverageRecorder", "RuleCoverage", "rule_coverage"]


@dataclass(frozen=True)
class RuleCoverage:
    """How often each rule of one rule set fired over ``evaluations`` decisions."""

    rules: RuleSet
    counts: Mapping[str, int]
    evaluations: int

    @property
    def never_fired(self) -> tuple[Rule, ...]:
        """The rules that never fired, in rule order."""
        return tuple(rule for rule in self.rules.rules if not self.counts.get(rule.id))

    @property
    def fired(self) -> int:
        """How many distinct rules fired at least once."""
        return len(self.rules.rules) - len(self.never_fired)

    @property
    def percent(self) -> float:
        """The share of rules that fired at least once, 0-100."""
        total = len(self.rules.rules)
        return 100.0 * self.fired / total if total else 100.0

    def as_dict(self) -> dict[str, Any]:
        """The coverage as JSON-ready data."""
        return {
            "ruleset_version": self.rules.version,
            "evaluations": self.evaluations,
            "percent": round(self.percent, 1),
            "rules": [
                {
                    "rule_id": rule.id,
                    "file": rule.file,
                    "line": rule.line,
                    "fired": self.counts.get(rule.id, 0),
                }
                for rule in self.rules.rules
            ],
            "never_fired": [rule.id for rule in self.never_fired],
        }


@dataclass
class CoverageRecorder:
    """Counts fired rules per rule set as decisions come in; safe across threads."""

    _counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _evaluations: dict[str, int] = field(default_factory=dict)
    _rulesets: dict[str, RuleSet] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, rules: RuleSet, decision: Decision) -> None:
        """Count the rules ``decision`` fired (keyed by rule-set version)."""
        with self._lock:
            version = rules.version
            self._rulesets.setdefault(version, rules)
            counts = self._counts.setdefault(version, {})
            for rule_id in decision.fired_rules:
                counts[rule_id] = counts.get(rule_id, 0) + 1
            self._evaluations[version] = self._evaluations.get(version, 0) + 1

    def coverage(self) -> list[RuleCoverage]:
        """One coverage per rule set seen, in the order first seen."""
        with self._lock:
            return [
                RuleCoverage(rules, dict(self._counts[version]), self._evaluations[version])
                for version, rules in self._rulesets.items()
            ]


def rule_coverage(
    profiles: Iterable[BaseModel | Mapping[str, Any]],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
) -> RuleCoverage:
    """Evaluate every profile and count how often each rule fired."""
    ruleset = rules if rules is not None else default_rules()
    recorder = CoverageRecorder()
    for profile in profiles:
        recorder.record(ruleset, evaluate(profile, rules=ruleset, backend=backend))
    found = recorder.coverage()
    return found[0] if found else RuleCoverage(ruleset, {}, 0)

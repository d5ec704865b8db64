"""One renderer object per output format, chosen once per run.

Every command's result goes through the renderer the run picked
(``--format text|json``, or ``--json`` for ``evaluate``), instead of a
``json if ... else text`` at each call site.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from neurotriage.analysis import Finding, RuleCoverage, RuleSetDiff, VerifyReport
from neurotriage.cli import _reports, _summary
from neurotriage.decision import Decision
from neurotriage.ruleset import RuleSet

__all__ = ["JsonRenderer", "Renderer", "TextRenderer", "renderer"]


class Renderer(Protocol):
    """Turns each kind of result into the text a command prints."""

    def decision(self, decision: Decision, rules: RuleSet) -> str:
        """One Decision."""

    def verify(self, report: VerifyReport) -> str:
        """A verify report."""

    def lint(self, findings: Sequence[Finding]) -> str:
        """Lint findings."""

    def diff(self, result: RuleSetDiff) -> str:
        """A diff of two rule sets."""

    def coverage(self, coverage: RuleCoverage) -> str:
        """A rule coverage report."""


class TextRenderer:
    """What a person reads."""

    def decision(self, decision: Decision, rules: RuleSet) -> str:
        """The summary of a decision."""
        return _summary.summary(decision, rules)

    def verify(self, report: VerifyReport) -> str:
        """One line per property, counterexamples below the failures."""
        return _reports.verify_text(report)

    def lint(self, findings: Sequence[Finding]) -> str:
        """One line per finding, then the counts."""
        return _reports.lint_text(findings)

    def diff(self, result: RuleSetDiff) -> str:
        """The groups of changed classes, then the wording changes."""
        return _reports.diff_text(result)

    def coverage(self, coverage: RuleCoverage) -> str:
        """How often each rule fired."""
        return _reports.coverage_text(coverage)


class JsonRenderer:
    """What a program reads."""

    def decision(self, decision: Decision, rules: RuleSet) -> str:
        """The whole Decision, indented."""
        del rules  # the Decision is complete on its own
        return decision.model_dump_json(indent=2) + "\n"

    def verify(self, report: VerifyReport) -> str:
        """The report as JSON."""
        return _reports.verify_json(report)

    def lint(self, findings: Sequence[Finding]) -> str:
        """The findings as a JSON array."""
        return _reports.lint_json(findings)

    def diff(self, result: RuleSetDiff) -> str:
        """The diff as JSON."""
        return _reports.diff_json(result)

    def coverage(self, coverage: RuleCoverage) -> str:
        """The coverage as JSON."""
        return _reports.coverage_json(coverage)


def renderer(output_format: str) -> Renderer:
    """The renderer for ``text`` or ``json``."""
    return JsonRenderer() if output_format == "json" else TextRenderer()

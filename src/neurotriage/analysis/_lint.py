"""Lint a rule set: what loads but is probably a mistake.

Errors are findings that make the rule set wrong (a rule that can never
fire, a rule set that does not load); warnings are findings worth a look
(a rule that never changes a decision, a missing source, a long warning).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from neurotriage._errors import RuleError
from neurotriage._loader import load_rules
from neurotriage._sources import shown_path
from neurotriage.analysis._enumerate import Enumeration, condition_checker, enumerate_space
from neurotriage.analysis._space import input_space
from neurotriage.combine import outcome
from neurotriage.profile import field_specs
from neurotriage.ruleset import RuleSet

__all__ = ["MAX_WARNING_LENGTH", "Finding", "lint", "lint_path"]

#: The longest warning message a person can take in at a glance.
MAX_WARNING_LENGTH = 140

LintSeverity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One lint finding, located in a rule file where it has a place."""

    file: str
    line: int | None
    item_id: str | None
    severity: LintSeverity
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.item_id or '-'}: {self.severity}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return asdict(self)


def lint_path(path: str | os.PathLike[str]) -> list[Finding]:
    """Load the rule set at ``path`` and lint it; load problems become error findings."""
    try:
        rules = load_rules(path)
    except RuleError as err:
        return [
            Finding(p.file, p.line, p.rule_id, "error", "load-error", p.message)
            for p in err.problems
        ]
    return lint(rules, where=shown_path(path))  # printable, whatever bytes the name holds


def lint(rules: RuleSet, *, where: str = "<rules>") -> list[Finding]:
    """Every finding for ``rules``, errors first, then by file and line.

    ``where`` names the rule set in findings that belong to no single file.
    """
    if not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    space = input_space(rules)
    enum = enumerate_space(rules, space, "reference")
    findings = [
        *_dead(enum),
        *_shadowed(enum),
        *_authoring(rules),
        *_catalogue(rules),
        *_unread(rules, where),
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line or 0, f.code))


def _dead(enum: Enumeration) -> Iterator[Finding]:
    fired_anywhere = 0
    for mask in enum.masks:
        fired_anywhere |= mask
    for bit, rule_id in enumerate(enum.rule_ids):
        if not fired_anywhere >> bit & 1:
            rule = enum.rules.rule(rule_id)
            yield Finding(
                rule.file,
                rule.line,
                rule.id,
                "error",
                "dead-rule",
                "the condition can never hold, so the rule never fires",
            )
    for inv in enum.rules.invariants:
        if not enum.space.where(condition_checker(inv.condition), inv.condition_fields):
            yield Finding(
                inv.file,
                inv.line,
                inv.id,
                "warning",
                "dead-invariant",
                "the condition can never hold, so the invariant checks nothing",
            )


def _shadowed(enum: Enumeration) -> Iterator[Finding]:
    """Rules whose removal changes no decision anywhere (ignoring wording and reasons)."""
    rules = enum.rules
    specs = field_specs()
    names = enum.space.names
    for bit, rule_id in enumerate(enum.rule_ids):
        rule = rules.rule(rule_id)
        mine = 1 << bit
        if not any(mask & mine for mask in enum.masks):
            continue  # dead, reported already
        memo: dict[int, bool] = {}
        asks = [names.index(f) for f in rule.ask if f in names and specs[f].nullable]
        others_ask = {
            f: sum(
                1 << b for b, r in enumerate(enum.rule_ids) if f in rules.rule(r).ask and b != bit
            )
            for f in rule.ask
        }
        matters = False
        for index, mask in enumerate(enum.masks):
            if not mask & mine:
                continue
            changed = memo.get(mask)
            if changed is None:
                without = [r for b, r in enumerate(enum.rule_ids) if mask >> b & 1 and b != bit]
                changed = memo[mask] = outcome(rules, without) != enum.outcome(index)
            if changed or (asks and _asks_alone(enum, index, rule.ask, others_ask, mask)):
                matters = True
                break
        if not matters:
            yield Finding(
                rule.file,
                rule.line,
                rule.id,
                "warning",
                "shadowed-rule",
                "removing this rule changes no decision anywhere: other rules always "
                "have the same effect wherever it fires",
            )


def _asks_alone(
    enum: Enumeration, index: int, asks: tuple[str, ...], others: dict[str, int], mask: int
) -> bool:
    profile = enum.space.profile_at(index)
    return any(getattr(profile, f) is None and not mask & others[f] for f in asks)


def _authoring(rules: RuleSet) -> Iterator[Finding]:
    for rule in rules.rules:
        if rule.source is None:
            yield Finding(
                rule.file, rule.line, rule.id, "warning", "no-source", "the rule cites no source"
            )
        if rule.warn is not None and len(rule.warn.message) > MAX_WARNING_LENGTH:
            yield Finding(
                rule.file,
                rule.line,
                rule.id,
                "warning",
                "long-warning",
                f"the warning message has {len(rule.warn.message)} characters; "
                f"keep it to {MAX_WARNING_LENGTH} so it is read",
            )
        if rule.block and rule.verdict is None:
            yield Finding(
                rule.file,
                rule.line,
                rule.id,
                "warning",
                "block-without-verdict",
                "the rule blocks techniques but sets no verdict, so the verdict may say "
                "'proceed' while techniques are blocked",
            )
    for inv in rules.invariants:
        if inv.source is None:
            yield Finding(
                inv.file, inv.line, inv.id, "warning", "no-source", "the invariant cites no source"
            )


def _catalogue(rules: RuleSet) -> Iterator[Finding]:
    blocked = frozenset().union(*(rule.block for rule in rules.rules))
    for technique in rules.techniques:
        if technique.id not in blocked:
            yield Finding(
                technique.file,
                technique.line,
                technique.id,
                "warning",
                "unreferenced-technique",
                "no rule ever blocks this technique, so it is allowed for everyone, "
                "even with a red flag",
            )
        if technique.source is None:
            yield Finding(
                technique.file,
                technique.line,
                technique.id,
                "warning",
                "no-source",
                "the technique cites no source",
            )
    for therapy in rules.therapies:
        if therapy.source is None:
            yield Finding(
                therapy.file,
                therapy.line,
                therapy.id,
                "warning",
                "no-source",
                "the therapy cites no source",
            )


def _unread(rules: RuleSet, where: str) -> Iterator[Finding]:
    read = rules.fields_read
    for name in field_specs():
        if name not in read:
            yield Finding(
                where,
                None,
                None,
                "warning",
                "unread-field",
                f"no rule reads the Profile field '{name}', so its answer never matters",
            )

"""Lint a rule set: what loads but is probably a mistake.

Errors are findings that make the rule set wrong (a rule that can never
fire, a rule that blocks without saying which verdict it gives, a rule set
that does not load); warnings are findings worth a look
(a rule that never changes a decision, a missing source, a long warning).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from neurotriage._errors import RuleError
from neurotriage.analysis._budget import LINT, QUERY_SECONDS, Progress, check_cost
from neurotriage.analysis._enumerate import Enumeration, bits, condition_checker, enumerate_space
from neurotriage.analysis._space import input_space
from neurotriage.decision import REFERRAL_LEVELS, VERDICTS
from neurotriage.loading import load_rules, shown_path
from neurotriage.proof import Method, Prover, rule_roles
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


def lint_path(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    method: Method = "symbolic",
    time_budget: float = QUERY_SECONDS,
) -> list[Finding]:
    """Load the rule set at ``path`` and lint it; load problems become error findings."""
    try:
        rules = load_rules(path, verify=False)  # lint reads unsafe rule sets too
    except RuleError as err:
        return [
            Finding(p.file, p.line, p.rule_id, "error", "load-error", p.message)
            for p in err.problems
        ]
    # printable, whatever bytes the name holds
    return lint(
        rules, where=shown_path(path), progress=progress, method=method, time_budget=time_budget
    )


def lint(
    rules: RuleSet,
    *,
    where: str = "<rules>",
    progress: Progress | None = None,
    method: Method = "symbolic",
    time_budget: float = QUERY_SECONDS,
) -> list[Finding]:
    """Every finding for ``rules``, errors first, then by file and line.

    ``where`` names the rule set in findings that belong to no single file.
    Dead and shadowed rules are found by the solver (``method="symbolic"``,
    each query within ``time_budget`` seconds, else UndecidedError), or by
    walking the space (``method="enumeration"``, which raises
    :class:`SpaceTooLargeError` before doing any work if the input space is
    too large to walk in about a minute and 2 GB).
    """
    if not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    if method == "symbolic":
        if progress is not None:
            progress("proving which rules matter", 0, 1)
        dead, shadowed, dead_invariants = rule_roles(Prover(rules, time_budget))
        found = [
            *_dead_findings(rules, dead, dead_invariants),
            *_shadowed_findings(rules, shadowed),
        ]
    else:
        space = input_space(rules)
        check_cost("lint", space.size, len(rules.rules), LINT, space.fields)
        enum = enumerate_space(rules, space, "reference", progress=progress)
        found = [*_dead(enum), *_shadowed(enum)]
    findings = [
        *found,
        *_authoring(rules),
        *_catalogue(rules),
        *_unread(rules, where),
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line or 0, f.code))


def _dead(enum: Enumeration) -> Iterator[Finding]:
    fired_anywhere = 0
    for mask in enum.masks:
        fired_anywhere |= mask
    dead = {rule_id for bit, rule_id in enumerate(enum.rule_ids) if not fired_anywhere >> bit & 1}
    checker = enum.space.pack.fields
    dead_invariants = {
        inv.id
        for inv in enum.rules.invariants
        if not enum.space.where(condition_checker(inv.condition, checker), inv.condition_fields)
    }
    return _dead_findings(enum.rules, dead, dead_invariants)


def _dead_findings(rules: RuleSet, dead: set[str], dead_invariants: set[str]) -> Iterator[Finding]:
    for rule in rules.rules:
        if rule.id in dead:
            yield Finding(
                rule.file,
                rule.line,
                rule.id,
                "error",
                "dead-rule",
                "the condition can never hold, so the rule never fires",
            )
    for inv in rules.invariants:
        if inv.id in dead_invariants:
            yield Finding(
                inv.file,
                inv.line,
                inv.id,
                "warning",
                "dead-invariant",
                "the condition can never hold, so the invariant checks nothing",
            )


@dataclass(frozen=True)
class _Effects:
    """What one rule contributes to an outcome, and the questions it asks (as bits)."""

    block: frozenset[str]
    referral: int  # rank in REFERRAL_LEVELS; 0 is none
    verdict: int  # rank in VERDICTS; 0 is proceed
    warning: str | None
    asks: int  # bit k: the k-th asked field


def _matters(fired: list[int], effects: list[_Effects], open_fields: int, undecided: int) -> int:
    """The rules among ``undecided`` (bits) whose removal from ``fired`` changes something.

    The outcome is a join, so removing a rule changes it exactly when the rule
    alone gives something: a block no other fired rule gives, the highest
    referral or verdict with no other rule at that level, a warning code no
    other rule gives, or a question about an unknown field no other rule asks.
    Counting who gives what once makes this linear in the fired rules.
    """
    blockers: dict[str, int] = {}
    referrals: dict[int, int] = {}
    verdicts: dict[int, int] = {}
    warnings: dict[str, int] = {}
    askers: dict[int, int] = {}
    for bit in fired:
        effect = effects[bit]
        for technique in effect.block:
            blockers[technique] = blockers.get(technique, 0) + 1
        referrals[effect.referral] = referrals.get(effect.referral, 0) + 1
        verdicts[effect.verdict] = verdicts.get(effect.verdict, 0) + 1
        if effect.warning is not None:
            warnings[effect.warning] = warnings.get(effect.warning, 0) + 1
        for k in bits(effect.asks & open_fields):
            askers[k] = askers.get(k, 0) + 1
    top_referral, top_verdict = max(referrals, default=0), max(verdicts, default=0)
    found = 0
    for bit in fired:
        if not undecided >> bit & 1:
            continue
        effect = effects[bit]
        if (
            any(blockers[t] == 1 for t in effect.block)
            or (
                effect.referral and effect.referral == top_referral and referrals[top_referral] == 1
            )
            or (effect.verdict and effect.verdict == top_verdict and verdicts[top_verdict] == 1)
            or (effect.warning is not None and warnings[effect.warning] == 1)
            or any(askers[k] == 1 for k in bits(effect.asks & open_fields))
        ):
            found |= 1 << bit
    return found


def _shadowed(enum: Enumeration) -> Iterator[Finding]:
    """Rules whose removal changes no decision anywhere (ignoring wording and reasons).

    Removing a rule matters where it fires and either the outcome changes or
    it alone asks about a field that is unknown there. Each distinct pair of
    (fired rules, unknown asked fields) is looked at once, in time linear in
    the rules it fires, and a rule found to matter is not looked at again.
    """
    rules, space, ids = enum.rules, enum.space, enum.rule_ids
    specs = rules.pack.fields
    asked = [
        name
        for name in space.names
        if specs[name].nullable
        and None in space.values[name]
        and any(name in rule.ask for rule in rules.rules)
    ]
    referral_rank = {level: rank for rank, level in enumerate(REFERRAL_LEVELS)}
    verdict_rank = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
    effects = []
    for rule_id in ids:
        rule = rules.rule(rule_id)
        effects.append(
            _Effects(
                rule.block,
                referral_rank[rule.refer] if rule.refer else 0,
                verdict_rank[rule.verdict] if rule.verdict else 0,
                rule.warn.code if rule.warn else None,
                sum(1 << k for k, name in enumerate(asked) if name in rule.ask),
            )
        )
    unknown = space.unknown_bits(asked)
    fired_anywhere = matters = 0
    seen: set[tuple[int, int]] = set()
    for mask, open_fields in zip(enum.masks, unknown, strict=True):
        fired_anywhere |= mask
        undecided = mask & ~matters
        if not undecided or (mask, open_fields) in seen:
            continue
        seen.add((mask, open_fields))
        matters |= _matters(list(bits(mask)), effects, open_fields, undecided)
    return _shadowed_findings(rules, {ids[bit] for bit in bits(fired_anywhere & ~matters)})


def _shadowed_findings(rules: RuleSet, shadowed: set[str]) -> Iterator[Finding]:
    for rule in rules.rules:
        if rule.id not in shadowed:
            continue
        yield Finding(
            rule.file,
            rule.line,
            rule.id,
            "warning",
            "shadowed-rule",
            "removing this rule changes no decision anywhere: other rules always "
            "have the same effect wherever it fires",
        )


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
                "error",
                "block-without-verdict",
                "the rule blocks techniques but sets no verdict, so the verdict may say "
                "'proceed' while nothing is allowed; give it one ('verdict: proceed' "
                "only if other techniques stay allowed)",
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
    for name in rules.pack.fields:
        if name not in read:
            yield Finding(
                where,
                None,
                None,
                "warning",
                "unread-field",
                f"no rule reads the field '{name}', so its answer never matters",
            )

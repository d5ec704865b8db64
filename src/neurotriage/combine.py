"""Join the effects of fired rules into a Decision.

Effects form a join-semilattice, so the result never depends on rule order:
blocked techniques are a union, the referral and the verdict are a maximum,
warnings and questions are unions. Every list in the Decision is sorted by a
key that does not involve rule order.

The pieces of a Decision that depend only on the rule set (each allowed
technique, each rule's reason and warning, the therapies) are built once per
RuleSet by :func:`decision_parts` and shared by every Decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from neurotriage.decision import (
    REFERRAL_LEVELS,
    SEVERITIES,
    VERDICTS,
    AllowedTechnique,
    BlockedTechnique,
    Decision,
    DecisionWarning,
    Outcome,
    Reason,
    Referral,
    ReferralReason,
    TherapySuggestion,
    Verdict,
)
from neurotriage.profile import Profile
from neurotriage.ruleset import Rule, RuleSet

__all__ = ["DecisionParts", "combine", "decision_parts", "outcome"]

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_REFERRAL_RANK = {r: i for i, r in enumerate(REFERRAL_LEVELS)}
_VERDICT_RANK = {v: i for i, v in enumerate(VERDICTS)}


@dataclass(frozen=True)
class _RuleParts:
    rule: Rule
    reason: Reason
    referral: ReferralReason | None
    warning: DecisionWarning | None
    verdict_rank: int


@dataclass(frozen=True)
class DecisionParts:
    """The immutable pieces of every Decision a rule set can make."""

    allowed: dict[str, AllowedTechnique]
    names: dict[str, str]
    therapies: list[TherapySuggestion]
    rules: dict[str, _RuleParts]


def decision_parts(ruleset: RuleSet) -> DecisionParts:
    """Build the pieces of ``ruleset``'s decisions (RuleSet caches this)."""
    allowed = {
        t.id: AllowedTechnique(
            technique=t.id,
            name=t.name,
            area=t.area,
            pressure_ceiling=t.pressure_ceiling,
            how_to=t.how_to,
        )
        for t in ruleset.techniques
    }
    therapies = [
        TherapySuggestion(therapy=t.id, name=t.name, description=t.description, note=t.note)
        for t in ruleset.therapies
    ]
    rules = {}
    for rule in ruleset.rules:
        referral = None
        if rule.refer is not None and rule.refer != "none":
            referral = ReferralReason(rule_id=rule.id, level=rule.refer, message=rule.description)
        warning = None
        if rule.warn is not None:
            warning = DecisionWarning(
                code=rule.warn.code,
                severity=rule.warn.severity,
                message=rule.warn.message,
                rule_id=rule.id,
            )
        rank = _VERDICT_RANK[rule.verdict] if rule.verdict else 0
        reason = Reason(rule_id=rule.id, message=rule.description)
        rules[rule.id] = _RuleParts(rule, reason, referral, warning, rank)
    names = {t.id: t.name for t in ruleset.techniques}
    return DecisionParts(allowed, names, therapies, rules)


def combine(ruleset: RuleSet, profile: Profile, fired: Iterable[str]) -> Decision:
    """The Decision for ``profile`` given the ids of the rules that fired."""
    parts = ruleset.decision_parts
    fired_parts = [parts.rules[rule_id] for rule_id in sorted(set(fired))]

    reasons: dict[str, list[Reason]] = {}
    for part in fired_parts:
        for technique in part.rule.block:
            reasons.setdefault(technique, []).append(part.reason)
    allowed = [item for tid, item in parts.allowed.items() if tid not in reasons]
    blocked = [
        BlockedTechnique(technique=tid, name=parts.names[tid], reasons=reasons[tid])
        for tid in parts.allowed
        if tid in reasons
    ]

    referral_reasons = sorted(
        (p.referral for p in fired_parts if p.referral is not None),
        key=lambda reason: (-_REFERRAL_RANK[reason.level], reason.rule_id),
    )
    level = referral_reasons[0].level if referral_reasons else "none"

    warnings: dict[str, DecisionWarning] = {}
    for part in fired_parts:  # sorted by rule id, so the first rule id per code wins
        if part.warning is not None and part.warning.code not in warnings:
            warnings[part.warning.code] = part.warning
    ordered_warnings = sorted(
        warnings.values(), key=lambda w: (-_SEVERITY_RANK[w.severity], w.code)
    )

    asked = {name for part in fired_parts for name in part.rule.ask}
    values = profile.__dict__
    questions = [name for name in values if name in asked and values[name] is None]

    verdict: Verdict = VERDICTS[max((p.verdict_rank for p in fired_parts), default=0)]

    return Decision(
        verdict=verdict,
        allowed_techniques=allowed,
        blocked_techniques=blocked,
        referral=Referral(level=level, reasons=referral_reasons),
        warnings=ordered_warnings,
        questions=questions,
        complementary_therapies=parts.therapies,
        fired_rules=[p.rule.id for p in fired_parts],
        ruleset_version=ruleset.version,
    )


def outcome(ruleset: RuleSet, fired: Iterable[str]) -> Outcome:
    """The :class:`Outcome` of :func:`combine`'s decision, without building it.

    The same joins as :func:`combine`: blocked is a union, referral and verdict
    are maxima, warning codes a union. Analysis calls this for every class of
    the input space, and checks it against :func:`combine` for each outcome.
    """
    parts = ruleset.decision_parts
    blocked: set[str] = set()
    referral = verdict = 0
    warnings: set[str] = set()
    for rule_id in fired:
        part = parts.rules[rule_id]
        blocked.update(part.rule.block)
        if part.referral is not None:
            referral = max(referral, _REFERRAL_RANK[part.referral.level])
        verdict = max(verdict, part.verdict_rank)
        if part.warning is not None:
            warnings.add(part.warning.code)
    return Outcome(
        verdict=VERDICTS[verdict],
        allowed=frozenset(parts.allowed) - blocked,
        referral=REFERRAL_LEVELS[referral],
        warnings=frozenset(warnings),
    )

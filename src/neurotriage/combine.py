"""Join the effects of fired rules into a Decision.

Effects form a join-semilattice, so the result never depends on rule order:
blocked techniques are a union, the referral and the verdict are a maximum,
warnings and questions are unions. Every list in the Decision is sorted by a
key that does not involve rule order.
"""

from __future__ import annotations

from collections.abc import Iterable

from neurotriage.decision import (
    REFERRAL_LEVELS,
    SEVERITIES,
    VERDICTS,
    AllowedTechnique,
    BlockedTechnique,
    Decision,
    DecisionWarning,
    Reason,
    Referral,
    ReferralReason,
    TherapySuggestion,
    Verdict,
)
from neurotriage.profile import Profile
from neurotriage.ruleset import RuleSet

__all__ = ["combine"]

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_REFERRAL_RANK = {r: i for i, r in enumerate(REFERRAL_LEVELS)}
_VERDICT_RANK = {v: i for i, v in enumerate(VERDICTS)}


def combine(ruleset: RuleSet, profile: Profile, fired: Iterable[str]) -> Decision:
    """The Decision for ``profile`` given the ids of the rules that fired."""
    rules = [ruleset.rule(rule_id) for rule_id in sorted(set(fired))]

    allowed: list[AllowedTechnique] = []
    blocked: list[BlockedTechnique] = []
    for technique in ruleset.techniques:
        reasons = [
            Reason(rule_id=r.id, message=r.description) for r in rules if technique.id in r.block
        ]
        if reasons:
            blocked.append(
                BlockedTechnique(technique=technique.id, name=technique.name, reasons=reasons)
            )
        else:
            allowed.append(
                AllowedTechnique(
                    technique=technique.id,
                    name=technique.name,
                    area=technique.area,
                    pressure_ceiling=technique.pressure_ceiling,
                    how_to=technique.how_to,
                )
            )

    referral_reasons = sorted(
        (
            ReferralReason(rule_id=r.id, level=r.refer, message=r.description)
            for r in rules
            if r.refer is not None and r.refer != "none"
        ),
        key=lambda reason: (-_REFERRAL_RANK[reason.level], reason.rule_id),
    )
    level = referral_reasons[0].level if referral_reasons else "none"

    warnings: dict[str, DecisionWarning] = {}
    for rule in rules:  # sorted by id, so the first rule id per code wins
        if rule.warn is not None and rule.warn.code not in warnings:
            warnings[rule.warn.code] = DecisionWarning(
                code=rule.warn.code,
                severity=rule.warn.severity,
                message=rule.warn.message,
                rule_id=rule.id,
            )
    ordered_warnings = sorted(
        warnings.values(), key=lambda w: (-_SEVERITY_RANK[w.severity], w.code)
    )

    asked = {name for rule in rules for name in rule.ask}
    values = profile.__dict__
    questions = [
        name for name in type(profile).model_fields if name in asked and values[name] is None
    ]

    verdict: Verdict = max(
        (r.verdict for r in rules if r.verdict), key=_VERDICT_RANK.__getitem__, default="proceed"
    )

    return Decision(
        verdict=verdict,
        allowed_techniques=allowed,
        blocked_techniques=blocked,
        referral=Referral(level=level, reasons=referral_reasons),
        warnings=ordered_warnings,
        questions=questions,
        complementary_therapies=[
            TherapySuggestion(therapy=t.id, name=t.name, description=t.description, note=t.note)
            for t in ruleset.therapies
        ],
        fired_rules=[r.id for r in rules],
        ruleset_version=ruleset.version,
    )

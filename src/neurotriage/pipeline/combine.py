"""Join the effects of fired rules into a Decision.

Effects form a join-semilattice, so the result never depends on rule order:
blocked techniques are a union, the referral and the verdict are a maximum,
warnings and questions are unions. Every list in the Decision is sorted by a
key that does not involve rule order.

The pieces of a Decision that depend only on the rule set (each allowed
technique, each rule's reason and warning, the therapies) are built once per
RuleSet by :func:`decision_parts` and shared by every Decision.

A Decision depends only on the set of rules that fired and on which of the
fields the rules ask about are unknown, so each RuleSet keeps a bounded cache
of the Decisions it has made, keyed by exactly that. Every call gets a copy
of its own: every list in it is new, and only frozen, list-free parts
(techniques, reasons, warnings, therapies) are shared between Decisions.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from neurotriage._cache import CACHE_SIZE, BoundedCache
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
    #: every input field some rule asks about: only their being unknown matters
    asked: tuple[str, ...] = ()
    #: (fired rule ids, which asked fields are unknown) -> the Decision, copied for each caller
    decisions: BoundedCache[tuple[frozenset[str], tuple[bool, ...]], _Template] = field(
        default_factory=lambda: BoundedCache(CACHE_SIZE), compare=False, repr=False
    )


_parts: weakref.WeakKeyDictionary[RuleSet, DecisionParts] = weakref.WeakKeyDictionary()
_parts_lock = threading.Lock()


def decision_parts(ruleset: RuleSet) -> DecisionParts:
    """The pieces of ``ruleset``'s decisions, built once and kept beside it."""
    parts = _parts.get(ruleset)
    if parts is None:
        with _parts_lock:
            parts = _parts.get(ruleset)
            if parts is None:
                parts = _parts[ruleset] = _build_parts(ruleset)
    return parts


def _build_parts(ruleset: RuleSet) -> DecisionParts:
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
    asked = {name for rule in ruleset.rules for name in rule.ask}
    return DecisionParts(
        allowed,
        names,
        therapies,
        rules,
        tuple(name for name in ruleset.pack.fields if name in asked),
    )


def combine(ruleset: RuleSet, profile: BaseModel, fired: Iterable[str]) -> Decision:
    """The Decision for ``profile`` given the ids of the rules that fired."""
    parts = decision_parts(ruleset)
    fired_ids = fired if isinstance(fired, frozenset) else frozenset(fired)
    values = profile.__dict__
    key = (fired_ids, tuple([values[name] is None for name in parts.asked]))
    template = parts.decisions.get(key)
    if template is not None:
        return template.build()
    decision = _decide(ruleset, parts, values, fired_ids)
    parts.decisions.put(key, _Template(decision))
    return decision  # shares no list with the template, so it can go out as it is


def _decide(
    ruleset: RuleSet, parts: DecisionParts, values: dict[str, Any], fired: frozenset[str]
) -> Decision:
    fired_parts = [parts.rules[rule_id] for rule_id in sorted(fired)]
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
        verified=ruleset.verified,
    )


# --- copies ------------------------------------------------------------------------------------
#
# A cached Decision is copied for every caller, so no two callers share a list.
# Validating the copy would cost more than the whole cached evaluation, so the
# copy is made the way pydantic's own ``__copy__`` and ``model_construct`` make
# instances: a new object whose four BaseModel slots are set directly. If a
# pydantic release ever changes those slots, the copy is validated instead.

_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_FAST_COPY = set(getattr(BaseModel, "__slots__", ())) == set(_SLOTS) and all(
    hasattr(vars(BaseModel).get(slot), "__set__") for slot in _SLOTS
)
#: object.__new__ and the setters of the four slots, in _SLOTS order
_BUILDERS: tuple[Any, ...] = (
    (object.__new__, *(vars(BaseModel)[slot].__set__ for slot in _SLOTS)) if _FAST_COPY else ()
)


#: The fields set on every part _decide builds: all of them (it names each one).
_DECISION_FIELDS = frozenset(Decision.model_fields)
_BLOCKED_FIELDS = frozenset(BlockedTechnique.model_fields)
_REFERRAL_FIELDS = frozenset(Referral.model_fields)


class _Template:
    """A Decision taken apart into tuples, to make fresh copies of it quickly."""

    __slots__ = (
        "allowed",
        "blocked",
        "fired",
        "questions",
        "referral",
        "therapies",
        "verdict",
        "verified",
        "version",
        "warnings",
    )

    def __init__(self, decision: Decision) -> None:
        self.verdict = decision.verdict
        self.allowed = tuple(decision.allowed_techniques)
        self.blocked = tuple(
            (item.technique, item.name, tuple(item.reasons)) for item in decision.blocked_techniques
        )
        self.referral = (decision.referral.level, tuple(decision.referral.reasons))
        self.warnings = tuple(decision.warnings)
        self.questions = tuple(decision.questions)
        self.therapies = tuple(decision.complementary_therapies)
        self.fired = tuple(decision.fired_rules)
        self.version = decision.ruleset_version
        self.verified = decision.verified

    def build(self) -> Decision:
        """A new Decision equal to the original; every list in it is new."""
        if not _FAST_COPY:  # pragma: no cover - only if pydantic's internals change
            return self.validated()
        new, set_dict, set_fields, set_extra, set_private = _BUILDERS
        blocked = []
        for technique, name, why in self.blocked:
            item = new(BlockedTechnique)
            set_dict(item, {"technique": technique, "name": name, "reasons": list(why)})
            set_fields(item, set(_BLOCKED_FIELDS))
            set_extra(item, None)  # every part of a Decision forbids extra fields
            set_private(item, None)  # ... and has no private attributes
            blocked.append(item)
        level, reasons = self.referral
        referral = new(Referral)
        set_dict(referral, {"level": level, "reasons": list(reasons)})
        set_fields(referral, set(_REFERRAL_FIELDS))
        set_extra(referral, None)
        set_private(referral, None)
        decision: Decision = new(Decision)
        set_dict(decision, self._values(blocked, referral))
        set_fields(decision, set(_DECISION_FIELDS))
        set_extra(decision, None)
        set_private(decision, None)
        return decision

    def validated(self) -> Decision:
        """The same copy as :meth:`build`, made by validating it (the slow, sure way)."""
        level, reasons = self.referral
        blocked = [
            BlockedTechnique(technique=technique, name=name, reasons=list(reasons))
            for technique, name, reasons in self.blocked
        ]
        return Decision(**self._values(blocked, Referral(level=level, reasons=list(reasons))))

    def _values(self, blocked: list[BlockedTechnique], referral: Referral) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "allowed_techniques": list(self.allowed),
            "blocked_techniques": blocked,
            "referral": referral,
            "warnings": list(self.warnings),
            "questions": list(self.questions),
            "complementary_therapies": list(self.therapies),
            "fired_rules": list(self.fired),
            "ruleset_version": self.version,
            "verified": self.verified,
        }


def outcome(ruleset: RuleSet, fired: Iterable[str]) -> Outcome:
    """The :class:`Outcome` of :func:`combine`'s decision, without building it.

    The same joins as :func:`combine`: blocked is a union, referral and verdict
    are maxima, warning codes a union. Analysis calls this for every class of
    the input space, and checks it against :func:`combine` for each outcome.
    """
    parts = decision_parts(ruleset)
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

"""Join the effects of fired rules into a Decision.

Effects form a join-semilattice, so the result never depends on rule order:
blocked techniques are a union, the referral and the verdict are a maximum,
warnings and questions are unions. Every sequence in the Decision is sorted by
a key that does not involve rule order.

The pieces of a Decision that depend only on the rule set (each allowed
technique, each rule's reason, referral reason and warning, the therapies)
are validated once per RuleSet by :func:`decision_parts` and shared by every
Decision. A Decision is immutable (frozen parts, tuples), so one built from
them is assembled without validating it again (:func:`_construct`), and a
Decision made once can be handed to every caller as it is.

A Decision depends only on the set of rules that fired and on which of the
fields the rules ask about are unknown, so each RuleSet keeps a bounded cache
of the Decisions it has made, keyed by exactly that; ``cache=False`` builds a
new one instead.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
    ReferralLevel,
    ReferralReason,
    Severity,
    TherapySuggestion,
    Verdict,
)
from neurotriage.ruleset import Rule, RuleSet

__all__ = [
    "DecisionParts",
    "DecisionRow",
    "combine",
    "combine_values",
    "decision_parts",
    "decision_row",
    "outcome",
]


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
    therapies: tuple[TherapySuggestion, ...]
    rules: dict[str, _RuleParts]
    #: every input field some rule asks about: only their being unknown matters
    asked: tuple[str, ...] = ()
    #: (fired rule ids, which asked fields are unknown) -> the Decision, shared by every caller
    decisions: BoundedCache[tuple[frozenset[str], tuple[bool, ...]], Decision] = field(
        default_factory=lambda: BoundedCache(CACHE_SIZE), compare=False, repr=False
    )
    #: each distinct effect built once: (technique, its reasons' rule ids) -> its BlockedTechnique,
    #: and the referral's reasons' rule ids -> the Referral (immutable, so shared by every Decision)
    blocked: BoundedCache[tuple[str, tuple[str, ...]], BlockedTechnique] = field(
        default_factory=lambda: BoundedCache(CACHE_SIZE), compare=False, repr=False
    )
    referrals: BoundedCache[tuple[str, ...], Referral] = field(
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
    therapies = tuple(
        TherapySuggestion(therapy=t.id, name=t.name, description=t.description, note=t.note)
        for t in ruleset.therapies
    )
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


def combine(
    ruleset: RuleSet, profile: BaseModel, fired: Iterable[str], *, cache: bool = True
) -> Decision:
    """The Decision for ``profile`` given the ids of the rules that fired.

    The same Decision object is returned for every profile with the same fired
    rules and the same unknown asked fields, unless ``cache`` is off.
    """
    return combine_values(ruleset, profile.__dict__, fired, cache=cache)


def combine_values(
    ruleset: RuleSet, values: Mapping[str, Any], fired: Iterable[str], *, cache: bool = True
) -> Decision:
    """:func:`combine` for a profile's validated ``values``.

    Only whether each field some rule asks about is unknown (None) is read,
    so ``values`` may hold just those fields, in the pack's field order.
    """
    parts = decision_parts(ruleset)
    fired_ids = fired if isinstance(fired, frozenset) else frozenset(fired)
    if not cache:
        return _decide(ruleset, parts, values, fired_ids)
    key = (fired_ids, tuple([values[name] is None for name in parts.asked]))
    decision = parts.decisions.get(key)
    if decision is None:
        decision = parts.decisions.put(key, _decide(ruleset, parts, values, fired_ids))
    return decision


def _decide(
    ruleset: RuleSet, parts: DecisionParts, values: Mapping[str, Any], fired: frozenset[str]
) -> Decision:
    fired_parts = [parts.rules[rule_id] for rule_id in sorted(fired)]
    reasons: dict[str, list[Reason]] = {}
    for part in fired_parts:
        for technique in part.rule.block:
            reasons.setdefault(technique, []).append(part.reason)
    allowed = tuple(item for tid, item in parts.allowed.items() if tid not in reasons)
    blocked = tuple(
        _blocked(parts, tid, tuple(reasons[tid])) for tid in parts.allowed if tid in reasons
    )

    referral_reasons = tuple(
        sorted(
            (p.referral for p in fired_parts if p.referral is not None),
            key=lambda reason: (-_REFERRAL_RANK[reason.level], reason.rule_id),
        )
    )
    level = referral_reasons[0].level if referral_reasons else "none"

    warnings: dict[str, DecisionWarning] = {}
    for part in fired_parts:  # sorted by rule id, so the first rule id per code wins
        if part.warning is not None and part.warning.code not in warnings:
            warnings[part.warning.code] = part.warning
    ordered_warnings = tuple(
        sorted(warnings.values(), key=lambda w: (-_SEVERITY_RANK[w.severity], w.code))
    )

    asked = {name for part in fired_parts for name in part.rule.ask}
    questions = tuple(name for name in values if name in asked and values[name] is None)

    verdict: Verdict = VERDICTS[max((p.verdict_rank for p in fired_parts), default=0)]

    return _construct(
        Decision,
        {
            "verdict": verdict,
            "allowed_techniques": allowed,
            "blocked_techniques": blocked,
            "referral": _referral(parts, level, referral_reasons),
            "warnings": ordered_warnings,
            "questions": questions,
            "complementary_therapies": parts.therapies,
            "fired_rules": tuple(p.rule.id for p in fired_parts),
            "ruleset_version": ruleset.version,
            "verified": ruleset.verified,
        },
    )


def _blocked(parts: DecisionParts, technique: str, why: tuple[Reason, ...]) -> BlockedTechnique:
    """The one BlockedTechnique for ``technique`` blocked for ``why``."""
    key = (technique, tuple([reason.rule_id for reason in why]))  # ids: hashing models is slow
    found = parts.blocked.get(key)
    if found is None:
        made = {"technique": technique, "name": parts.names[technique], "reasons": why}
        found = parts.blocked.put(key, _construct(BlockedTechnique, made))
    return found


def _referral(
    parts: DecisionParts, level: ReferralLevel, reasons: tuple[ReferralReason, ...]
) -> Referral:
    """The one Referral with ``reasons`` (its level is theirs, the highest first)."""
    key = tuple([reason.rule_id for reason in reasons])  # one reason per rule
    found = parts.referrals.get(key)
    if found is None:
        found = parts.referrals.put(key, _construct(Referral, {"level": level, "reasons": reasons}))
    return found


# --- assembling without validating -------------------------------------------------------------
#
# Every value _decide puts in a part is already valid: a literal it chose from
# the rule set's own declared values, or a part validated by decision_parts().
# Validating the whole again would cost more than deciding, so the parts are
# assembled the way pydantic's own ``model_construct`` and ``__copy__`` make
# instances: a new object whose four BaseModel slots are set directly. If a
# pydantic release ever changes those slots, each part is validated instead.
# tests/unit/test_combine.py checks the result against validation across the space.

_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_FAST = set(getattr(BaseModel, "__slots__", ())) == set(_SLOTS) and all(
    hasattr(vars(BaseModel).get(slot), "__set__") for slot in _SLOTS
)
#: object.__new__ and the setters of the four slots, in _SLOTS order
_BUILDERS: tuple[Any, ...] = (
    (object.__new__, *(vars(BaseModel)[slot].__set__ for slot in _SLOTS)) if _FAST else ()
)

P = TypeVar("P", bound=BaseModel)


#: One set of field names per part model, shared by its instances: every instance
#: sets every field, and a frozen model never changes the set (model_copy copies it).
_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


def _construct(model: type[P], values: dict[str, Any]) -> P:
    """An instance of ``model`` holding ``values`` (every field named), not validated again."""
    if not _FAST:  # pragma: no cover - only if pydantic's internals change
        return model(**values)
    new, set_dict, set_fields, set_extra, set_private = _BUILDERS
    item: P = new(model)
    set_dict(item, values)
    fields = _FIELDS_SET.get(model)
    if fields is None:
        fields = _FIELDS_SET.setdefault(model, set(model.model_fields))
    set_fields(item, fields if len(values) == len(fields) else set(values))
    set_extra(item, None)  # every part of a Decision forbids extra fields
    set_private(item, None)  # ... and has no private attributes
    return item


#: A Decision as the ids and codes of one table row: verdict, allowed and blocked
#: technique ids, referral level, warning codes, questions, fired rule ids, rule set version.
DecisionRow = tuple[
    str,
    tuple[str, ...],
    tuple[str, ...],
    str,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    str,
]


def decision_row(ruleset: RuleSet, values: Mapping[str, Any], fired: Iterable[str]) -> DecisionRow:
    """The ids and codes of :func:`combine_values`'s Decision, in its order, without building it.

    The same joins and the same orders as :func:`combine`; tables, which keep
    only ids and codes, call this once per distinct effect. Tests check it
    against :func:`combine` on every class of the packs' input spaces.
    """
    parts = decision_parts(ruleset)
    fired_parts = [parts.rules[rule_id] for rule_id in sorted(fired)]
    blocked = {technique for part in fired_parts for technique in part.rule.block}
    level = max((_REFERRAL_RANK[p.referral.level] for p in fired_parts if p.referral), default=0)
    warnings: dict[str, Severity] = {}
    for part in fired_parts:  # by rule id: the first rule id per code gives its severity
        if part.warning is not None:
            warnings.setdefault(part.warning.code, part.warning.severity)
    codes = sorted(warnings, key=lambda code: (-_SEVERITY_RANK[warnings[code]], code))
    asked = {name for part in fired_parts for name in part.rule.ask}
    return (
        VERDICTS[max((p.verdict_rank for p in fired_parts), default=0)],
        tuple(technique for technique in parts.allowed if technique not in blocked),
        tuple(technique for technique in parts.allowed if technique in blocked),
        REFERRAL_LEVELS[level],
        tuple(codes),
        tuple(name for name in values if name in asked and values[name] is None),
        tuple(part.rule.id for part in fired_parts),
        ruleset.version,
    )


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

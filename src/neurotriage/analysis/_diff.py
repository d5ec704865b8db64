"""The difference between two rule sets: class by class, then text by text.

Both rule sets are enumerated over one input space that splits wherever
either could tell values apart; every class whose decision changed is
described (verdict, techniques, referral, warnings, questions), and classes
with the same changes are grouped and counted. A change is *less safe* when
it allows a technique or a firmer pressure, lowers the referral or the
verdict, drops or softens a warning, or no longer asks a question.

The texts people read (how-tos, therapies, warning messages, rule
descriptions, sources) and the invariants change no class, so they are
compared once, item by item, as *wording changes*: shown with their old and
new text, never judged, because only a person can tell whether a text got
less safe.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from neurotriage.analysis._budget import DIFF, QUERY_SECONDS, Progress, check_cost
from neurotriage.analysis._enumerate import Enumeration, enumerate_space
from neurotriage.analysis._pack_diff import PackChange, pack_changes
from neurotriage.analysis._space import input_space
from neurotriage.analysis._wording import WordingChange, wording
from neurotriage.decision import REFERRAL_LEVELS, SEVERITIES, VERDICTS, Outcome, Pressure
from neurotriage.pipeline.combine import combine
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.proof import Comparison, Method, Seen
from neurotriage.ruleset import RuleSet

__all__ = ["Change", "ChangeGroup", "RuleSetDiff", "WordingChange", "diff"]

PRESSURES = typing.get_args(Pressure)  # the pressure ceilings, gentlest first


@dataclass(frozen=True)
class Change:
    """One aspect of a decision that differs: ``aspect`` went from ``before`` to ``after``."""

    aspect: str
    before: str
    after: str
    less_safe: bool

    def __str__(self) -> str:
        mark = "  (less safe)" if self.less_safe else ""
        return f"{self.aspect}: {self.before} -> {self.after}{mark}"


@dataclass(frozen=True)
class ChangeGroup:
    """The classes whose decisions changed in the same way, with one example."""

    changes: tuple[Change, ...]
    #: how many classes changed so; ``None``: the solver found the kind but counting it
    #: would have taken too long (see ``proof.COUNT_STEPS``)
    count: int | None
    example: BaseModel

    @property
    def less_safe(self) -> bool:
        """Whether any change of the group is less safe."""
        return any(change.less_safe for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        """The group as JSON-ready data."""
        return {
            "classes": self.count,
            "less_safe": self.less_safe,
            "changes": [
                {"aspect": c.aspect, "before": c.before, "after": c.after, "less_safe": c.less_safe}
                for c in self.changes
            ],
            "example": self.example.model_dump(mode="json", exclude_defaults=True),
        }


@dataclass(frozen=True)
class RuleSetDiff:
    """Every change of decision over the shared input space, and every change of wording."""

    old_version: str
    new_version: str
    space_size: int
    #: classes that decide differently; ``None`` when some group is uncounted
    changed: int | None
    groups: tuple[ChangeGroup, ...]
    wording: tuple[WordingChange, ...] = ()
    #: what the pack declares differently that changes what verify proves
    pack: tuple[PackChange, ...] = ()

    @property
    def less_safe(self) -> bool:
        """Whether any class got a less safe decision, or the pack's red flags or risk
        orders changed what verify proves (wording changes are never judged)."""
        return any(group.less_safe for group in self.groups) or any(
            change.less_safe for change in self.pack
        )


@dataclass(frozen=True)
class _Catalogue:
    """What a rule set says about techniques and warnings beyond their ids."""

    pressure: dict[str, str]  # technique id -> pressure ceiling
    severity: dict[str, str]  # warning code -> severity

    @classmethod
    def of(cls, rules: RuleSet) -> _Catalogue:
        return cls(
            {t.id: t.pressure_ceiling for t in rules.techniques},
            {r.warn.code: r.warn.severity for r in rules.rules if r.warn is not None},
        )


def _technique_state(outcome: Outcome, catalogue: _Catalogue, technique: str) -> str:
    if technique not in catalogue.pressure:
        return "not in the catalogue"
    return "allowed" if technique in outcome.allowed else "blocked"


def _changes(old: Outcome, new: Outcome, was: _Catalogue, now: _Catalogue) -> tuple[Change, ...]:
    changes = []
    if old.verdict != new.verdict:
        lower = VERDICTS.index(new.verdict) < VERDICTS.index(old.verdict)
        changes.append(Change("verdict", old.verdict, new.verdict, lower))
    for technique in sorted(was.pressure.keys() | now.pressure.keys()):
        before = _technique_state(old, was, technique)
        after = _technique_state(new, now, technique)
        if before != after:
            changes.append(Change(f"technique {technique}", before, after, after == "allowed"))
        elif before == "allowed" and was.pressure[technique] != now.pressure[technique]:
            higher = PRESSURES.index(now.pressure[technique]) > PRESSURES.index(
                was.pressure[technique]
            )
            changes.append(
                Change(
                    f"technique {technique} pressure ceiling",
                    was.pressure[technique],
                    now.pressure[technique],
                    higher,
                )
            )
    if old.referral != new.referral:
        lower = REFERRAL_LEVELS.index(new.referral) < REFERRAL_LEVELS.index(old.referral)
        changes.append(Change("referral", old.referral, new.referral, lower))
    for code in sorted(old.warnings & new.warnings):
        if was.severity[code] != now.severity[code]:
            milder = SEVERITIES.index(now.severity[code]) < SEVERITIES.index(was.severity[code])
            changes.append(
                Change(f"warning {code} severity", was.severity[code], now.severity[code], milder)
            )
    changes.extend(
        Change(f"warning {code}", "given", "dropped", less_safe=True)
        for code in sorted(old.warnings - new.warnings)
    )
    changes.extend(
        Change(f"warning {code}", "not given", "given", less_safe=False)
        for code in sorted(new.warnings - old.warnings)
    )
    return tuple(changes)


def _question_changes(old: int, new: int, names: Sequence[str]) -> tuple[Change, ...]:
    """The questions asked in one class and no longer (less safe), or newly asked."""
    changes = []
    for bit, name in enumerate(names):
        was, now = old >> bit & 1, new >> bit & 1
        if was != now:
            before, after = ("asked", "not asked") if was else ("not asked", "asked")
            changes.append(Change(f"question {name}", before, after, less_safe=bool(was)))
    return tuple(changes)


def _asked_fields(*rule_sets: RuleSet) -> tuple[str, ...]:
    """Every input field some rule of ``rule_sets`` asks about, in field order."""
    asked = {name for rules in rule_sets for rule in rules.rules for name in rule.ask}
    return tuple(name for name in rule_sets[0].pack.fields if name in asked)


def _question_bits(
    enumeration: Enumeration, names: Sequence[str], unknown: Sequence[int]
) -> list[int]:
    """For every class index, the questions its decision asks (bit ``b``: ``names[b]``).

    As in combine(), a decision asks what its fired rules ``ask`` about and is
    still unknown; which fields a set of fired rules asks about is worked out
    once per such set, so no Decision is built.
    """
    if not names:
        return [0] * len(enumeration.masks)
    bit_of = {name: 1 << b for b, name in enumerate(names)}
    asking: dict[int, int] = {}  # the bit of a rule that asks -> the bits of its fields
    for b, rule_id in enumerate(enumeration.rule_ids):
        for name in enumeration.rules.rule(rule_id).ask:
            asking[1 << b] = asking.get(1 << b, 0) | bit_of[name]
    asks = sum(asking)  # one bit per rule, so the sum is their union
    memo: dict[int, int] = {}
    found = []
    for mask, unknown_here in zip(enumeration.masks, unknown, strict=True):
        fired = mask & asks
        asked = memo.get(fired)
        if asked is None:
            asked = 0
            for rule_bit, fields in asking.items():
                if fired & rule_bit:
                    asked |= fields
            memo[fired] = asked
        found.append(asked & unknown_here)
    return found


def diff(
    old: RuleSet,
    new: RuleSet,
    *,
    progress: Progress | None = None,
    method: Method = "symbolic",
    time_budget: float = QUERY_SECONDS,
) -> RuleSetDiff:
    """Every class whose decision differs between ``old`` and ``new``, grouped; every text too.

    The classes are compared by their outcomes and questions; the texts people
    read, once each, as :class:`WordingChange` entries (never less safe).
    ``method="symbolic"`` (the default) finds each kind of change with the
    solver, counts its classes exactly and shows its smallest profile, at any
    size of space (a query over ``time_budget`` seconds raises
    UndecidedError); ``method="enumeration"`` compares every class, as the
    cross-check, and raises :class:`SpaceTooLargeError` before doing any
    work if the shared input space is too large to compare in about a
    minute and 2 GB. Raises :class:`~neurotriage.PackMismatchError` if the
    two packs read different input models (a decision of one cannot be
    compared with the other's).
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, RuleSet):
            raise TypeError(
                f"{name} must be a RuleSet from load_rules(), not {type(value).__name__}"
            )
    space = input_space(old, new)
    if method == "symbolic":
        if progress is not None:
            progress("proving where the decisions differ", 0, 1)
        changed, proved = _proved_groups(old, new, time_budget)
        aspects = {change.aspect for group in proved for change in group.changes}
        return RuleSetDiff(
            old.version,
            new.version,
            space.size,
            changed,
            proved,
            wording(old, new, aspects),
            pack_changes(old.pack, new.pack, space),
        )
    check_cost("diff", space.size, len(old.rules) + len(new.rules), DIFF, space.fields)
    before = enumerate_space(old, space, "reference", progress=progress)
    after = enumerate_space(new, space, "reference", progress=progress)
    catalogues = _Catalogue.of(old), _Catalogue.of(new)
    asked = _asked_fields(old, new)
    unknown = space.unknown_bits(asked)
    questions = _question_bits(before, asked, unknown), _question_bits(after, asked, unknown)
    memo: dict[tuple[int, int, int, int], tuple[Change, ...]] = {}
    groups: dict[tuple[Change, ...], list[int]] = {}  # changes -> [count, best known, index]
    changed = 0
    keys = zip(before.outcome_ids, after.outcome_ids, *questions, strict=True)
    for index, key in enumerate(keys):
        changes = memo.get(key)
        if changes is None:
            was, now, asked_before, asked_after = key
            changes = memo[key] = _changes(
                before.outcomes[was], after.outcomes[now], *catalogues
            ) + _question_changes(asked_before, asked_after, asked)
        if not changes:
            continue
        changed += 1
        group = groups.get(changes)
        if group is None:
            groups[changes] = [1, space.known_count(index), index]
            continue
        group[0] += 1
        known = space.known_count(index)
        if known < group[1]:
            group[1:] = [known, index]
    ordered = sorted(groups.items(), key=lambda item: _order(item[0], item[1][0]))
    shown = {change.aspect for changes in groups for change in changes}
    return RuleSetDiff(
        old.version,
        new.version,
        space.size,
        changed,
        tuple(
            ChangeGroup(changes, count, space.profile_at(index))
            for changes, (count, _, index) in ordered
        ),
        wording(old, new, shown),
        pack_changes(old.pack, new.pack, space),
    )


def _order(changes: tuple[Change, ...], count: int | None) -> tuple[Any, ...]:
    """Groups in the order shown: less safe first, larger first, uncounted last, then by text."""
    less_safe = any(change.less_safe for change in changes)
    return (not less_safe, count is None, -(count or 0), [str(change) for change in changes])


def _seen(
    comparison: Comparison, old: RuleSet, new: RuleSet, profile: BaseModel
) -> tuple[Seen, tuple[Change, ...]]:
    """Both decisions on ``profile``, aspect by aspect, and the changes between them."""
    decisions = [
        combine(rules, profile, compiled_engine(rules, "reference").fired(profile))
        for rules in (old, new)
    ]
    outcomes = [Outcome.of(d) for d in decisions]
    catalogues = _Catalogue.of(old), _Catalogue.of(new)
    questions = [set(d.questions) for d in decisions]
    asked = comparison.asked
    bits = [sum(1 << b for b, name in enumerate(asked) if name in q) for q in questions]
    changes = _changes(outcomes[0], outcomes[1], *catalogues) + _question_changes(
        bits[0], bits[1], asked
    )
    seen = Seen(
        (outcomes[0].verdict, outcomes[1].verdict),
        {
            t: tuple(  # type: ignore[misc]
                (t in o.allowed) if t in c.pressure else None
                for o, c in zip(outcomes, catalogues, strict=True)
            )
            for t in comparison.techniques
        },
        (outcomes[0].referral, outcomes[1].referral),
        {c: (c in outcomes[0].warnings, c in outcomes[1].warnings) for c in comparison.codes},
        {name: (name in questions[0], name in questions[1]) for name in asked},
    )
    return seen, changes


def _proved_groups(
    old: RuleSet, new: RuleSet, seconds: float
) -> tuple[int | None, tuple[ChangeGroup, ...]]:
    """Each kind of change found by the solver: its changes, its exact count, its example.

    Every kind is found (the solver answers or UndecidedError is raised); a
    kind too costly to count has the count ``None``, and so has the total.
    """
    comparison = Comparison(old, new, seconds)
    validate, data = old.pack.validate, comparison.data
    found: list[tuple[tuple[Change, ...], int | None, BaseModel]] = []
    comparison.exclude(comparison.unchanged())
    while (values := comparison.find()) is not None:
        seen, changes = _seen(comparison, old, new, validate(data(values)))
        if not changes:  # pragma: no cover - find() only returns changed profiles
            raise AssertionError("the solver's changed profile does not change")
        kind = comparison.kind(seen)
        example = validate(data(comparison.smallest(kind)))
        found.append((changes, comparison.count(kind), example))
        comparison.exclude(kind)
    ordered = sorted(found, key=lambda item: _order(item[0], item[1]))
    groups = tuple(ChangeGroup(changes, count, example) for changes, count, example in ordered)
    counts = [count for _, count, _ in found]
    return (None if None in counts else sum(c for c in counts if c is not None)), groups

"""Two rule sets over one space, symbolically: where their decisions differ, and how much.

Every aspect of a decision (the verdict, each technique, the referral, each
warning, each question) is a condition in the rule language over the
profile's fields, built from the rules' own conditions. A *kind* of change
is a condition too: for each aspect either the exact before and after that
one profile shows, or "the same on both sides". The solver finds a profile
changed in a kind not yet seen (:meth:`Comparison.find`) and the smallest
one of a kind (:meth:`Comparison.smallest`); :func:`count_where` counts a
kind's classes exactly, by splitting it on one field at a time, so no class
is listed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neurotriage.decision import REFERRAL_LEVELS, VERDICTS
from neurotriage.language import Always, And, Condition, Known, Not, Or, fields_read
from neurotriage.proof._count import CountTooHardError, count_where
from neurotriage.proof._search import Search
from neurotriage.proof._solver import Logic, Term
from neurotriage.proof._symbolic import Encoding, domains_of
from neurotriage.ruleset import RuleSet

__all__ = ["COUNT_STEPS", "Comparison", "Seen"]

#: A kind of change whose count needs more distinct remainders than this is left uncounted.
COUNT_STEPS = 5_000

#: a rule's attribute that sets a ranked aspect, and the order of its values
_ORDERS: dict[str, tuple[str, ...]] = {"verdict": VERDICTS, "refer": REFERRAL_LEVELS}

_ALWAYS: Condition = Always()
_NEVER: Condition = Not(Always())


def _join(both: bool, items: Iterable[Condition]) -> Condition:
    """A conjunction (``both``) or disjunction of ``items``, constants folded, repeats dropped."""
    stop, skip = (_NEVER, _ALWAYS) if both else (_ALWAYS, _NEVER)
    kept: list[Condition] = []
    for item in items:
        if item == stop:
            return stop
        if item != skip and item not in kept:
            kept.append(item)
    if not kept:
        return skip
    if len(kept) == 1:
        return kept[0]
    return And(tuple(kept)) if both else Or(tuple(kept))


def _all(items: Iterable[Condition]) -> Condition:
    return _join(True, items)


def _any(items: Iterable[Condition]) -> Condition:
    return _join(False, items)


def _not(item: Condition) -> Condition:
    if isinstance(item, Not):
        return item.item
    return Not(item)


def _is(item: Condition, value: bool) -> Condition:
    return item if value else _not(item)


def _split(first: Condition, second: Condition) -> tuple[Condition, Condition, Condition]:
    """Two disjunctions as (what both share, the rest of the first, the rest of the second).

    Aspects of the two rule sets are disjunctions of rule conditions, most of
    them the same rules: keeping the shared part apart keeps the formulas of
    a change as small as the change, so counting them stays cheap.
    """
    ours = first.items if isinstance(first, Or) else (first,)
    theirs = second.items if isinstance(second, Or) else (second,)
    shared = [item for item in ours if item in theirs]
    return (
        _any(shared),
        _any(item for item in ours if item not in shared),
        _any(item for item in theirs if item not in shared),
    )


def _same(first: Condition, second: Condition) -> Condition:
    """Both hold or neither does (``Always`` when they are the same condition)."""
    if first == second:
        return _ALWAYS
    if isinstance(first, Not) and isinstance(second, Not):
        return _same(first.item, second.item)
    shared, ours, theirs = _split(first, second)
    if shared != _NEVER:
        return _any([shared, _same(ours, theirs)])
    return _any([_all([first, second]), _all([_not(first), _not(second)])])


def _exactly(first: Condition, second: Condition, values: tuple[bool, bool]) -> Condition:
    """The first holds exactly when ``values[0]`` says, the second when ``values[1]`` does."""
    if isinstance(first, Not) and isinstance(second, Not):
        return _exactly(first.item, second.item, (not values[0], not values[1]))
    shared, ours, theirs = _split(first, second)
    if shared == _NEVER:
        return _all([_is(first, values[0]), _is(second, values[1])])
    if values == (True, True):
        return _any([shared, _all([ours, theirs])])
    return _all([_not(shared), _is(ours, values[0]), _is(theirs, values[1])])


def _pair(
    first: Condition, second: Condition, values: tuple[bool, bool], *, exact: bool
) -> Condition:
    """An aspect that changes (or must keep ``values`` exactly), or else stays the same."""
    if exact or values[0] != values[1]:
        return _exactly(first, second, values)
    return _same(first, second)


def _ranked(
    values: tuple[str, str], before: _Aspects, after: _Aspects, what: str
) -> list[Condition]:
    """A verdict or referral: exactly ``values`` if they differ, else equal at every level."""
    if values[0] != values[1]:
        return [before.exactly(what, values[0]), after.exactly(what, values[1])]
    return [
        _same(before.at_least(what, level), after.at_least(what, level))
        for level in _ORDERS[what][1:]
    ]


def _never_none(item: Condition | None) -> Condition:
    if item is None:  # pragma: no cover - a technique is in at least one catalogue
        raise ValueError("a technique in neither catalogue")
    return item


class _Aspects:
    """One rule set's decision, aspect by aspect, as conditions over the profile's fields."""

    def __init__(self, rules: RuleSet, read: Mapping[str, Any]) -> None:
        self.rules = rules
        self.read = read

    def _firing(self, keep: Any) -> Condition:
        return _any(rule.condition for rule in self.rules.rules if keep(rule))

    def allowed(self, technique: str) -> Condition | None:
        """``None``: not in this rule set's catalogue."""
        if technique not in self.rules.technique_ids:
            return None
        return _not(self._firing(lambda rule: technique in rule.block))

    def at_least(self, what: str, level: str) -> Condition:
        """The ``what`` (``"verdict"`` or ``"refer"``) is ``level`` or above."""
        order = _ORDERS[what]
        rank = order.index(level)
        return self._firing(
            lambda rule: (
                getattr(rule, what) is not None and order.index(getattr(rule, what)) >= rank
            )
        )

    def exactly(self, what: str, level: str) -> Condition:
        """The ``what`` (``"verdict"`` or ``"refer"``) is ``level``."""
        order = _ORDERS[what]
        rank = order.index(level)
        here = _ALWAYS if rank == 0 else self.at_least(what, level)
        if rank + 1 == len(order):
            return here
        return _all([here, _not(self.at_least(what, order[rank + 1]))])

    def warns(self, code: str) -> Condition:
        return self._firing(lambda rule: rule.warn is not None and rule.warn.code == code)

    def asks(self, name: str) -> Condition:
        if name in self.read:
            unknown: Condition = Known(name, known=False)
        else:  # no condition reads it: every class holds its default
            unknown = _ALWAYS if self.rules.pack.fields[name].default is None else _NEVER
        return _all([unknown, self._firing(lambda rule: name in rule.ask)])


@dataclass(frozen=True)
class Seen:
    """What one profile's two decisions are, aspect by aspect (``None``: not in the catalogue)."""

    verdicts: tuple[str, str]
    allowed: Mapping[str, tuple[bool | None, bool | None]]
    referrals: tuple[str, str]
    warnings: Mapping[str, tuple[bool, bool]]
    asked: Mapping[str, tuple[bool, bool]]


class Comparison:
    """``old`` and ``new`` over the classes either can tell apart, within ``seconds`` a query."""

    def __init__(self, old: RuleSet, new: RuleSet, seconds: float) -> None:
        self.domains, self.size = domains_of(old, new)
        self.logic = Logic()
        self.encoding = Encoding(old, self.domains, self.logic)
        self.x = self.encoding.profile()
        self.search = Search(self.encoding, [self.x], seconds, "diff")
        self._formulas: dict[int, tuple[Condition, Term]] = {}
        self.sides = _Aspects(old, self.domains), _Aspects(new, self.domains)
        pressure = [{t.id: t.pressure_ceiling for t in r.techniques} for r in (old, new)]
        self.techniques = sorted(pressure[0].keys() | pressure[1].keys())
        common = pressure[0].keys() & pressure[1].keys()
        self.repressed = {t for t in common if pressure[0][t] != pressure[1][t]}
        severity = [{r.warn.code: r.warn.severity for r in s.rules if r.warn} for s in (old, new)]
        self.codes = sorted(severity[0].keys() | severity[1].keys())
        common = severity[0].keys() & severity[1].keys()
        self.resevered = {c for c in common if severity[0][c] != severity[1][c]}
        asked = {name for r in (*old.rules, *new.rules) for name in r.ask}
        #: every field some rule of either set asks about, in field order
        self.asked = tuple(name for name in old.pack.fields if name in asked)
        self.one_sided = any(
            t not in old.technique_ids or t not in new.technique_ids for t in self.techniques
        )

    def unchanged(self) -> Condition:
        """Every profile whose two decisions are the same.

        No class is unchanged when a technique is in one catalogue only; a
        technique whose pressure ceiling changed is unchanged only where both
        block it, a warning whose severity changed only where neither gives it.
        """
        if self.one_sided:
            return _NEVER
        same = Seen(
            ("proceed", "proceed"),
            dict.fromkeys(self.techniques, (False, False)),
            ("none", "none"),
            dict.fromkeys(self.codes, (False, False)),
            dict.fromkeys(self.asked, (False, False)),
        )
        return self.kind(same)

    def kind(self, seen: Seen) -> Condition:
        """Every profile whose two decisions change exactly as ``seen``'s do."""
        before, after = self.sides
        parts = [
            *_ranked(seen.verdicts, before, after, "verdict"),
            *_ranked(seen.referrals, before, after, "refer"),
        ]
        for technique in self.techniques:
            first, second = before.allowed(technique), after.allowed(technique)
            values = seen.allowed[technique]
            if first is None:  # in the new catalogue only: its side matters
                parts.append(_is(_never_none(second), bool(values[1])))
            elif second is None:  # in the old catalogue only
                parts.append(_is(first, bool(values[0])))
            else:
                both = (bool(values[0]), bool(values[1]))
                parts.append(_pair(first, second, both, exact=technique in self.repressed))
        for code in self.codes:
            both = seen.warnings[code]
            first, second = before.warns(code), after.warns(code)
            parts.append(_pair(first, second, both, exact=code in self.resevered))
        parts += [
            _pair(before.asks(name), after.asks(name), seen.asked[name], exact=False)
            for name in self.asked
        ]
        return _all(parts)

    def _term(self, kind: Condition) -> Term:
        return self.encoding.formula(kind, self.x, self._formulas)

    def exclude(self, kind: Condition) -> None:
        """Leave the profiles of ``kind`` out of what :meth:`find` looks for, from now on."""
        self.search.require(self.logic.negate(self._term(kind)))

    def find(self) -> dict[str, Any] | None:
        """A profile whose decisions change in a kind not yet excluded."""
        if not self.search.holds():
            return None
        return self.encoding.read(self.search.query, self.x)

    def smallest(self, kind: Condition) -> dict[str, Any]:
        """The smallest profile of ``kind`` (fewest fields off their defaults, lowest class)."""
        with self.search.trying():
            self.search.require(self._term(kind))
            if not self.search.holds():  # pragma: no cover - a kind always has its own profile
                raise AssertionError("a kind of change holds on no profile")
            (values,) = self.search.smallest(self.x)
        return values

    def count(self, kind: Condition) -> int | None:
        """How many classes of the shared space ``kind`` holds on, exactly.

        ``None`` when counting would take more than :data:`COUNT_STEPS` steps:
        a count is #P-hard in general, and the kind is reported without one
        rather than the diff taking minutes.
        """
        free = [d.classes for name, d in self.domains.items() if name not in fields_read(kind)]
        try:
            return count_where(kind, self.domains, steps=COUNT_STEPS) * math.prod(free)
        except CountTooHardError:
            return None

    def data(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A whole profile's data from the values the solver read."""
        return self.encoding.data(values)

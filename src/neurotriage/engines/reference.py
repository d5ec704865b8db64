"""The reference backend: every rule compiled to a Python closure.

It is the oracle the durable backend is checked against, so its rules stay
as plain as possible: evaluate each rule's condition on the profile's values
(:meth:`ReferenceEngine.evaluate_rules`).

What it adds is a bounded cache of the fired rules per *class* of profile.
Each field's values fall into a few classes that no condition can tell apart
(the same classes :func:`neurotriage.analysis.input_space` enumerates): an
integer by the thresholds the rules compare it with, a list by whether it is
empty and which of the items the rules name it holds, every other value by
itself; unknown is a class of its own. Profiles of the same class fire the
same rules, so the closures run once per class. The classes are worked out
from the conditions when the engine is compiled.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from pydantic import BaseModel

from neurotriage._cache import CACHE_SIZE, BoundedCache
from neurotriage.fields import FieldSpec
from neurotriage.language import Compare, Contains, InSet, compile_condition, walk
from neurotriage.language import cuts as cuts_of
from neurotriage.ruleset import RuleSet

__all__ = ["ReferenceEngine", "class_key"]


ClassKey = Callable[[Mapping[str, Any]], Hashable]


class ReferenceEngine:
    """Rules as closures over a profile's field values."""

    name = "reference"

    def __init__(self, ruleset: RuleSet) -> None:
        specs = ruleset.pack.fields
        self._rules = tuple(
            (rule.id, compile_condition(rule.condition, specs)) for rule in ruleset.rules
        )
        self._key = class_key(ruleset, specs)
        self._cache: BoundedCache[Hashable, frozenset[str]] = BoundedCache(CACHE_SIZE)

    @property
    def predicates(self) -> tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...]:
        """Each rule's id and compiled condition, in rule order."""
        return self._rules

    def fired(self, profile: BaseModel) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        values = profile.__dict__
        key = self._key(values)
        fired = self._cache.get(key)
        if fired is None:
            fired = self._cache.put(key, self._evaluate(values))
        return fired

    def evaluate_rules(self, profile: BaseModel) -> frozenset[str]:
        """:meth:`fired` without the cache: every condition evaluated on ``profile``."""
        return self._evaluate(profile.__dict__)

    def _evaluate(self, values: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(rule_id for rule_id, holds in self._rules if holds(values))


def class_key(ruleset: RuleSet, specs: Mapping[str, FieldSpec]) -> ClassKey:
    """A function from a profile's values to its class under ``ruleset``'s conditions.

    Two profiles with equal keys fire the same rules of ``ruleset``. Fields no
    rule reads are left out of the key.
    """
    cuts: dict[str, set[int]] = {}
    members: dict[str, set[str]] = {}
    for rule in ruleset.rules:
        for node in walk(rule.condition):
            if isinstance(node, Compare | InSet) and specs[node.field].kind == "int":
                cuts.setdefault(node.field, set()).update(cuts_of(node))
            elif isinstance(node, Contains):
                members.setdefault(node.field, set()).add(node.value)

    # the parser only lets lists be tested with is (not) empty, "x" in and is (un)known
    read = sorted(ruleset.fields_read)
    as_is = [name for name in read if specs[name].kind in ("bool", "enum")]
    special: list[tuple[str, Classify]] = []
    for name in read:
        spec = specs[name]
        if spec.kind == "int":
            special.append((name, _int_classes(spec, tuple(sorted(cuts.get(name, ()))))))
        elif spec.kind == "list":
            special.append((name, _list_classes(tuple(sorted(members.get(name, ()))))))
    return _compose(operator.itemgetter(*as_is) if as_is else None, special)


Classify = Callable[[Any], Hashable]


class _IntClasses(dict[Any, Hashable]):
    """Value -> class index of an int field, every value of its domain precomputed."""

    def __init__(self, limits: tuple[int, ...], low: int, high: int) -> None:
        super().__init__({None: None})
        self.limits = limits
        self.update({value: bisect_right(limits, value) for value in range(low, high + 1)})

    def __missing__(self, value: Any) -> Hashable:  # outside the declared bounds
        return bisect_right(self.limits, value)


def _int_classes(spec: FieldSpec, limits: tuple[int, ...]) -> Classify:
    low, high = spec.low, spec.high
    if low is None or high is None or high - low > 1000:  # pragma: no cover - no such field yet
        return lambda value: None if value is None else bisect_right(limits, value)
    return _IntClasses(limits, low, high).__getitem__


def _list_classes(items: tuple[str, ...]) -> Classify:
    if not items:
        return lambda value: None if value is None else not value
    return lambda value: None if value is None else (not value, *[i in value for i in items])


def _compose(same: Callable[[Any], Any] | None, special: list[tuple[str, Classify]]) -> ClassKey:
    """The key function, unrolled for the usual few special fields (no loop per call)."""
    if same is None:
        same = _nothing
    if not special:
        return same
    if len(special) == 1:
        ((n1, c1),) = special
        return lambda values: (same(values), c1(values[n1]))
    if len(special) == 2:
        (n1, c1), (n2, c2) = special
        return lambda values: (same(values), c1(values[n1]), c2(values[n2]))
    fields = tuple(special)
    return lambda values: (same(values), *[classify(values[name]) for name, classify in fields])


def _nothing(_values: Any) -> None:
    return None

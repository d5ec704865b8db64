"""The class of a profile: what no rule of a rule set can tell apart.

Each field's values fall into a few classes that no condition can tell apart
(the same classes :func:`neurotriage.analysis.input_space` enumerates): an
integer by the thresholds the rules compare it with, a list by whether it is
empty and which of the items the rules name it holds, every other value by
itself; unknown is a class of its own. Profiles of the same class fire the
same rules, and if the same asked fields are unknown they get the same
Decision, so the pipeline decides once per class (:mod:`.compiled`), on
every backend alike. The classes are worked out from the conditions once per
rule set, as plain data (:class:`Classes`), which the key function here and
the column-wise key of :mod:`neurotriage.table` both read.
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from neurotriage.fields import FieldSpec
from neurotriage.language import Compare, Contains, InSet, walk
from neurotriage.language import cuts as cuts_of
from neurotriage.ruleset import RuleSet

__all__ = ["ClassKey", "Classes", "class_key", "classes_of", "decision_key"]

ClassKey = Callable[[Mapping[str, Any]], Hashable]


@dataclass(frozen=True)
class Classes:
    """How a rule set splits each field's values into classes.

    ``as_is``: bool and enum fields some rule reads, each value its own class.
    ``ints``: int fields read, with the thresholds that split them (a value's
    class is ``bisect_right(limits, value)``). ``lists``: list fields read, with
    the items the rules test for (a value's class is whether it is empty and
    which of them it holds). ``unknown_only``: fields the rules only *ask*
    about, never read, whose being unknown is all that matters (it decides
    whether they are questions). Unknown is a class of its own everywhere.
    """

    as_is: tuple[str, ...]
    ints: tuple[tuple[str, tuple[int, ...]], ...]
    lists: tuple[tuple[str, tuple[str, ...]], ...]
    unknown_only: tuple[str, ...]


def classes_of(ruleset: RuleSet) -> Classes:
    """The classes of ``ruleset``'s fields, from its conditions and its asked fields."""
    specs = ruleset.pack.fields
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
    asked = {name for rule in ruleset.rules for name in rule.ask}
    return Classes(
        as_is=tuple(name for name in read if specs[name].kind in ("bool", "enum")),
        ints=tuple(
            (name, tuple(sorted(cuts.get(name, ())))) for name in read if specs[name].kind == "int"
        ),
        lists=tuple(
            (name, tuple(sorted(members.get(name, ()))))
            for name in read
            if specs[name].kind == "list"
        ),
        unknown_only=tuple(name for name in specs if name in asked and name not in read),
    )


def class_key(ruleset: RuleSet, specs: Mapping[str, FieldSpec] | None = None) -> ClassKey:
    """A function from a profile's values to its class under ``ruleset``'s conditions.

    Two profiles with equal keys fire the same rules of ``ruleset``. Fields no
    rule reads are left out of the key.
    """
    specs = ruleset.pack.fields if specs is None else specs
    classes = classes_of(ruleset)
    special: list[tuple[str, Classify]] = [
        (name, _int_classes(specs[name], limits)) for name, limits in classes.ints
    ]
    special += [(name, _list_classes(items)) for name, items in classes.lists]
    special.sort()
    as_is = classes.as_is
    return _compose(operator.itemgetter(*as_is) if as_is else None, special)


def decision_key(ruleset: RuleSet) -> ClassKey:
    """A function from a profile's values to everything its Decision depends on.

    Its class (:func:`class_key`), and which of the fields the rules only ask
    about are unknown: two profiles with equal keys get equal Decisions.
    """
    key = class_key(ruleset)
    unknown_only = classes_of(ruleset).unknown_only
    if not unknown_only:
        return key
    return lambda values: (key(values), *[values[name] is None for name in unknown_only])


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
    if low is None or high is None or high - low > 1000:
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

"""What a rule set's conditions tell apart, before any class is built.

The classes of a field come from the conditions themselves: the integer
thresholds a condition compares against, the enum values, the list names
tested. The enumerated space (:mod:`neurotriage.analysis`) and the symbolic
proof build on the same shape, so they split the values alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from neurotriage.fields import FieldSpec
from neurotriage.language import Compare, Condition, Contains, InSet, fields_read, walk
from neurotriage.language import cuts as cuts_of
from neurotriage.ruleset import RuleSet

__all__ = ["OTHER_ITEM", "Shape", "conditions_of", "int_classes", "other_item", "shape_of"]

#: The list item that stands for "a condition no rule names", unless a rule
#: names it: then :func:`other_item` picks another.
OTHER_ITEM = "some other condition"


def int_classes(spec: FieldSpec, cuts: set[int]) -> tuple[tuple[int, int], ...]:
    if spec.low is None or spec.high is None:
        raise TypeError(f"int field {spec.name} has no bounds")
    starts = sorted({spec.low} | {c for c in cuts if spec.low < c <= spec.high})
    ends = [s - 1 for s in starts[1:]] + [spec.high]
    return tuple(zip(starts, ends, strict=True))


def other_item(members: Iterable[str]) -> str:
    """An item that stands for "any item not in ``members``", and is not one of them.

    It is ``"some other condition"`` unless a condition names exactly that;
    then ``"some other condition 2"``, and so on. A representative that a rule
    could name would merge the class of every unnamed item into a named one,
    and the analyses would never see a profile whose items no rule names.
    """
    named = set(members)
    candidate, count = OTHER_ITEM, 1
    while candidate in named:
        count += 1
        candidate = f"{OTHER_ITEM} {count}"
    return candidate


def conditions_of(rules: RuleSet) -> Iterator[Condition]:
    """Every condition a rule set holds: its rules' and its invariants'."""
    for rule in rules.rules:
        yield rule.condition
    for invariant in rules.invariants:
        yield invariant.condition


@dataclass(frozen=True)
class Shape:
    """What the conditions tell apart, before any class is built: the space's size, cheaply."""

    specs: Mapping[str, FieldSpec]
    read: frozenset[str]
    cuts: Mapping[str, frozenset[int]]
    members: Mapping[str, tuple[str, ...]]

    def classes(self, name: str, spec: FieldSpec) -> int:
        """How many classes ``name`` has (its values are not built)."""
        if name not in self.read:
            return 1
        unknown = 1 if spec.nullable else 0
        if spec.kind == "bool":
            return unknown + 2
        if spec.kind == "enum":
            return unknown + len(spec.values)
        if spec.kind == "int":
            return unknown + len(int_classes(spec, set(self.cuts.get(name, ()))))
        return unknown + 1 + (1 << len(self.members.get(name, ())))  # [], then every subset

    def fields(self) -> dict[str, tuple[int, str]]:
        """Each field's class count and why it has that many."""
        sizes = {}
        for name, spec in self.specs.items():
            count = self.classes(name, spec)
            if name not in self.read:
                why = "no condition reads it"
            elif spec.kind == "int":
                found = len(self.cuts.get(name, ()))
                why = f"{found} threshold" if found == 1 else f"{found} thresholds"
            elif spec.kind == "list":
                named = len(self.members.get(name, ()))
                why = f'{named} names tested with "name" in {name}'
            else:
                why = "yes, no and unknown" if spec.kind == "bool" else "every value of the enum"
            sizes[name] = (count, why)
        return sizes

    @property
    def size(self) -> int:
        """How many classes the whole space has: the product of the fields' counts."""
        return math.prod(self.classes(name, spec) for name, spec in self.specs.items())


def shape_of(specs: Mapping[str, FieldSpec], conditions: Iterable[Condition]) -> Shape:
    read: set[str] = set()
    cuts: dict[str, set[int]] = {}
    members: dict[str, set[str]] = {}
    for condition in conditions:
        read.update(fields_read(condition))
        for node in walk(condition):
            if isinstance(node, Compare | InSet) and specs[node.field].kind == "int":
                cuts.setdefault(node.field, set()).update(cuts_of(node))
            elif isinstance(node, Contains):
                members.setdefault(node.field, set()).add(node.value)
    return Shape(
        specs,
        frozenset(read),
        {name: frozenset(found) for name, found in cuts.items()},
        {name: tuple(sorted(found)) for name, found in members.items()},
    )

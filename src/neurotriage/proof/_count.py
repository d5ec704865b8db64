"""Count the classes a condition holds on, exactly, without listing them.

A conjunction whose parts read disjoint fields is the product of their
counts; anything else is split on the field its parts read most, each class
of that field simplifies it, and equal remainders are counted once (the way
exact model counters work).
To make "equal" cheap, every sub-condition is interned once as a number: a
node is its kind and the numbers of its parts, so two equal remainders are
the same number, and what a node reads is worked out once, when it is made.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from neurotriage.language import (
    Always,
    And,
    Condition,
    Contains,
    Not,
    Or,
    compile_condition,
    fields_read,
)
from neurotriage.proof._symbolic import Domain

__all__ = ["CountTooHardError", "count_where"]


class CountTooHardError(Exception):
    """The count needed more steps than it was given."""


_FALSE, _TRUE = 0, 1


def _not_a_leaf(value: Any) -> bool:  # pragma: no cover - only leaves are ever checked
    raise TypeError("only a leaf tests a value")


class _Nodes:
    """Interned conditions: ``kinds[n]`` is ``"leaf"``, ``"not"``, ``"and"`` or ``"or"``."""

    def __init__(self, domains: Mapping[str, Domain]) -> None:
        self.domains = domains
        self.kinds: list[str] = ["false", "true"]
        self.parts: list[tuple[int, ...]] = [(), ()]
        self.leaves: list[Callable[[Any], bool]] = [_not_a_leaf, _not_a_leaf]
        self.reads: list[frozenset[str]] = [frozenset(), frozenset()]
        self.names: list[frozenset[tuple[str, str]]] = [frozenset(), frozenset()]
        self._known: dict[Any, int] = {}

    def _make(
        self,
        key: Any,
        kind: str,
        parts: tuple[int, ...],
        leaf: Callable[[Any], bool] | None = None,
    ) -> int:
        found = self._known.get(key)
        if found is not None:
            return found
        number = len(self.kinds)
        self.kinds.append(kind)
        self.parts.append(parts)
        self.leaves.append(leaf or _not_a_leaf)
        if leaf is not None:
            self.reads.append(frozenset({key[1].field}))
            tested = {(key[1].field, key[1].value)} if isinstance(key[1], Contains) else set()
            self.names.append(frozenset(tested))
        else:
            self.reads.append(frozenset().union(*(self.reads[p] for p in parts)))
            self.names.append(frozenset().union(*(self.names[p] for p in parts)))
        self._known[key] = number
        return number

    def of(self, node: Condition) -> int:
        if isinstance(node, Always):
            return _TRUE
        if isinstance(node, Not):
            return self.negate(self.of(node.item))
        if isinstance(node, And | Or):
            return self.join(isinstance(node, And), [self.of(item) for item in node.items])
        domain = self.domains[node.field]
        check = compile_condition(node, {domain.name: domain.spec})
        name = domain.name
        return self._make(("leaf", node), "leaf", (), lambda value: check({name: value}))

    def negate(self, number: int) -> int:
        if number <= _TRUE:
            return 1 - number
        if self.kinds[number] == "not":
            return self.parts[number][0]
        return self._make(("not", number), "not", (number,))

    def join(self, both: bool, numbers: list[int]) -> int:
        """A conjunction (``both``) or disjunction of ``numbers``, simplified.

        Nested ones of the same kind are opened; a part beside its negation
        decides it; a part that holds another part of the opposite kind is
        absorbed (``a and (a or b)`` is ``a``).
        """
        stop, skip = (_FALSE, _TRUE) if both else (_TRUE, _FALSE)
        kind, other = ("and", "or") if both else ("or", "and")
        kept: set[int] = set()
        stack = list(numbers)
        while stack:
            number = stack.pop()
            if number == stop:
                return stop
            if self.kinds[number] == kind:
                stack.extend(self.parts[number])
            elif number != skip:
                kept.add(number)
        for number in kept:
            if self.kinds[number] == "not" and self.parts[number][0] in kept:
                return stop
        kept -= {n for n in kept if self.kinds[n] == other and kept.intersection(self.parts[n])}
        if not kept:
            return skip
        if len(kept) == 1:
            return kept.pop()
        parts = tuple(sorted(kept))
        return self._make((kind, parts), kind, parts)

    def restrict(self, number: int, name: str, value: Any, memo: dict[int, int]) -> int:
        """``number`` with field ``name`` set to ``value``, simplified."""
        if name not in self.reads[number]:
            return number
        found = memo.get(number)
        if found is not None:
            return found
        kind = self.kinds[number]
        if kind == "leaf":
            result = _TRUE if self.leaves[number](value) else _FALSE
        elif kind == "not":
            result = self.negate(self.restrict(self.parts[number][0], name, value, memo))
        else:
            parts = [self.restrict(p, name, value, memo) for p in self.parts[number]]
            result = self.join(kind == "and", parts)
        memo[number] = result
        return result


class _Counter:
    """Counts interned conditions: split into independent parts, else on one field."""

    def __init__(
        self, nodes: _Nodes, domains: Mapping[str, Domain], steps: int | None = None
    ) -> None:
        self.nodes = nodes
        self.steps = steps
        self.domains = domains
        self.order = {name: i for i, name in enumerate(domains)}
        self.memo: dict[int, int] = {_FALSE: 0, _TRUE: 1}

    def total(self, names: Iterable[str]) -> int:
        return math.prod(self.domains[name].classes for name in names)

    def count(self, number: int) -> int:
        """How many combinations of the classes of the fields ``number`` reads satisfy it."""
        found = self.memo.get(number)
        if found is None:
            if self.steps is not None and len(self.memo) > self.steps:
                raise CountTooHardError
            found = self._count(number)
            self.memo[number] = found
        return found

    def _count(self, number: int) -> int:
        nodes = self.nodes
        kind, reads = nodes.kinds[number], nodes.reads[number]
        if kind == "not":
            return self.total(reads) - self.count(nodes.parts[number][0])
        if kind == "or":  # none of the parts, counted as a conjunction
            negated = nodes.join(True, [nodes.negate(p) for p in nodes.parts[number]])
            return self.total(reads) - self.within(negated, reads)
        if kind == "and":
            parts = self._conjuncts(number)
            groups = self._independent(parts)
            if len(groups) > 1:
                joined = [nodes.join(True, group) for group in groups]
                held = frozenset().union(*(nodes.reads[group] for group in joined))
                return math.prod(map(self.count, joined)) * self.total(reads - held)
            wide = [
                p for p in parts if nodes.kinds[p] == "or" and 2 * len(nodes.reads[p]) > len(reads)
            ]
            if wide:  # x and (a or b) = x - (x and not a and not b): the rest falls apart
                chosen = max(wide, key=lambda p: len(nodes.reads[p]))
                rest = nodes.join(True, [p for p in parts if p != chosen])
                without = nodes.join(True, [rest, nodes.negate(chosen)])
                return self.within(rest, reads) - self.within(without, reads)
        return self._split(number)

    def within(self, number: int, reads: frozenset[str]) -> int:
        """``number``'s count over the fields ``reads`` (it may read fewer)."""
        return self.count(number) * self.total(reads - self.nodes.reads[number])

    def _conjuncts(self, number: int) -> list[int]:
        """The parts of a conjunction, nested conjunctions and negated disjunctions opened."""
        nodes, found, stack = self.nodes, [], list(self.nodes.parts[number])
        while stack:
            part = stack.pop()
            kind = nodes.kinds[part]
            if kind == "and":
                stack.extend(nodes.parts[part])
            elif kind == "not" and nodes.kinds[nodes.parts[part][0]] == "or":
                stack.extend(nodes.negate(p) for p in nodes.parts[nodes.parts[part][0]])
            else:
                found.append(part)
        return found

    def _independent(self, parts: list[int]) -> list[list[int]]:
        """``parts`` grouped so that no two groups read a field in common (union-find)."""
        leader: dict[str, str] = {}

        def find(name: str) -> str:
            while leader[name] != name:
                leader[name] = leader[leader[name]]
                name = leader[name]
            return name

        for part in parts:
            names = iter(self.nodes.reads[part])
            first = next(names, None)
            if first is None:
                continue
            root = find(leader.setdefault(first, first))
            for name in names:
                other = find(leader.setdefault(name, name))
                if other != root:
                    leader[other] = root
        groups: dict[str, list[int]] = {}
        for part in parts:
            some = next(iter(self.nodes.reads[part]), None)
            groups.setdefault("" if some is None else find(some), []).append(part)
        return list(groups.values())

    def _split(self, number: int) -> int:
        """Count on each class of the field the most parts read (the first such field)."""
        nodes, reads = self.nodes, self.nodes.reads[number]
        parts = nodes.parts[number] if nodes.kinds[number] == "and" else (number,)
        uses = dict.fromkeys(reads, 0)
        for part in parts:
            for name in nodes.reads[part]:
                uses[name] += 1
        name = min(reads, key=lambda n: (-uses[n], self.order[n]))
        tested = frozenset(value for field, value in nodes.names[number] if field == name)
        total = 0
        for value, weight in self.domains[name].weighted(tested):
            rest = nodes.restrict(number, name, value, {})
            free = reads - {name} - nodes.reads[rest]
            total += weight * self.count(rest) * self.total(free)
        return total


def count_where(node: Condition, domains: Mapping[str, Domain], *, steps: int | None = None) -> int:
    """How many combinations of the classes of the fields ``node`` reads satisfy it.

    ``steps`` bounds the distinct remainders counted (else CountTooHardError);
    ``None``: no bound.
    """
    nodes = _Nodes(domains)
    counter = _Counter(nodes, domains, steps)
    return counter.within(nodes.of(node), fields_read(node))

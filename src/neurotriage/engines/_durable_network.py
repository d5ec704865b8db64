"""A pure-Python model of the network durable-rules builds from a ruleset definition.

durable-rules 2.0.28 (``src/rules/rete.c`` and ``events.c`` in jruizgit/rules)
compiles each rule into a chain of *alpha* nodes, one test each, that ends in
the rule's *beta* node. This module replays that construction for the JSON our
compiler sends, so that its fixed-size tables can be measured before durable
ever sees the rule set:

* a test is looked up among its parent's children and shared when the same
  property, operator and value are already there (``findAlpha``); otherwise a
  new node is made and linked to the parent: ``$nex`` tests into the parent's
  *next list*, every other test into its *hash set* (``linkAlpha``);
* ``$and`` chains its items, each under the node the previous one ended at;
* ``$or`` makes a fresh *forward* node; each item is built under the ``$or``'s
  parent and the node it ends at gets the forward node in its next list (once
  per item, repeats kept); what follows the ``$or`` hangs under the forward node;
* the rule's beta is appended to the *beta list* of the node its condition ends at;
* each ``$and`` and ``$or`` puts two entries (open and end) in the rule's
  *expression sequence*.

Evaluating a fact (``handleAlpha``) walks the alpha nodes depth first with a
fixed-size stack: a node popped pushes every forward node and absent-property
``$nex`` node of its next list, then every child of its hash set whose test the
fact passes. :meth:`Network.peak` bounds the stack over every fact a
:class:`Unit` list can describe.

This module measures; :mod:`neurotriage.engines.durable` holds the limits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Choice", "Network", "Node", "Test", "Unit"]

_OPERATORS = frozenset({"$lt", "$lte", "$gt", "$gte", "$eq", "$neq", "$ex", "$nex"})


@dataclass(frozen=True)
class Test:
    """One alpha test: ``property op value`` (``op`` is ``$eq`` for a plain ``{p: v}``)."""

    prop: str
    op: str
    value: Any

    @property
    def key(self) -> tuple[str, str, str, Any]:
        """What durable compares to share a node: property, operator, JSON type and value."""
        return (self.prop, self.op, type(self.value).__name__, self.value)

    def passes(self, fact: Mapping[str, Any]) -> bool:
        """Whether a fact holding ``fact``'s properties passes the test."""
        if self.op == "$nex":
            return self.prop not in fact
        if self.prop not in fact:
            return False
        if self.op == "$ex":
            return True
        have = fact[self.prop]
        if self.op in ("$eq", "$neq"):
            same = type(have) is type(self.value) and have == self.value
            return same if self.op == "$eq" else not same
        if isinstance(have, str) or isinstance(self.value, str):
            return False  # the compiler orders numbers only (enum ranks)
        if self.op == "$lt":
            return bool(have < self.value)
        if self.op == "$lte":
            return bool(have <= self.value)
        if self.op == "$gt":
            return bool(have > self.value)
        return bool(have >= self.value)


def _test(expression: Mapping[str, Any]) -> Test:
    ((name, body),) = expression.items()
    if name in _OPERATORS:
        ((prop, value),) = body.items()
        return Test(prop, name, value)
    return Test(name, "$eq", body)


class Node:
    """An alpha node; each link records the index of the rule that made it."""

    __slots__ = ("betas", "born", "hashed", "listed", "nex", "test")

    def __init__(self, test: Test | None, born: int) -> None:
        self.test = test  # None for the root and for forward ($or) nodes
        self.born = born
        self.hashed: dict[tuple[str, str, str, Any], Node] = {}
        self.nex: dict[tuple[str, str, str, Any], Node] = {}
        self.listed: list[tuple[Node, int]] = []  # $nex children and forward nodes, repeats kept
        self.betas: list[int] = []

    def child(self, test: Test, rule: int) -> tuple[Node, bool]:
        """The child for ``test``, shared if there is one (``findAlpha``), and if it is new."""
        table = self.nex if test.op == "$nex" else self.hashed
        found = table.get(test.key)
        if found is not None:
            return found, False
        found = table[test.key] = Node(test, rule)
        if test.op == "$nex":
            self.listed.append((found, rule))
        return found, True


@dataclass(frozen=True)
class Choice:
    """One way a field can appear in a fact: fixed properties, then free ones.

    ``free`` maps each property that varies independently of everything else
    (one membership test) to the values it may take.
    """

    fixed: Mapping[str, Any]
    free: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """The fact properties one field gives, and every way it can give them."""

    properties: frozenset[str]
    choices: tuple[Choice, ...]


def _most(tests: Sequence[Test], prop: str, values: Sequence[Any]) -> int:
    """The most of ``tests`` (all on ``prop``) that one of ``values`` passes."""
    return max((sum(t.passes({prop: v}) for t in tests) for v in values), default=0)


class _Tally:
    """How many of one unit's tests (the children of one node) a fact passes at once."""

    def __init__(self, unit: Unit, tests: Sequence[Test]) -> None:
        self.rows: list[tuple[Choice, int, dict[str, list[Test]], dict[str, int]]] = []
        for choice in unit.choices:
            free: dict[str, list[Test]] = {}
            total = 0
            for test in tests:
                if test.prop in choice.free:
                    free.setdefault(test.prop, []).append(test)
                else:
                    total += test.passes(choice.fixed)
            most = {prop: _most(group, prop, choice.free[prop]) for prop, group in free.items()}
            self.rows.append((choice, total + sum(most.values()), free, most))
        self.top = max(row[1] for row in self.rows)

    def best(self, required: Test) -> int | None:
        """The most tests one fact passes together with ``required``; None if none passes it."""
        best: int | None = None
        for choice, total, free, most in self.rows:
            values = choice.free.get(required.prop)
            if values is None:
                if not required.passes(choice.fixed):
                    continue
                passed = total
            else:
                values = tuple(v for v in values if required.passes({required.prop: v}))
                if not values:
                    continue
                tests = free.get(required.prop, [])
                passed = total + _most(tests, required.prop, values) - most.get(required.prop, 0)
            best = passed if best is None else max(best, passed)
        return best


class Network:
    """durable-rules' alpha network for a definition ``{rule id: {"all": [{"m": expr}]}}``."""

    def __init__(self, definition: Mapping[str, Mapping[str, Any]]) -> None:
        self.root = Node(None, -1)
        self.rule_ids = list(definition)
        #: ``$and`` and ``$or`` groups per rule; each takes two expression-sequence entries.
        self.groups: list[int] = []
        self.nodes: list[Node] = [self.root]
        for index, rule in enumerate(definition.values()):
            self.groups.append(0)
            ((_, expression),) = rule["all"][0].items()
            self._build(expression, self.root, index).betas.append(index)

    def _new(self, node: Node) -> Node:
        self.nodes.append(node)
        return node

    def _build(self, expression: Mapping[str, Any], parent: Node, rule: int) -> Node:
        if "$and" in expression:
            self.groups[rule] += 1
            node = parent
            for item in expression["$and"]:
                node = self._build(item, node, rule)
            return node
        if "$or" in expression:
            self.groups[rule] += 1
            forward = self._new(Node(None, rule))
            for item in expression["$or"]:
                self._build(item, parent, rule).listed.append((forward, rule))
            return forward
        node, new = parent.child(_test(expression), rule)
        return self._new(node) if new else node

    def peak(self, units: Sequence[Unit], rules: int | None = None) -> int:
        """The deepest stack a fact can need, counting only the first ``rules`` rules.

        A bound: each node takes the best fact for itself and its deepest child,
        so facts that no profile gives and orders durable does not take count too.
        """
        limit = len(self.groups) if rules is None else rules
        owner = {prop: unit for unit in units for prop in unit.properties}
        depth: dict[int, int] = {}
        for node in self._post_order(limit):
            depth[id(node)] = self._depth(node, limit, owner, depth)
        return depth[id(self.root)]

    def _children(self, node: Node, limit: int) -> Iterator[Node]:
        seen: set[int] = set()
        for child, rule in node.listed:
            if rule < limit and id(child) not in seen:
                seen.add(id(child))
                yield child
        for child in node.hashed.values():
            if child.born < limit:
                yield child

    def _post_order(self, limit: int) -> list[Node]:
        """Every node below the root, children before parents (the network is acyclic)."""
        order: list[Node] = []
        done: set[int] = set()
        active = {id(self.root)}
        stack: list[tuple[Node, Iterator[Node]]] = [(self.root, self._children(self.root, limit))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) in active:  # pragma: no cover - durable's construction has no cycles
                    raise ValueError("the modelled network has a cycle")
                if id(child) not in done:
                    active.add(id(child))
                    stack.append((child, self._children(child, limit)))
                    break
            else:
                stack.pop()
                active.discard(id(node))
                done.add(id(node))
                order.append(node)
        return order

    def _depth(
        self, node: Node, limit: int, owner: Mapping[str, Unit], depth: Mapping[int, int]
    ) -> int:
        forwards = sum(1 for child, rule in node.listed if rule < limit and child.test is None)
        grouped: dict[int, tuple[Unit, list[Test]]] = {}
        unowned = 0  # a property no field gives: counted as always passed
        for child in (*node.nex.values(), *node.hashed.values()):
            if child.born >= limit or child.test is None:
                continue
            unit = owner.get(child.test.prop)
            if unit is None:
                unowned += 1
            else:
                grouped.setdefault(id(unit), (unit, []))[1].append(child.test)
        tallies = {key: _Tally(unit, tests) for key, (unit, tests) in grouped.items()}
        pushed = forwards + unowned + sum(tally.top for tally in tallies.values())
        deepest = pushed
        for child in self._children(node, limit):
            below = depth.get(id(child), 0)
            if below == 0:
                continue
            with_child = pushed  # a forward node is always pushed
            test = child.test
            if test is not None and (unit := owner.get(test.prop)) is not None:
                tally = tallies[id(unit)]
                best = tally.best(test)
                if best is None:
                    continue  # no fact passes this child's test: never walked
                with_child += best - tally.top
            deepest = max(deepest, with_child - 1 + below)
        return deepest

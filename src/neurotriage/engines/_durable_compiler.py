"""What neurotriage sends durable-rules: each rule as JSON, and the shape of its facts.

Conditions, in negation normal form, become durable's JSON tests; groups of
one kind nested in each other are merged (``a and (b and c)`` is one
``$and``), since durable counts its groups per rule. Every rule also requires
:data:`MARKER`, which facts carry and session state never does, and the
internal rule :data:`HANDLED` matches every fact. :func:`fact_units` lists
every way an input field can appear in a fact, for the capacity check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from neurotriage.engines._durable_network import Choice, Unit
from neurotriage.fields import FieldSpec
from neurotriage.language import (
    Always,
    And,
    Compare,
    Condition,
    Contains,
    Empty,
    InSet,
    Known,
    Not,
    Or,
    to_nnf,
)
from neurotriage.ruleset import Rule

__all__ = ["HANDLED", "MARKER", "Compiler", "fact_units", "rules_definition"]

#: A field every asserted fact carries and session state never does.
MARKER = "neurotriage__fact"
#: An internal rule that matches every fact. A fact no rule handles leaves a
#: session that durable cannot delete safely (``delete_state`` then reads
#: uninitialised memory and crashes); this rule means that never happens.
#: The ``.`` keeps it apart from every rule id a rule file can declare.
HANDLED = "neurotriage.handled"
_JSON_OPS = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


class Compiler:
    """Translates conditions (in negation normal form) into durable JSON."""

    def __init__(self, specs: dict[str, FieldSpec]) -> None:
        self.specs = specs
        self.membership: dict[tuple[str, str], str] = {}

    def member_key(self, name: str, value: str) -> str:
        return self.membership.setdefault((name, value), f"{name}__has__{len(self.membership)}")

    def expression(self, node: Condition) -> dict[str, Any]:
        if isinstance(node, Always):
            return {MARKER: 1}
        if isinstance(node, And | Or):
            items = _flattened(node)
            if not items:  # empty and: always; empty or: never (the marker is never 0)
                return {MARKER: 1 if isinstance(node, And) else 0}
            parts = [self.expression(item) for item in items]
            return (
                parts[0] if len(parts) == 1 else {"$and" if isinstance(node, And) else "$or": parts}
            )
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, InSet):
            return self.expression(Or(tuple(Compare(node.field, "==", v) for v in node.values)))
        if isinstance(node, Known):
            key = node.field
            if self.specs[key].kind == "list":
                key = f"{key}__count"  # a list is flattened; its count is present iff it is known
            return {"$ex" if node.known else "$nex": {key: 1}}
        if isinstance(node, Empty):
            count = f"{node.field}__count"
            return {count: 0} if node.empty else {"$gt": {count: 0}}
        if isinstance(node, Contains):
            return {self.member_key(node.field, node.value): True}
        if isinstance(node, Not) and isinstance(node.item, Contains):
            return {self.member_key(node.item.field, node.item.value): False}
        raise TypeError(f"not in negation normal form: {node!r}")  # pragma: no cover

    def compare(self, node: Compare) -> dict[str, Any]:
        spec = self.specs[node.field]
        name, value = node.field, node.value
        if spec.kind == "enum" and node.op not in ("==", "!="):
            name, value = f"{name}__rank", spec.values.index(str(value))
        if node.op == "==":
            return {name: value}
        return {_JSON_OPS[node.op]: {name: value}}


def _flattened(node: And | Or) -> list[Condition]:
    """The items of ``node``, with nested groups of the same kind merged into it.

    ``a and (b and c)`` is ``a and b and c``: the same condition in fewer of
    durable's groups (see MAX_GROUPS).
    """
    items: list[Condition] = []
    pending = list(reversed(node.items))
    while pending:
        item = pending.pop()
        if type(item) is type(node):
            pending.extend(reversed(item.items))
        else:
            items.append(item)
    return items


def rules_definition(
    rules: Iterable[Rule], specs: Mapping[str, FieldSpec]
) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The durable JSON definition of ``rules`` (then HANDLED) and the membership keys."""
    compiler = Compiler(dict(specs))
    compiled: dict[str, Any] = {}
    for rule in rules:
        condition = compiler.expression(to_nnf(rule.condition))
        tests = condition["$and"] if set(condition) == {"$and"} else [condition]
        compiled[rule.id] = {"all": [{"m": {"$and": [{MARKER: 1}, *tests]}}]}
    compiled[HANDLED] = {"all": [{"m": {MARKER: 1}}]}
    return compiled, dict(compiler.membership)


def fact_units(
    membership: dict[tuple[str, str], str], specs: Mapping[str, FieldSpec]
) -> list[Unit]:
    """Every way each input field can appear in a fact (see DurableEngine.fact).

    A list's count of 1 stands for every count but 0: the compiler only ever
    compares it with 0.
    """
    keys: dict[str, list[str]] = {}
    for (name, _), key in membership.items():
        keys.setdefault(name, []).append(key)
    units = []
    for name, spec in specs.items():
        choices: list[Choice] = [Choice({})] if spec.nullable else []
        if spec.kind == "list":
            count, own = f"{name}__count", keys.get(name, [])
            choices.append(Choice({count: 0, **dict.fromkeys(own, False)}))
            choices.append(Choice({count: 1}, dict.fromkeys(own, (True, False))))
            properties = {count, *own}
        elif spec.kind == "enum":
            rank = f"{name}__rank"
            choices += [Choice({name: v, rank: i}) for i, v in enumerate(spec.values)]
            properties = {name, rank}
        else:
            values: Sequence[object]
            if spec.kind == "bool":
                values = (True, False)
            else:
                values = range(spec.low or 0, (spec.high or 0) + 1)
            choices += [Choice({name: v}) for v in values]
            properties = {name}
        units.append(Unit(frozenset(properties), tuple(choices)))
    units.append(Unit(frozenset({MARKER}), (Choice({MARKER: 1}),)))
    return units

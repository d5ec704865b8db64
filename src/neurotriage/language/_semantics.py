"""What a condition means: evaluation on known values, and negation pushed inward.

Semantics are two-valued. A comparison, membership or emptiness test on an
unknown field is false; ``is unknown``/``is known`` test for unknown itself;
``not`` is classical negation, so ``not diabetes`` holds when diabetes is
``False`` *or* unknown. Enum fields are ordered by their declared order.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from neurotriage.fields import FieldSpec
from neurotriage.language._nodes import (
    Always,
    And,
    Compare,
    CompareOp,
    Condition,
    Contains,
    Empty,
    InSet,
    Known,
    Not,
    Or,
)

__all__ = ["NEGATED_OP", "compile_condition", "cuts", "evaluate_condition", "negate", "to_nnf"]

NEGATED_OP: dict[CompareOp, CompareOp] = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
}
_PY_OPS: dict[CompareOp, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

Predicate = Callable[[Mapping[str, Any]], bool]


def compile_condition(node: Condition, specs: Mapping[str, FieldSpec]) -> Predicate:
    """Compile a condition into a closure over a mapping of field values."""
    if isinstance(node, Always):
        return lambda _values: True
    if isinstance(node, Compare):
        return _compile_compare(node, specs[node.field])
    if isinstance(node, InSet):
        name, members = node.field, frozenset(node.values)
        return lambda values: values[name] is not None and values[name] in members
    if isinstance(node, Known):
        name, known = node.field, node.known
        return lambda values: (values[name] is not None) is known
    if isinstance(node, Empty):
        name, empty = node.field, node.empty
        return lambda values: values[name] is not None and (len(values[name]) == 0) is empty
    if isinstance(node, Contains):
        name, item = node.field, node.value
        return lambda values: values[name] is not None and item in values[name]
    if isinstance(node, Not):
        inner = compile_condition(node.item, specs)
        return lambda values: not inner(values)
    parts = tuple(compile_condition(item, specs) for item in node.items)
    if isinstance(node, And):
        return lambda values: all(part(values) for part in parts)
    return lambda values: any(part(values) for part in parts)


def _compile_compare(node: Compare, spec: FieldSpec) -> Predicate:
    name, test = node.field, _PY_OPS[node.op]
    if spec.kind == "enum":
        rank = {value: index for index, value in enumerate(spec.values)}
        target = rank[node.value]  # type: ignore[index]
        return lambda values: values[name] is not None and test(rank[values[name]], target)
    target_value = node.value
    return lambda values: values[name] is not None and test(values[name], target_value)


def evaluate_condition(
    node: Condition, values: Mapping[str, Any], specs: Mapping[str, FieldSpec]
) -> bool:
    """Evaluate a condition once (compiles it; use compile_condition in loops)."""
    return compile_condition(node, specs)(values)


def negate(node: Condition) -> Condition:
    """The negation of ``node`` in negation normal form (no ``Not`` left).

    The result holds exactly when ``node`` does not, under the two-valued
    semantics above, which is why a negated test on a nullable field gains an
    ``is unknown`` alternative.
    """
    if isinstance(node, Not):
        return to_nnf(node.item)
    if isinstance(node, Always):
        return Or(())  # the empty disjunction: never true
    if isinstance(node, And):
        return Or(tuple(negate(item) for item in node.items))
    if isinstance(node, Or):
        return And(tuple(negate(item) for item in node.items))
    if isinstance(node, Known):
        return Known(node.field, known=not node.known)
    unknown = Known(node.field, known=False)
    if isinstance(node, Compare):
        return Or((unknown, Compare(node.field, NEGATED_OP[node.op], node.value)))
    if isinstance(node, InSet):
        return Or((unknown, And(tuple(Compare(node.field, "!=", v) for v in node.values))))
    if isinstance(node, Empty):
        return Or((unknown, Empty(node.field, empty=not node.empty)))
    return Or((unknown, Not(node)))  # Contains: kept as a negated leaf


def to_nnf(node: Condition) -> Condition:
    """``node`` with every ``Not`` pushed down to the leaves."""
    if isinstance(node, Not):
        return negate(node.item)
    if isinstance(node, And):
        return And(tuple(to_nnf(item) for item in node.items))
    if isinstance(node, Or):
        return Or(tuple(to_nnf(item) for item in node.items))
    return node


def cuts(node: Compare | InSet) -> set[int]:
    """Where the comparison's truth can change: ``c`` is a cut if ``c - 1`` and ``c`` may differ."""
    values = node.values if isinstance(node, InSet) else (node.value,)
    op = "==" if isinstance(node, InSet) else node.op
    cuts: set[int] = set()
    for value in values:
        if not isinstance(value, int):  # type-checked at load time; never reached
            raise TypeError(f"{node.field} is compared with {value!r}, not an integer")
        if op in ("<", ">="):
            cuts.add(value)
        elif op in ("<=", ">"):
            cuts.add(value + 1)
        else:  # == and !=: true at value only
            cuts.update((value, value + 1))
    return cuts

"""The reference backend's rules over many classes at once: which rules fire, column-wise.

The reference backend decides a profile by calling each rule's condition, a
closure over its field values (:func:`neurotriage.language.compile_condition`).
A table's groups are already known column by column: each column's code per
group and, per code, one validated value of its class. Every leaf of a
condition (a comparison, a membership, ``is known``...) reads one field, and
no leaf can tell apart values of one class, so the leaf's own closure is
called once per code of its column and its truth is spread to the groups by
the codes (numpy). ``and``, ``or`` and ``not`` are then numpy's ``&``, ``|``
and ``~`` over the groups: the same two-valued logic as the closures. The
result is the reference backend's answer for each group, at a cost per leaf
and per code rather than per rule and per group; tests check it against
:class:`~neurotriage.engines.reference.ReferenceEngine` on every class of the
packs' input spaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    compile_condition,
)
from neurotriage.ruleset import RuleSet

__all__ = ["Groups", "fired_columnwise"]

_Leaf = Compare | InSet | Known | Empty | Contains


class Groups:
    """Many profiles, one per group, as columns: each field's code per group and, per
    code, a validated value of that code's class."""

    __slots__ = ("codes", "count", "values")

    def __init__(
        self, count: int, codes: Mapping[str, Any], values: Mapping[str, Sequence[Any]]
    ) -> None:
        self.count = count
        self.codes = codes  # field -> numpy int array, one code per group
        self.values = values  # field -> code -> its value (None: unknown)


def fired_columnwise(rules: RuleSet, groups: Groups, np: Any) -> Any:
    """A boolean matrix, one row per group and one column per rule of ``rules`` (in
    order): whether the rule fires for that group's profile."""
    specs = rules.pack.fields
    leaves: dict[_Leaf, Any] = {}
    matrix = np.zeros((groups.count, len(rules.rules)), dtype=bool)
    for column, rule in enumerate(rules.rules):
        matrix[:, column] = _truth(rule.condition, specs, groups, leaves, np)
    return matrix


def _truth(
    node: Condition,
    specs: Mapping[str, FieldSpec],
    groups: Groups,
    leaves: dict[_Leaf, Any],
    np: Any,
) -> Any:
    """``node``'s truth for every group, as a numpy boolean array."""
    if isinstance(node, Always):
        return np.ones(groups.count, dtype=bool)
    if isinstance(node, Not):
        return ~_truth(node.item, specs, groups, leaves, np)
    if isinstance(node, And | Or):
        result = np.full(groups.count, isinstance(node, And), dtype=bool)
        for item in node.items:
            part = _truth(item, specs, groups, leaves, np)
            result = result & part if isinstance(node, And) else result | part
        return result
    found = leaves.get(node)
    if found is None:
        holds = compile_condition(node, specs)
        name = node.field
        per_code = np.array(
            [bool(holds({name: value})) for value in groups.values[name]], dtype=bool
        )
        found = leaves[node] = per_code[groups.codes[name]]
    return found

"""The typed AST of a rule condition. Every node is immutable and hashable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "Always",
    "And",
    "Compare",
    "CompareOp",
    "Condition",
    "Contains",
    "Empty",
    "InSet",
    "Known",
    "Literal_",
    "Not",
    "Or",
    "fields_read",
    "walk",
]

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
Literal_: TypeAlias = bool | int | str


@dataclass(frozen=True)
class Always:
    """``always``: true for every profile."""


@dataclass(frozen=True)
class Compare:
    """``field OP value``; false when the field is unknown."""

    field: str
    op: CompareOp
    value: Literal_


@dataclass(frozen=True)
class InSet:
    """``field in [v1, v2]``; false when the field is unknown."""

    field: str
    values: tuple[Literal_, ...]


@dataclass(frozen=True)
class Known:
    """``field is known`` (``known=True``) or ``field is unknown``."""

    field: str
    known: bool


@dataclass(frozen=True)
class Empty:
    """``field is empty`` / ``field is not empty`` on a list; false when unknown."""

    field: str
    empty: bool


@dataclass(frozen=True)
class Contains:
    """``"value" in field`` on a list; false when unknown."""

    field: str
    value: str


@dataclass(frozen=True)
class Not:
    """``not item``: classical negation of a two-valued condition."""

    item: Condition


@dataclass(frozen=True)
class And:
    """``a and b and ...``."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """``a or b or ...``."""

    items: tuple[Condition, ...]


Condition: TypeAlias = Always | Compare | InSet | Known | Empty | Contains | Not | And | Or


def walk(node: Condition) -> Iterator[Condition]:
    """Every node of a condition, parents before children."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, And | Or):
        for item in node.items:
            yield from walk(item)


def fields_read(node: Condition) -> frozenset[str]:
    """The Profile fields a condition reads."""
    return frozenset(
        n.field for n in walk(node) if isinstance(n, Compare | InSet | Known | Empty | Contains)
    )

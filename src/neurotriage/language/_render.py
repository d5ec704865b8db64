"""Render a condition back to canonical text (for explanations and docs)."""

from __future__ import annotations

from neurotriage.language._nodes import (
    Always,
    And,
    Compare,
    Condition,
    Contains,
    Empty,
    InSet,
    Known,
    Literal_,
    Not,
    Or,
)

__all__ = ["render"]


def _value(value: Literal_) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # The language has no escapes, so quote with the kind the text does not
        # hold (a parsed text never holds both, nor a backslash).
        quote = "'" if '"' in value else '"'
        return f"{quote}{value}{quote}"
    return str(value)


def render(node: Condition) -> str:
    """Canonical text for ``node``; parsing it again gives an equal AST."""
    if isinstance(node, Always):
        return "always"
    if isinstance(node, Compare):
        if node.op == "==" and node.value is True:
            return node.field
        return f"{node.field} {node.op} {_value(node.value)}"
    if isinstance(node, InSet):
        return f"{node.field} in [{', '.join(_value(v) for v in node.values)}]"
    if isinstance(node, Known):
        return f"{node.field} is {'known' if node.known else 'unknown'}"
    if isinstance(node, Empty):
        return f"{node.field} is {'empty' if node.empty else 'not empty'}"
    if isinstance(node, Contains):
        return f"{_value(node.value)} in {node.field}"
    if isinstance(node, Not):
        return f"not {_wrap(node.item)}"
    joiner = " and " if isinstance(node, And) else " or "
    if not node.items:
        return "always" if isinstance(node, And) else "not always"
    return joiner.join(_wrap(item) for item in node.items)


def _wrap(node: Condition) -> str:
    text = render(node)
    if isinstance(node, And | Or) and len(node.items) > 1:
        return f"({text})"
    return text

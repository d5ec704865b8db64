"""The condition language: text -> typed AST (checked against a pack's fields)."""

from neurotriage.language._nodes import (
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
    fields_read,
    walk,
)
from neurotriage.language._parser import ConditionError, ParseProblem, parse_condition
from neurotriage.language._render import render
from neurotriage.language._semantics import (
    Predicate,
    compile_condition,
    cuts,
    evaluate_condition,
    negate,
    to_nnf,
)

__all__ = [
    "Always",
    "And",
    "Compare",
    "Condition",
    "ConditionError",
    "Contains",
    "Empty",
    "InSet",
    "Known",
    "Not",
    "Or",
    "ParseProblem",
    "Predicate",
    "compile_condition",
    "cuts",
    "evaluate_condition",
    "fields_read",
    "negate",
    "parse_condition",
    "render",
    "to_nnf",
    "walk",
]

"""The reference backend: every rule compiled to a Python closure.

It is the oracle the durable backend is checked against, so its rules stay
as plain as possible: evaluate each rule's condition on the profile's values.
It keeps no cache: the pipeline decides once per class of profile, for every
backend alike (:mod:`neurotriage.pipeline.classes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from neurotriage.language import compile_condition
from neurotriage.ruleset import RuleSet

__all__ = ["ReferenceEngine"]


class ReferenceEngine:
    """Rules as closures over a profile's field values."""

    name = "reference"

    def __init__(self, ruleset: RuleSet) -> None:
        specs = ruleset.pack.fields
        self._rules = tuple(
            (rule.id, compile_condition(rule.condition, specs)) for rule in ruleset.rules
        )

    @property
    def predicates(self) -> tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...]:
        """Each rule's id and compiled condition, in rule order."""
        return self._rules

    def fired(self, profile: BaseModel) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        values = profile.__dict__
        return frozenset([rule_id for rule_id, holds in self._rules if holds(values)])

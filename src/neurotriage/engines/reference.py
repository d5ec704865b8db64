"""The reference backend: every rule compiled to a Python closure.

It is the oracle the durable backend is checked against, so it stays as
plain as possible: evaluate each rule's condition on the profile's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from neurotriage.language._semantics import compile_condition
from neurotriage.profile import Profile, field_specs
from neurotriage.ruleset import RuleSet

__all__ = ["ReferenceEngine"]


class ReferenceEngine:
    """Rules as closures over a profile's field values."""

    name = "reference"

    def __init__(self, ruleset: RuleSet) -> None:
        specs = field_specs()
        self._rules = tuple(
            (rule.id, compile_condition(rule.condition, specs)) for rule in ruleset.rules
        )

    @property
    def predicates(self) -> tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...]:
        """Each rule's id and compiled condition, in rule order."""
        return self._rules

    def fired(self, profile: Profile) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        return self.fired_values(profile.__dict__)

    def fired_values(self, values: Mapping[str, Any]) -> frozenset[str]:
        """:meth:`fired` on a mapping of valid field values (for whole-space analysis)."""
        return frozenset(rule_id for rule_id, holds in self._rules if holds(values))

"""The reference backend: every rule compiled to a Python closure.

It is the oracle the durable backend is checked against, so it stays as
plain as possible: evaluate each rule's condition on the profile's values.
"""

from __future__ import annotations

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

    def fired(self, profile: Profile) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        values = profile.__dict__
        return frozenset(rule_id for rule_id, holds in self._rules if holds(values))

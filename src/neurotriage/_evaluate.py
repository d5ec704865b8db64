"""evaluate(): a profile in, a Decision out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neurotriage._loader import default_rules
from neurotriage.combine import combine
from neurotriage.decision import Decision
from neurotriage.engines import resolve_backend
from neurotriage.profile import Profile
from neurotriage.ruleset import RuleSet

__all__ = ["as_profile", "evaluate"]


def as_profile(profile: Profile | Mapping[str, Any]) -> Profile:
    """A Profile from a Profile or a mapping; the mapping is never changed."""
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, Mapping):
        return Profile.model_validate(dict(profile))
    kind = type(profile).__name__
    hint = (
        "; for JSON text use Profile.model_validate_json()"
        if isinstance(profile, str | bytes)
        else ""
    )
    raise TypeError(f"a profile must be a Profile or a mapping of its fields, not {kind}{hint}")


def evaluate(
    profile: Profile | Mapping[str, Any],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
) -> Decision:
    """Decide what foot massage ``profile`` may do, with every reason.

    ``profile`` is a :class:`Profile` or a mapping of its fields (validated;
    a bad value raises ``pydantic.ValidationError`` naming the field).
    ``rules`` defaults to the built-in rule set; ``backend`` is ``"durable"``
    or ``"reference"``, and ``None`` picks durable where it imports.
    """
    checked = as_profile(profile)
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    ruleset = rules if rules is not None else default_rules()
    engine = ruleset.engine(resolve_backend(backend))
    return combine(ruleset, checked, engine.fired(checked))

"""evaluate(): a profile in, a Decision out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

# the module, not its function: loading proves packs with the pipeline's combine(),
# so this import must not need loading to be initialised first
from neurotriage import loading
from neurotriage.decision import Decision
from neurotriage.engines import resolve_backend
from neurotriage.pack import PROFILE_PACK, Pack
from neurotriage.pipeline.compiled import compiled
from neurotriage.ruleset import RuleSet

__all__ = ["add_observer", "as_profile", "evaluate", "notify_observers", "observed"]

Observer = Callable[[RuleSet, Decision], None]

# Observers see every decision evaluate() makes, and every decision
# evaluate_many() yields, in this process (the pytest coverage plugin is one).
# The tuple is replaced, never changed, so the hot path reads it without a lock
# and pays one truth test when nobody observes.
_observers: tuple[Observer, ...] = ()
_observers_lock = threading.Lock()


def add_observer(observer: Observer) -> Callable[[], None]:
    """Call ``observer(rules, decision)`` for each decision made here; returns a remover.

    "Made here": by evaluate() in this process, or yielded by evaluate_many()
    (which builds every decision in this process, its workers' included).
    """
    global _observers  # noqa: PLW0603 - replaced atomically under the lock
    with _observers_lock:
        _observers = (*_observers, observer)

    def remove() -> None:
        global _observers  # noqa: PLW0603
        with _observers_lock:
            _observers = tuple(o for o in _observers if o is not observer)

    return remove


def as_profile(profile: BaseModel | Mapping[str, Any], pack: Pack = PROFILE_PACK) -> BaseModel:
    """A validated instance of ``pack``'s model from one or a mapping; the mapping is not changed.

    An instance may have been made without validation (``model_construct``,
    ``model_copy(update=...)``), so its values are checked against their
    fields' domains; one that does not conform is validated again, which
    raises ``pydantic.ValidationError`` naming the field (or gives the
    normalised profile, for a list that was merely not normalised). An
    instance of another model is a TypeError: it was meant for another pack.
    """
    model = pack.model
    if isinstance(profile, model):
        if pack.conforms(profile.__dict__):
            return profile
        return model.model_validate(dict(profile.__dict__))
    if isinstance(profile, Mapping):
        return model.model_validate(dict(profile))
    kind = type(profile).__name__
    if isinstance(profile, BaseModel):
        raise TypeError(
            f"a {kind} is not an input of the pack '{pack.id}', whose model is "
            f"{model.__name__}; pass a {model.__name__} or a mapping of its fields"
        )
    name = model.__name__
    hint = f"; for JSON text use {name}.from_json()" if isinstance(profile, str | bytes) else ""
    raise TypeError(f"a profile must be a {name} or a mapping of its fields, not {kind}{hint}")


def evaluate(
    profile: BaseModel | Mapping[str, Any],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
    cache: bool = True,
) -> Decision:
    """Decide what foot massage ``profile`` may do, with every reason.

    ``profile`` is an instance of the pack's model (:class:`Profile` for
    the built-in pack) or a mapping of its fields (validated; a bad value
    raises ``pydantic.ValidationError`` naming the field). ``rules``
    defaults to the built-in rule set; ``backend`` is ``"durable"`` or
    ``"reference"``, and ``None`` picks durable where it imports.

    The Decision is immutable and shared: every profile of the same class
    (see :mod:`neurotriage.pipeline.classes`) gets the same object, decided
    once. ``cache=False`` decides afresh and remembers nothing, to measure
    or check the uncached path; the Decision is equal either way.
    """
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    ruleset = rules if rules is not None else loading.default_rules()
    checked = as_profile(profile, ruleset.pack)
    decision = compiled(ruleset, resolve_backend(backend)).decide(ruleset, checked, cache=cache)
    if _observers:
        notify_observers(ruleset, decision)
    return decision


def notify_observers(rules: RuleSet, decision: Decision) -> None:
    """Pass ``decision`` to every observer: for each decision made outside evaluate()."""
    for observer in _observers:
        observer(rules, decision)


def observed() -> bool:
    """Whether any observer is listening (so a decision made elsewhere must be shown to it)."""
    return bool(_observers)

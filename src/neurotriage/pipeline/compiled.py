"""Compiled rule sets: per rule set and backend, an engine and its decisions by class.

A :class:`~neurotriage.RuleSet` is plain data. What is built from it to
evaluate (a compiled engine per backend, the decisions already made) is kept
here, keyed weakly by the rule set, so it lives exactly as long as the rule
set and never travels with it: a rule set pickled to a worker process
compiles its own engines there.

**One cache, in the pipeline.** Engines only say which rules fire. The
Decision of a profile depends only on its class (:mod:`.classes`), so each
compiled rule set keeps one bounded, thread-safe map from class to the
Decision made for it, and hands that same immutable object to every caller.
It is kept per backend, so that comparing the backends compares what each
decided, never one answer remembered for both.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from pydantic import BaseModel

from neurotriage._cache import CLASS_CACHE_SIZE, BoundedCache
from neurotriage.decision import Decision
from neurotriage.engines import BackendName, Engine, compile_engine
from neurotriage.pipeline.classes import ClassKey, decision_key
from neurotriage.pipeline.combine import combine
from neurotriage.ruleset import RuleSet

__all__ = ["Beside", "Compiled", "compiled", "compiled_engine"]


class Compiled:
    """One rule set on one backend: its engine and the Decisions it made, by class."""

    __slots__ = ("decisions", "engine", "key")

    def __init__(self, rules: RuleSet, backend: str) -> None:
        self.engine: Engine = compile_engine(rules, backend)
        self.key: ClassKey = decision_key(rules)
        self.decisions: BoundedCache[Hashable, Decision] = BoundedCache(CLASS_CACHE_SIZE)

    def decide(self, rules: RuleSet, profile: BaseModel, *, cache: bool = True) -> Decision:
        """The Decision for a validated ``profile``: the one made for its class, if any.

        ``cache=False`` asks the engine and builds a new Decision, remembering
        nothing: the cost of a profile of a class never seen.
        """
        if not cache:
            return combine(rules, profile, self.engine.fired(profile), cache=False)
        key = self.key(profile.__dict__)
        decision = self.decisions.get(key)
        if decision is None:
            decision = self.decisions.put(key, combine(rules, profile, self.engine.fired(profile)))
        return decision


T = TypeVar("T")


class Beside(Generic[T]):
    """One ``make(rules, backend)`` per rule set and backend, made on first use.

    Kept weakly by the rule set, so it lives exactly as long as the rule set
    and never travels with it. Reads take no lock; making one takes a lock,
    so it is made once.
    """

    def __init__(self, make: Callable[[RuleSet, BackendName], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[RuleSet, dict[str, T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, rules: RuleSet) -> dict[str, T] | None:
        """What has been made for ``rules``, by backend, if anything."""
        return self._made.get(rules)

    def __call__(self, rules: RuleSet, backend: BackendName) -> T:
        found = self._made.get(rules)
        done = found.get(backend) if found is not None else None
        if done is not None:  # the common case: no lock on the hot path
            return done
        with self._lock:
            found = self._made.setdefault(rules, {})
            done = found.get(backend)
            if done is None:
                done = found[backend] = self._make(rules, backend)
            return done


_compiled: Beside[Compiled] = Beside(Compiled)


def compiled(rules: RuleSet, backend: str) -> Compiled:
    """``rules`` compiled for ``backend`` on first use, and then reused."""
    return _compiled(rules, backend)  # type: ignore[arg-type]


def compiled_engine(rules: RuleSet, backend: str) -> Engine:
    """The engine for ``backend``, compiled from ``rules`` on first use and then reused."""
    return compiled(rules, backend).engine

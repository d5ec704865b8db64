"""Compiled engines, one per rule set and backend, kept beside the rule set.

A :class:`~neurotriage.RuleSet` is plain data. What is built from it to
evaluate (a compiled engine per backend) is kept here, keyed weakly by the
rule set, so it lives exactly as long as the rule set and never travels with
it: a rule set pickled to a worker process compiles its own engines there.
"""

from __future__ import annotations

import threading
import weakref

from neurotriage.engines import Engine, compile_engine
from neurotriage.ruleset import RuleSet

__all__ = ["compiled_engine"]

_engines: weakref.WeakKeyDictionary[RuleSet, dict[str, Engine]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def compiled_engine(rules: RuleSet, backend: str) -> Engine:
    """The engine for ``backend``, compiled from ``rules`` on first use and then reused."""
    compiled = _engines.get(rules)
    engine = compiled.get(backend) if compiled is not None else None
    if engine is not None:  # the common case: no lock on the hot path
        return engine
    with _lock:
        compiled = _engines.setdefault(rules, {})
        engine = compiled.get(backend)
        if engine is None:
            engine = compiled[backend] = compile_engine(rules, backend)
        return engine

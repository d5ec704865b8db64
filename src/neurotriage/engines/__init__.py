"""Backends: each compiles a RuleSet once and reports which rules fire.

A backend only decides *which rules fire*; turning fired rules into a Decision
is :mod:`neurotriage.pipeline.combine`'s job, shared by all backends.
"""

from __future__ import annotations

import functools
import warnings
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from neurotriage._errors import BackendError
from neurotriage.engines.durable import DurableEngine
from neurotriage.engines.reference import ReferenceEngine
from neurotriage.ruleset import RuleSet

__all__ = [
    "BACKENDS",
    "BackendName",
    "Engine",
    "compile_engine",
    "durable_available",
    "resolve_backend",
]

BackendName = Literal["durable", "reference"]
BACKENDS: tuple[BackendName, ...] = ("durable", "reference")


@runtime_checkable
class Engine(Protocol):
    """A compiled rule set that reports the ids of the rules a profile fires."""

    @property
    def name(self) -> str:
        """The backend's name."""

    def fired(self, profile: BaseModel) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""


@functools.cache
def durable_available() -> str | None:
    """``None`` if durable-rules imports here, else the reason it does not."""
    try:
        import durable.engine  # noqa: F401, PLC0415 - probing the optional C extension
    except Exception as err:  # noqa: BLE001 - any failure to import means "not available"
        return f"{type(err).__name__}: {err}"
    return None


@functools.cache
def _warn_fallback(reason: str) -> None:
    warnings.warn(
        f"neurotriage: durable-rules is not available ({reason}); using the reference backend",
        RuntimeWarning,
        stacklevel=4,
    )


def resolve_backend(backend: str | None, *, warn: bool = True) -> BackendName:
    """Check a backend name; ``None`` picks durable where it imports.

    Falling back to reference warns once per process unless ``warn`` is off
    (the CLI reports available backends in ``--version`` instead).
    """
    if backend is None:
        reason = durable_available()
        if reason is None:
            return "durable"
        if warn:
            _warn_fallback(reason)
        return "reference"
    if backend == "reference":
        return "reference"
    if backend == "durable":
        reason = durable_available()
        if reason is not None:
            raise BackendError(f"the durable backend is not available here: {reason}")
        return "durable"
    raise ValueError(f"unknown backend {backend!r}; choose 'durable' or 'reference'")


def backends_summary() -> str:
    """Which backends work here, e.g. for ``--version``."""
    reason = durable_available()
    if reason is None:
        return "backends: durable (default), reference"
    return f"backends: reference (durable-rules unavailable: {reason})"


def compile_engine(ruleset: RuleSet, backend: str) -> Engine:
    """Compile ``ruleset`` for ``backend`` (``pipeline.compiled_engine`` keeps and reuses it).

    durable-rules' C module is imported only here, when a durable engine is made.
    """
    if backend == "durable":
        return DurableEngine(ruleset)
    if backend == "reference":
        return ReferenceEngine(ruleset)
    raise ValueError(f"unknown backend {backend!r}; choose 'durable' or 'reference'")

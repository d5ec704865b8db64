"""What verify() reports: one result per property, with its smallest counterexample."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

__all__ = [
    "Counterexample",
    "Method",
    "Progress",
    "PropertyResult",
    "Status",
    "VerifyReport",
    "shown",
]

#: Called as ``progress(stage, done, total)`` while a long analysis runs.
Progress = Callable[[str, int, int], None]

Method = Literal["symbolic", "enumeration"]
Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Counterexample:
    """Where a property fails: one profile, or a pair one step apart.

    ``profiles`` holds one profile, or ``(before, after)`` for a step property,
    with ``change`` naming the step (``"pain_level: 0 -> 7"``). ``fired`` holds
    the rules each profile fired; ``problems`` says what is wrong.
    """

    profiles: tuple[BaseModel, ...]
    fired: tuple[tuple[str, ...], ...]
    problems: tuple[str, ...]
    change: str | None = None

    @property
    def known_fields(self) -> int:
        """How many fields the (first) profile sets to other than their default."""
        first = self.profiles[0]
        fields = type(first).model_fields
        return sum(1 for name, info in fields.items() if getattr(first, name) != info.default)


@dataclass(frozen=True)
class PropertyResult:
    """The verdict on one property over the whole space."""

    id: str
    description: str
    kind: Literal["built-in", "invariant"]
    status: Status
    checked: int
    #: how many profiles (or steps) fail; ``None`` when a symbolic proof did not count them
    failures: int | None = 0
    counterexample: Counterexample | None = None
    where: str | None = None
    note: str = ""
    #: what ``checked`` counts, when it is not the property's usual unit
    unit: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """Every property checked on a rule set, with the space and the time it took."""

    ruleset_version: str
    space_size: int
    backends: tuple[str, ...]
    seconds: float
    results: tuple[PropertyResult, ...]
    #: ``"symbolic"`` (proved by the solver) or ``"enumeration"`` (every class evaluated)
    method: str = "enumeration"

    @property
    def ok(self) -> bool:
        """Whether no property failed."""
        return all(r.status != "fail" for r in self.results)

    @property
    def failed(self) -> tuple[PropertyResult, ...]:
        """The properties that failed."""
        return tuple(r for r in self.results if r.status == "fail")


def shown(value: object) -> str:
    """A field value as the reports print it."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)

"""The checks behind verify(): each built-in property over an enumerated space.

Each check walks the enumeration once and returns how many profiles (or
steps) it looked at and the worst failure found, the one with the fewest
known fields; :mod:`._verify` turns that into a report. Red flags, risk
orders and relaxing fields come from the rule set's pack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from neurotriage.analysis._enumerate import Enumeration, condition_checker
from neurotriage.analysis._space import InputSpace
from neurotriage.decision import Outcome
from neurotriage.proof import (
    STARTING,
    STEPS,
    partition_problems,
    red_flag_invariant,
    verdict_problems,
)
from neurotriage.ruleset import Invariant

__all__ = [
    "STARTING",
    "STEPS",
    "Worst",
    "check_invariants",
    "check_steps",
    "mismatch",
    "partition",
    "partition_problems",
    "red_flag_invariant",
    "verdict_matches",
]


def verdict_matches(enum: Enumeration) -> tuple[int, Worst]:
    memo: dict[int, list[str]] = {}
    worst = Worst()
    for index, oid in enumerate(enum.outcome_ids):
        problems = memo.get(oid)
        if problems is None:
            problems = memo[oid] = verdict_problems(enum.outcomes[oid])
        if problems:
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(enum.outcome_ids), worst


@dataclass
class Worst:
    """The failures of one property and its smallest counterexample so far."""

    failures: int = 0
    best: tuple[int, int, int, int, tuple[str, ...]] | None = None

    def add(self, known: int, index: int, other: int, field: int, problems: list[str]) -> None:
        self.failures += 1
        key = (known, index, other, field, tuple(problems))
        if self.best is None or key[:2] < self.best[:2]:
            self.best = key


def step_pairs(space: InputSpace, kind: str) -> Iterator[tuple[int, int, int]]:
    """Every ``(field position, from index, to index)`` one ``kind`` step apart."""
    for position, name in enumerate(space.names):
        stride = space.stride(name)
        for low, high in space.steps(name, kind):
            shift = (high - low) * stride
            for index in space.with_digit(name, low):
                yield position, index, index + shift


def check_steps(
    enum: Enumeration, kind: str, check: Callable[[Outcome, Outcome], list[str]]
) -> tuple[int, Worst]:
    ids, outcomes, space = enum.outcome_ids, enum.outcomes, enum.space
    memo: dict[tuple[int, int], list[str]] = {}
    worst = Worst()
    checked = 0
    for field, low, high in step_pairs(space, kind):
        checked += 1
        key = (ids[low], ids[high])
        problems = memo.get(key)
        if problems is None:
            problems = memo[key] = check(outcomes[key[0]], outcomes[key[1]])
        if problems:
            worst.add(space.known_count(low), low, high, field, problems)
    return checked, worst


def check_invariants(
    enum: Enumeration, invariants: tuple[Invariant, ...]
) -> list[tuple[int, Worst]]:
    holds = [condition_checker(inv.condition, enum.space.pack.fields) for inv in invariants]
    memo: list[dict[int, list[str]]] = [{} for _ in invariants]
    results = [(0, Worst()) for _ in invariants]
    counts = [0] * len(invariants)
    ids, outcomes, space = enum.outcome_ids, enum.outcomes, enum.space
    for k, check in enumerate(holds):
        for index in space.where(check, invariants[k].condition_fields):
            oid = ids[index]
            counts[k] += 1
            problems = memo[k].get(oid)
            if problems is None:
                problems = memo[k][oid] = invariants[k].violations(outcomes[oid])
            if problems:
                results[k][1].add(space.known_count(index), index, index, -1, problems)
    return [(counts[k], worst) for k, (_, worst) in enumerate(results)]


def partition(enum: Enumeration) -> tuple[int, Worst]:
    catalogue = set(enum.rules.technique_ids)
    worst = Worst()
    seen: dict[int, int] = {}
    for index, oid in enumerate(enum.outcome_ids):
        seen.setdefault(oid, index)
    for index in seen.values():
        problems = partition_problems(enum.decision(index), catalogue)
        if problems:
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(seen), worst


def mismatch(enum: Enumeration, other: Enumeration, what: str) -> tuple[int, Worst]:
    worst = Worst()
    for index, (mask, theirs) in enumerate(zip(enum.masks, other.masks, strict=True)):
        if mask != theirs:
            ours, other_fired = set(enum.fired(index)), set(other.fired(index))
            problems = [f"{what} fires {sorted(other_fired ^ ours)} differently"]
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(enum.masks), worst

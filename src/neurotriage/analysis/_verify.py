"""Prove a rule set's safety properties by enumerating its whole input space.

The seven built-in properties of DESIGN.md section 5, and the verdict's
agreement with what is allowed, are always checked;
the invariants declared in the rule files are checked on top. Each failing
property reports its smallest counterexample: the one with the fewest known
fields (a pair of profiles for the step properties).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from neurotriage.analysis._budget import VERIFY, VERIFY_DURABLE, Progress, check_cost
from neurotriage.analysis._enumerate import (
    Enumeration,
    condition_checker,
    enumerate_space,
)
from neurotriage.analysis._space import (
    RED_FLAG_CONDITION,
    InputSpace,
    input_space,
    red_flag_condition,
)
from neurotriage.decision import REFERRAL_LEVELS, STARTING_VERDICTS, VERDICTS, Outcome
from neurotriage.engines import resolve_backend
from neurotriage.profile import Profile
from neurotriage.ruleset import Invariant, RuleSet

__all__ = ["Counterexample", "PropertyResult", "VerifyReport", "verify"]

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Counterexample:
    """Where a property fails: one profile, or a pair one step apart.

    ``profiles`` holds one profile, or ``(before, after)`` for a step property,
    with ``change`` naming the step (``"pain_level: 0 -> 7"``). ``fired`` holds
    the rules each profile fired; ``problems`` says what is wrong.
    """

    profiles: tuple[Profile, ...]
    fired: tuple[tuple[str, ...], ...]
    problems: tuple[str, ...]
    change: str | None = None

    @property
    def known_fields(self) -> int:
        """How many fields the (first) profile sets to other than their default."""
        first = self.profiles[0]
        return sum(
            1 for name, info in Profile.model_fields.items() if getattr(first, name) != info.default
        )


@dataclass(frozen=True)
class PropertyResult:
    """The verdict on one property over the whole space."""

    id: str
    description: str
    kind: Literal["built-in", "invariant"]
    status: Status
    checked: int
    failures: int = 0
    counterexample: Counterexample | None = None
    where: str | None = None
    note: str = ""


@dataclass(frozen=True)
class VerifyReport:
    """Every property checked on a rule set, with the space and the time it took."""

    ruleset_version: str
    space_size: int
    backends: tuple[str, ...]
    seconds: float
    results: tuple[PropertyResult, ...]

    @property
    def ok(self) -> bool:
        """Whether no property failed."""
        return all(r.status != "fail" for r in self.results)

    @property
    def failed(self) -> tuple[PropertyResult, ...]:
        """The properties that failed."""
        return tuple(r for r in self.results if r.status == "fail")


_RED_FLAGS = Invariant(
    id="red-flags",
    description=(
        "A known red flag (open wounds, foot infection, pain >= 7, worsening symptoms) "
        "allows nothing, refers at least to see_doctor and says see_doctor or stop, "
        "whatever else is true"
    ),
    when=RED_FLAG_CONDITION,
    condition=red_flag_condition(),
    allowed_only=frozenset(),
    referral_at_least="see_doctor",
    verdict_in=frozenset({"see_doctor", "stop"}),
)

_STARTING = ", ".join(v for v in VERDICTS if v in STARTING_VERDICTS)


def _verdict_problems(outcome: Outcome) -> list[str]:
    """What is wrong with ``outcome``'s verdict given what it allows (empty: nothing)."""
    starts = outcome.verdict in STARTING_VERDICTS
    if starts and not outcome.allowed:
        return [f"the verdict is {outcome.verdict}, but no technique is allowed"]
    if not starts and outcome.allowed:
        allowed = ", ".join(sorted(outcome.allowed))
        verb = "is" if len(outcome.allowed) == 1 else "are"
        return [f"the verdict is {outcome.verdict}, but {allowed} {verb} allowed"]
    return []


def _verdict_matches(enum: Enumeration) -> tuple[int, _Worst]:
    memo: dict[int, list[str]] = {}
    worst = _Worst()
    for index, oid in enumerate(enum.outcome_ids):
        problems = memo.get(oid)
        if problems is None:
            problems = memo[oid] = _verdict_problems(enum.outcomes[oid])
        if problems:
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(enum.outcome_ids), worst


_RANK = {level: i for i, level in enumerate(REFERRAL_LEVELS)}


def _riskier(low: Outcome, high: Outcome) -> list[str]:
    problems = []
    if high.allowed - low.allowed:
        extra = ", ".join(sorted(high.allowed - low.allowed))
        problems.append(f"the riskier profile allows {extra}, which the other blocks")
    if _RANK[high.referral] < _RANK[low.referral]:
        problems.append(f"referral falls from {low.referral} to {high.referral}")
    if low.warnings - high.warnings:
        problems.append(f"drops warning {', '.join(sorted(low.warnings - high.warnings))}")
    return problems


def _unknown_not_safer(known: Outcome, unknown: Outcome) -> list[str]:
    extra = ", ".join(sorted(unknown.allowed - known.allowed))
    return [f"unknown allows {extra}, which the known answer blocks"] if extra else []


def _clearance_relaxes(before: Outcome, cleared: Outcome) -> list[str]:
    problems = []
    if before.allowed - cleared.allowed:
        problems.append(f"stops allowing {', '.join(sorted(before.allowed - cleared.allowed))}")
    if _RANK[cleared.referral] > _RANK[before.referral]:
        problems.append(f"referral rises from {before.referral} to {cleared.referral}")
    return problems


_STEPS: tuple[tuple[str, str, str, Callable[[Outcome, Outcome], list[str]]], ...] = (
    (
        "monotone-risk",
        "risk",
        (
            "One more risk factor (a yes, a higher severity, pain or pressure, one more "
            "condition) never allows more, lowers the referral or drops a warning"
        ),
        _riskier,
    ),
    (
        "unknown-not-safer",
        "unknown",
        "Replacing a known answer by unknown never allows more",
        _unknown_not_safer,
    ),
    (
        "clearance-relaxes",
        "clearance",
        "Clearance by a clinician never allows less or raises the referral",
        _clearance_relaxes,
    ),
)


@dataclass
class _Worst:
    """The failures of one property and its smallest counterexample so far."""

    failures: int = 0
    best: tuple[int, int, int, int, tuple[str, ...]] | None = None

    def add(self, known: int, index: int, other: int, field: int, problems: list[str]) -> None:
        self.failures += 1
        key = (known, index, other, field, tuple(problems))
        if self.best is None or key[:2] < self.best[:2]:
            self.best = key


def _single(enum: Enumeration, worst: _Worst) -> Counterexample | None:
    if worst.best is None:
        return None
    _, index, _, _, problems = worst.best
    return Counterexample((enum.space.profile_at(index),), (enum.fired(index),), problems)


def _pair(enum: Enumeration, worst: _Worst) -> Counterexample | None:
    if worst.best is None:
        return None
    _, low, high, field, problems = worst.best
    before, after = enum.space.profile_at(low), enum.space.profile_at(high)
    name = enum.space.names[field]
    change = f"{name}: {_shown(getattr(before, name))} -> {_shown(getattr(after, name))}"
    return Counterexample((before, after), (enum.fired(low), enum.fired(high)), problems, change)


def _shown(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _step_pairs(space: InputSpace, kind: str) -> Iterator[tuple[int, int, int]]:
    """Every ``(field position, from index, to index)`` one ``kind`` step apart."""
    for position, name in enumerate(space.names):
        stride = space.stride(name)
        for low, high in space.steps(name, kind):
            shift = (high - low) * stride
            for index in space.with_digit(name, low):
                yield position, index, index + shift


def _check_steps(
    enum: Enumeration, kind: str, check: Callable[[Outcome, Outcome], list[str]]
) -> tuple[int, _Worst]:
    ids, outcomes, space = enum.outcome_ids, enum.outcomes, enum.space
    memo: dict[tuple[int, int], list[str]] = {}
    worst = _Worst()
    checked = 0
    for field, low, high in _step_pairs(space, kind):
        checked += 1
        key = (ids[low], ids[high])
        problems = memo.get(key)
        if problems is None:
            problems = memo[key] = check(outcomes[key[0]], outcomes[key[1]])
        if problems:
            worst.add(space.known_count(low), low, high, field, problems)
    return checked, worst


def _check_invariants(
    enum: Enumeration, invariants: tuple[Invariant, ...]
) -> list[tuple[int, _Worst]]:
    holds = [condition_checker(inv.condition) for inv in invariants]
    memo: list[dict[int, list[str]]] = [{} for _ in invariants]
    results = [(0, _Worst()) for _ in invariants]
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


def _partition(enum: Enumeration) -> tuple[int, _Worst]:
    catalogue = set(enum.rules.technique_ids)
    worst = _Worst()
    seen: dict[int, int] = {}
    for index, oid in enumerate(enum.outcome_ids):
        seen.setdefault(oid, index)
    for index in seen.values():
        decision = enum.decision(index)
        allowed = [t.technique for t in decision.allowed_techniques]
        blocked = [t.technique for t in decision.blocked_techniques]
        problems = []
        if set(allowed) & set(blocked):
            problems.append(f"both allowed and blocked: {sorted(set(allowed) & set(blocked))}")
        if set(allowed) | set(blocked) != catalogue or len(allowed) + len(blocked) != len(
            catalogue
        ):
            problems.append("allowed and blocked do not cover the catalogue exactly once")
        if any(not t.reasons for t in decision.blocked_techniques):
            problems.append("a blocked technique has no reason")
        if problems:
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(seen), worst


def _mismatch(enum: Enumeration, other: Enumeration, what: str) -> tuple[int, _Worst]:
    worst = _Worst()
    for index, (mask, theirs) in enumerate(zip(enum.masks, other.masks, strict=True)):
        if mask != theirs:
            ours, other_fired = set(enum.fired(index)), set(other.fired(index))
            problems = [f"{what} fires {sorted(other_fired ^ ours)} differently"]
            worst.add(enum.space.known_count(index), index, index, -1, problems)
    return len(enum.masks), worst


def _result(
    id_: str,
    description: str,
    counted: tuple[int, _Worst],
    counterexample: Counterexample | None,
    *,
    kind: Literal["built-in", "invariant"] = "built-in",
    where: str | None = None,
) -> PropertyResult:
    checked, worst = counted
    status: Status = "fail" if worst.failures else "pass"
    return PropertyResult(
        id_, description, kind, status, checked, worst.failures, counterexample, where
    )


def _staged(progress: Progress | None, stage: str) -> Progress | None:
    """``progress`` reporting every step under one stage name."""
    if progress is None:
        return None
    report = progress
    return lambda _stage, done, total: report(stage, done, total)


def verify(
    rules: RuleSet, *, backend: str = "reference", progress: Progress | None = None
) -> VerifyReport:
    """Check every built-in safety property and declared invariant on every class.

    ``backend="reference"`` checks the reference backend's decisions;
    ``backend="durable"`` checks durable's and also proves that it agrees
    with reference on every class (property 7, skipped otherwise).
    ``progress(stage, done, total)`` is called as the work goes on.

    Raises :class:`SpaceTooLargeError` before doing any work if the input
    space is too large to check in about a minute and 2 GB.
    """
    if not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    chosen = resolve_backend(backend)
    started = time.perf_counter()
    space = input_space(rules)
    cost = VERIFY if chosen == "reference" else VERIFY_DURABLE
    check_cost("verify", space.size, len(rules.rules), cost, space.fields)
    enum = enumerate_space(rules, space, chosen, progress=progress)
    results: list[PropertyResult] = []

    counted = _partition(enum)
    results.append(
        _result(
            "partition",
            "Allowed and blocked partition the catalogue; every block has a reason",
            counted,
            _single(enum, counted[1]),
        )
    )
    invariants = (_RED_FLAGS, *rules.invariants)
    checks = _check_invariants(enum, invariants)
    red = checks[0]
    results.append(_result("red-flags", _RED_FLAGS.description, red, _single(enum, red[1])))
    for prop, kind, description, check in _STEPS:
        if progress is not None:
            progress(f"checking {prop}", 0, 1)
        counted = _check_steps(enum, kind, check)
        results.append(_result(prop, description, counted, _pair(enum, counted[1])))

    reversed_rules = rules.reordered(reversed(rules.rules))
    counted = _mismatch(
        enum,
        enumerate_space(
            reversed_rules,
            space,
            chosen,
            rule_ids=enum.rule_ids,
            by_rule=False,
            progress=_staged(progress, "checking order-free"),
        ),
        "reversed order",
    )
    results.append(
        _result(
            "order-free",
            "Same input, same decision; reversing the rule order changes nothing",
            counted,
            _single(enum, counted[1]),
        )
    )
    description = "Every backend fires exactly the same rules on every class"
    if chosen == "reference":
        results.append(
            PropertyResult(
                "backends-agree",
                description,
                "built-in",
                "skip",
                0,
                note="run with --backend durable to compare durable with reference",
            )
        )
    else:
        counted = _mismatch(
            enum,
            enumerate_space(rules, space, "reference", rule_ids=enum.rule_ids, progress=progress),
            "reference",
        )
        results.append(_result("backends-agree", description, counted, _single(enum, counted[1])))
    counted = _verdict_matches(enum)
    results.append(
        _result(
            "verdict-matches-allowed",
            f"The verdict invites the person to start ({_STARTING}) exactly when some "
            "technique is allowed",
            counted,
            _single(enum, counted[1]),
        )
    )
    for invariant, counted in zip(rules.invariants, checks[1:], strict=True):
        results.append(
            _result(
                invariant.id,
                invariant.description,
                counted,
                _single(enum, counted[1]),
                kind="invariant",
                where=f"{invariant.file}:{invariant.line}",
            )
        )
    backends = (chosen,) if chosen == "reference" else (chosen, "reference")
    seconds = time.perf_counter() - started
    return VerifyReport(rules.version, space.size, backends, seconds, tuple(results))

"""Prove a rule set's safety properties by enumerating its whole input space.

The seven built-in properties of DESIGN.md section 5, and the verdict's
agreement with what is allowed, are always checked;
the invariants declared in the rule files are checked on top. Each failing
property reports its smallest counterexample: the one with the fewest known
fields (a pair of profiles for the step properties).
"""

from __future__ import annotations

import time
from typing import Literal

from neurotriage.analysis._budget import (
    QUERY_SECONDS,
    VERIFY,
    VERIFY_DURABLE,
    Progress,
    check_cost,
)
from neurotriage.analysis._enumerate import Enumeration, enumerate_space
from neurotriage.analysis._properties import (
    STARTING,
    STEPS,
    Worst,
    check_invariants,
    check_steps,
    mismatch,
    partition,
    red_flag_invariant,
    verdict_matches,
)
from neurotriage.analysis._space import input_space
from neurotriage.engines import resolve_backend
from neurotriage.proof import (
    AGREEMENT,
    Counterexample,
    Method,
    PropertyResult,
    Status,
    VerifyReport,
    prove,
    shown,
    skipped_agreement,
    skipped_red_flags,
    skipped_step,
)
from neurotriage.ruleset import RuleSet

__all__ = ["Counterexample", "PropertyResult", "VerifyReport", "verify"]


def _single(enum: Enumeration, worst: Worst) -> Counterexample | None:
    if worst.best is None:
        return None
    _, index, _, _, problems = worst.best
    return Counterexample((enum.space.profile_at(index),), (enum.fired(index),), problems)


def _pair(enum: Enumeration, worst: Worst) -> Counterexample | None:
    if worst.best is None:
        return None
    _, low, high, field, problems = worst.best
    before, after = enum.space.profile_at(low), enum.space.profile_at(high)
    name = enum.space.names[field]
    change = f"{name}: {shown(getattr(before, name))} -> {shown(getattr(after, name))}"
    return Counterexample((before, after), (enum.fired(low), enum.fired(high)), problems, change)


def _result(
    id_: str,
    description: str,
    counted: tuple[int, Worst],
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
    rules: RuleSet,
    *,
    backend: str = "reference",
    progress: Progress | None = None,
    method: Method = "symbolic",
    time_budget: float = QUERY_SECONDS,
) -> VerifyReport:
    """Prove every built-in safety property and declared invariant on the whole space.

    ``method="symbolic"`` (the default) asks a solver, at any size of space;
    ``method="enumeration"`` evaluates every class, as the cross-check (it
    raises :class:`SpaceTooLargeError` before doing any work on a space too
    large to enumerate in about a minute and 2 GB).

    ``backend="reference"`` checks the reference backend's decisions;
    ``backend="durable"`` also proves that durable agrees with reference
    (property 7, skipped otherwise). ``progress(stage, done, total)`` is
    called as the work goes on. A solver query that takes longer than
    ``time_budget`` seconds raises :class:`~neurotriage.UndecidedError`
    naming the property: nothing is reported as passing without a proof.
    """
    if not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    if method not in ("symbolic", "enumeration"):
        raise ValueError(f"method must be 'symbolic' or 'enumeration', not {method!r}")
    chosen = resolve_backend(backend)
    if method == "enumeration":
        return _enumerated(rules, chosen, progress)
    return prove(rules, chosen, progress, time_budget)


def _enumerated(rules: RuleSet, chosen: str, progress: Progress | None) -> VerifyReport:
    """verify() by evaluating every class of the space."""
    started = time.perf_counter()
    space = input_space(rules)
    cost = VERIFY if chosen == "reference" else VERIFY_DURABLE
    check_cost("verify", space.size, len(rules.rules), cost, space.fields)
    enum = enumerate_space(rules, space, chosen, progress=progress)
    results: list[PropertyResult] = []

    counted = partition(enum)
    results.append(
        _result(
            "partition",
            "Allowed and blocked partition the catalogue; every block has a reason",
            counted,
            _single(enum, counted[1]),
        )
    )
    red_flags = red_flag_invariant(rules.pack)
    declared = rules.invariants if red_flags is None else (red_flags, *rules.invariants)
    checks = check_invariants(enum, declared)
    if red_flags is None:
        results.append(skipped_red_flags(rules.pack))
    else:
        red, checks = checks[0], checks[1:]
        results.append(_result("red-flags", red_flags.description, red, _single(enum, red[1])))
    for prop, kind, description, check in STEPS:
        if progress is not None:
            progress(f"checking {prop}", 0, 1)
        if kind == "clearance" and not rules.pack.relaxing:
            results.append(skipped_step(prop, description, rules.pack))
            continue
        counted = check_steps(enum, kind, check)
        results.append(_result(prop, description, counted, _pair(enum, counted[1])))

    reversed_rules = rules.reordered(reversed(rules.rules))
    counted = mismatch(
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
    if chosen == "reference":
        results.append(skipped_agreement())
    else:
        counted = mismatch(
            enum,
            enumerate_space(rules, space, "reference", rule_ids=enum.rule_ids, progress=progress),
            "reference",
        )
        results.append(_result("backends-agree", AGREEMENT, counted, _single(enum, counted[1])))
    counted = verdict_matches(enum)
    results.append(
        _result(
            "verdict-matches-allowed",
            f"The verdict invites the person to start ({STARTING}) exactly when some "
            "technique is allowed",
            counted,
            _single(enum, counted[1]),
        )
    )
    for invariant, counted in zip(rules.invariants, checks, strict=True):
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

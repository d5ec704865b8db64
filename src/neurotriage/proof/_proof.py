"""verify() by proof: every property asked of the solver, none enumerated.

The report has the same properties, in the same order, as the enumerated
one. A passing property was proved on the whole space (its ``checked`` is
the exact number of profiles or steps the proof covers); a failing one
carries its smallest counterexample, confirmed on every backend here, and
no failure count (``failures`` is ``None``: proving a property false does
not count its counterexamples).

Three properties are about engines rather than rules, so the solver cannot
prove them: ``partition`` and ``order-free`` are checked on real decisions
at one profile per rule that can fire (the rules are formulas of the profile
alone and ``combine()`` joins their effects, so only an engine could break
them), and ``backends-agree`` compares durable with reference rule by rule
on every class of the fields each rule reads.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel

from neurotriage.engines import Engine
from neurotriage.pipeline.combine import combine
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.proof._checks import (
    AGREEMENT,
    STARTING,
    STEPS,
    partition_problems,
    red_flag_invariant,
    skipped_agreement,
    skipped_red_flags,
    skipped_step,
)
from neurotriage.proof._prove import Found, Prover
from neurotriage.proof._report import (
    Counterexample,
    Progress,
    PropertyResult,
    VerifyReport,
    shown,
)
from neurotriage.ruleset import RuleSet

__all__ = ["QUERY_SECONDS", "prove"]

#: A solver query that takes longer than this (seconds) stops the proof:
#: the property is reported as undecided, never as passing.
QUERY_SECONDS = 20.0

_ON_RULES = "checked on real decisions at one profile per rule that can fire"
_ON_RULES_UNIT = "profiles, one per rule that can fire"


def _example(found: Found | None) -> Counterexample | None:
    if found is None:
        return None
    change = None
    if found.field is not None:
        before, after = (getattr(p, found.field) for p in found.profiles)
        change = f"{found.field}: {shown(before)} -> {shown(after)}"
    return Counterexample(found.profiles, found.fired, found.problems, change)


def _proved(
    id_: str,
    description: str,
    checked: int,
    found: Found | None,
    *,
    kind: Literal["built-in", "invariant"] = "built-in",
    where: str | None = None,
    note: str = "",
    unit: str | None = None,
) -> PropertyResult:
    if found is None:
        return PropertyResult(
            id_, description, kind, "pass", checked, where=where, note=note, unit=unit
        )
    example = _example(found)
    return PropertyResult(id_, description, kind, "fail", checked, None, example, where, note, unit)


def prove(rules: RuleSet, backend: str, progress: Progress | None, seconds: float) -> VerifyReport:
    """Every property of verify() proved (or refuted) by the solver."""
    started = time.perf_counter()

    def stage(name: str) -> None:
        if progress is not None:
            progress(f"proving {name}", 0, 1)

    prover = Prover(rules, seconds)
    pack = rules.pack
    results: list[PropertyResult] = []

    stage("which rules can fire")
    firing = prover.firing()
    witnesses = [p for p in firing.values() if p is not None]
    witnesses.append(pack.validate({}))
    results.append(_partition(rules, witnesses))

    red_flags = red_flag_invariant(pack)
    if red_flags is None:
        results.append(skipped_red_flags(pack))
    else:
        stage("red-flags")
        results.append(
            _proved(
                "red-flags",
                red_flags.description,
                prover.region(red_flags),
                prover.invariant(red_flags),
            )
        )

    for prop, kind, description, _ in STEPS:
        if kind == "clearance" and not pack.relaxing:
            results.append(skipped_step(prop, description, pack))
            continue
        stage(prop)
        results.append(_proved(prop, description, prover.steps(kind), prover.step(kind)))

    stage("order-free")
    engine = compiled_engine(rules, backend)
    results.append(_order_free(rules, engine, backend, witnesses))

    if backend == "reference":
        results.append(skipped_agreement())
    else:
        stage("backends-agree")
        checked, broken, sampled = _agreement(rules, prover, engine)
        note = "each rule on every class of the fields it reads"
        if sampled:
            note += f"; sampled for {', '.join(sampled)}, whose classes are too many to walk"
        results.append(
            _proved(
                "backends-agree",
                AGREEMENT,
                checked,
                broken,
                note=note,
                unit="profiles, each rule's own fields",
            )
        )

    stage("verdict-matches-allowed")
    results.append(
        _proved(
            "verdict-matches-allowed",
            f"The verdict invites the person to start ({STARTING}) exactly when some "
            "technique is allowed",
            prover.size,
            prover.verdict_matches(),
        )
    )
    for invariant in rules.invariants:
        stage(f"invariant {invariant.id}")
        results.append(
            _proved(
                invariant.id,
                invariant.description,
                prover.region(invariant),
                prover.invariant(invariant),
                kind="invariant",
                where=f"{invariant.file}:{invariant.line}",
            )
        )
    backends = (backend,) if backend == "reference" else (backend, "reference")
    seconds_taken = time.perf_counter() - started
    return VerifyReport(
        rules.version, prover.size, backends, seconds_taken, tuple(results), "symbolic"
    )


def _agreement(
    rules: RuleSet, prover: Prover, durable: Engine
) -> tuple[int, Found | None, list[str]]:
    """Durable against reference, each rule on every class of its own fields.

    Also returns the rules whose own classes were too many and only sampled.
    """
    reference = compiled_engine(rules, "reference")
    checked = 0
    sampled: list[str] = []
    for rule in rules.rules:
        profiles, whole = prover.own_fields(rule)
        if not whole:
            sampled.append(rule.id)
        for profile in profiles:
            checked += 1
            ours = durable.fired(profile)
            theirs = reference.fired(profile)
            if ours != theirs:
                problems = (f"reference fires {sorted(ours ^ theirs)} differently",)
                return checked, Found((profile,), (tuple(sorted(ours)),), problems), sampled
    return checked, None, sampled


def _partition(rules: RuleSet, witnesses: list[BaseModel]) -> PropertyResult:
    catalogue = set(rules.technique_ids)
    reference = compiled_engine(rules, "reference")
    broken = None
    for profile in witnesses:
        fired = reference.fired(profile)
        problems = partition_problems(combine(rules, profile, fired), catalogue)
        if problems:
            broken = Found((profile,), (tuple(sorted(fired)),), tuple(problems))
            break
    return _proved(
        "partition",
        "Allowed and blocked partition the catalogue; every block has a reason",
        len(witnesses),
        broken,
        note=_ON_RULES,
        unit=_ON_RULES_UNIT,
    )


def _order_free(
    rules: RuleSet, engine: Engine, backend: str, witnesses: list[BaseModel]
) -> PropertyResult:
    backwards = compiled_engine(rules.reordered(reversed(rules.rules)), backend)
    broken = None
    for profile in witnesses:
        ours, theirs = engine.fired(profile), backwards.fired(profile)
        if ours != theirs:
            problems = (f"reversed order fires {sorted(ours ^ theirs)} differently",)
            broken = Found((profile,), (tuple(sorted(ours)),), problems)
            break
    return _proved(
        "order-free",
        "Same input, same decision; reversing the rule order changes nothing",
        len(witnesses),
        broken,
        note=_ON_RULES,
        unit=_ON_RULES_UNIT,
    )

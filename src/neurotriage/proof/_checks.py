"""The safety properties as checks on real outcomes: what is wrong, in words.

Both proofs use them: the enumeration on every class, the solver on each
counterexample it re-evaluates, so both print the same problems.
"""

from __future__ import annotations

from collections.abc import Callable

from neurotriage.decision import REFERRAL_LEVELS, STARTING_VERDICTS, VERDICTS, Decision, Outcome
from neurotriage.pack import Pack
from neurotriage.proof._report import PropertyResult
from neurotriage.ruleset import Invariant

__all__ = [
    "AGREEMENT",
    "RANK",
    "STARTING",
    "STEPS",
    "clearance_relaxes",
    "partition_problems",
    "red_flag_invariant",
    "riskier",
    "skipped_agreement",
    "skipped_red_flags",
    "skipped_step",
    "unknown_not_safer",
    "verdict_problems",
]


def red_flag_invariant(pack: Pack) -> Invariant | None:
    """Property 2 as an invariant over the pack's red flags (``None``: it declares none)."""
    if pack.red_flags is None or pack.red_flag_condition is None:
        return None
    return Invariant(
        id="red-flags",
        description=(
            f"A known red flag ({pack.red_flags}) allows nothing, refers at least to "
            "see_doctor and says see_doctor or stop, whatever else is true"
        ),
        when=pack.red_flags,
        condition=pack.red_flag_condition,
        allowed_only=frozenset(),
        referral_at_least="see_doctor",
        verdict_in=frozenset({"see_doctor", "stop"}),
        file=pack.file,
    )


def skipped_red_flags(pack: Pack) -> PropertyResult:
    """Property 2 on a pack that declares no red flags: nothing to check."""
    return PropertyResult(
        "red-flags",
        "Red flags allow nothing and refer at least to see_doctor",
        "built-in",
        "skip",
        0,
        note=f"the pack '{pack.id}' declares no red_flags",
    )


def skipped_step(prop: str, description: str, pack: Pack) -> PropertyResult:
    """A clearance step on a pack that declares no relaxing field: nothing to check."""
    note = f"the pack '{pack.id}' declares no relaxing field"
    return PropertyResult(prop, description, "built-in", "skip", 0, note=note)


AGREEMENT = "Every backend fires exactly the same rules on every class"


def skipped_agreement() -> PropertyResult:
    """Backend agreement when only the reference backend was asked for."""
    return PropertyResult(
        "backends-agree",
        AGREEMENT,
        "built-in",
        "skip",
        0,
        note="run with --backend durable to compare durable with reference",
    )


STARTING = ", ".join(v for v in VERDICTS if v in STARTING_VERDICTS)


def verdict_problems(outcome: Outcome) -> list[str]:
    """What is wrong with ``outcome``'s verdict given what it allows (empty: nothing)."""
    starts = outcome.verdict in STARTING_VERDICTS
    if starts and not outcome.allowed:
        return [f"the verdict is {outcome.verdict}, but no technique is allowed"]
    if not starts and outcome.allowed:
        allowed = ", ".join(sorted(outcome.allowed))
        verb = "is" if len(outcome.allowed) == 1 else "are"
        return [f"the verdict is {outcome.verdict}, but {allowed} {verb} allowed"]
    return []


RANK = {level: i for i, level in enumerate(REFERRAL_LEVELS)}


def riskier(low: Outcome, high: Outcome) -> list[str]:
    problems = []
    if high.allowed - low.allowed:
        extra = ", ".join(sorted(high.allowed - low.allowed))
        problems.append(f"the riskier profile allows {extra}, which the other blocks")
    if RANK[high.referral] < RANK[low.referral]:
        problems.append(f"referral falls from {low.referral} to {high.referral}")
    if low.warnings - high.warnings:
        problems.append(f"drops warning {', '.join(sorted(low.warnings - high.warnings))}")
    return problems


def unknown_not_safer(known: Outcome, unknown: Outcome) -> list[str]:
    extra = ", ".join(sorted(unknown.allowed - known.allowed))
    return [f"unknown allows {extra}, which the known answer blocks"] if extra else []


def clearance_relaxes(before: Outcome, cleared: Outcome) -> list[str]:
    problems = []
    if before.allowed - cleared.allowed:
        problems.append(f"stops allowing {', '.join(sorted(before.allowed - cleared.allowed))}")
    if RANK[cleared.referral] > RANK[before.referral]:
        problems.append(f"referral rises from {before.referral} to {cleared.referral}")
    return problems


STEPS: tuple[tuple[str, str, str, Callable[[Outcome, Outcome], list[str]]], ...] = (
    (
        "monotone-risk",
        "risk",
        (
            "One step up a field's risk order (false to true, the next value, a higher "
            "number, one more item; the other way where risk falls) never allows more, "
            "lowers the referral or drops a warning"
        ),
        riskier,
    ),
    (
        "unknown-not-safer",
        "unknown",
        "Replacing a known answer by unknown never allows more",
        unknown_not_safer,
    ),
    (
        "clearance-relaxes",
        "clearance",
        "Turning on a relaxing field (clearance) never allows less or raises the referral",
        clearance_relaxes,
    ),
)


def partition_problems(decision: Decision, catalogue: set[str]) -> list[str]:
    """What is wrong with how ``decision`` splits the catalogue (empty: nothing)."""
    allowed = [t.technique for t in decision.allowed_techniques]
    blocked = [t.technique for t in decision.blocked_techniques]
    problems = []
    if set(allowed) & set(blocked):
        problems.append(f"both allowed and blocked: {sorted(set(allowed) & set(blocked))}")
    if set(allowed) | set(blocked) != catalogue or len(allowed) + len(blocked) != len(catalogue):
        problems.append("allowed and blocked do not cover the catalogue exactly once")
    if any(not t.reasons for t in decision.blocked_techniques):
        problems.append("a blocked technique has no reason")
    return problems

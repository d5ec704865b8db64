"""Safety properties proven by enumerating the default rule set's whole input space.

Every field the rules read takes one value per class the rules can tell apart
(booleans and None; every enum value and None; pain as None, 0..6 and 7..10;
other_conditions as None, empty and non-empty), and every combination is
evaluated on both backends. Properties 1-5 are then checked on every profile
and along every single-field step, and property 7 (agreement) on every profile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from neurotriage import Decision, Profile, default_rules, evaluate
from neurotriage.analysis import InputSpace, input_space
from tests.conftest import available_backends, requires_durable
from tests.properties import safety

pytestmark = pytest.mark.slow


def key(profile: Profile) -> tuple[Any, ...]:
    """A hashable identity for a profile."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in profile.__dict__.values())


@dataclass
class Enumeration:
    """Every profile of the space with its decision, and what went wrong on the way."""

    space: InputSpace
    profiles: list[Profile]
    decisions: dict[tuple[Any, ...], Decision]
    disagreements: list[tuple[Profile, str]]
    seconds: float

    def pairs(self, step: str) -> Iterator[tuple[Profile, Profile]]:
        """Pairs of profiles one ``step`` apart, both inside the space."""
        for profile in self.profiles:
            if step == "risk":
                for _, higher in self.space.risk_steps(profile):
                    yield profile, higher
            elif step == "unknown":
                for name, options in self.space.values.items():
                    if None in options and getattr(profile, name) is not None:
                        yield profile, profile.model_copy(update={name: None})
            elif not profile.cleared_by_clinician:
                yield profile, profile.model_copy(update={"cleared_by_clinician": True})

    def decision(self, profile: Profile) -> Decision:
        """The enumerated decision of a profile of the space."""
        return self.decisions[key(profile)]


@pytest.fixture(scope="module")
def enumeration() -> Enumeration:
    """Evaluate the whole space once on every backend (reference is the oracle)."""
    rules = default_rules()
    space = input_space(rules)
    started = time.perf_counter()
    profiles = list(space)
    decisions: dict[tuple[Any, ...], Decision] = {}
    disagreements: list[tuple[Profile, str]] = []
    others = [b for b in available_backends() if b != "reference"]
    for profile in profiles:
        oracle = evaluate(profile, rules=rules, backend="reference")
        decisions[key(profile)] = oracle
        disagreements.extend(
            (profile, b) for b in others if evaluate(profile, rules=rules, backend=b) != oracle
        )
    seconds = time.perf_counter() - started
    print(f"\nexhaustive: {len(profiles)} profiles x {1 + len(others)} backends in {seconds:.1f} s")
    return Enumeration(space, profiles, decisions, disagreements, seconds)


def test_space_covers_every_class(enumeration):
    """The space is the full product of the classes the default rules distinguish."""
    values = enumeration.space.values
    assert values["pain_level"] == (None, 0, 7)
    assert values["other_conditions"] == (None, [], ["some other condition"])
    assert len(enumeration.profiles) == enumeration.space.size == 104_976
    assert len(enumeration.decisions) == enumeration.space.size


@requires_durable
def test_backends_agree_on_every_profile(enumeration):
    """Property 7: durable and reference give identical decisions everywhere."""
    assert "durable" in available_backends()
    assert enumeration.disagreements == []


def test_partition_everywhere(enumeration):
    """Property 1 on every profile."""
    catalogue = set(default_rules().technique_ids)
    for decision in enumeration.decisions.values():
        safety.check_partition(decision, catalogue)


def test_red_flags_everywhere(enumeration):
    """Property 2 on every profile with a known red flag."""
    flagged = [p for p in enumeration.profiles if safety.has_red_flag(p)]
    assert len(flagged) > 50_000
    for profile in flagged:
        safety.check_red_flag(profile, enumeration.decision(profile))


def check_every_step(
    enumeration: Enumeration, step: str, check: Callable[[Decision, Decision, Any], None]
) -> int:
    """Run ``check(before, after, where)`` on every pair one ``step`` apart; count them."""
    steps = 0
    for before, after in enumeration.pairs(step):
        check(enumeration.decision(before), enumeration.decision(after), (before, after))
        steps += 1
    return steps


def test_monotone_risk_along_every_step(enumeration):
    """Property 3 along every single-field risk step of every profile."""
    assert check_every_step(enumeration, "risk", safety.check_riskier) > 200_000


def test_unknown_never_safer_along_every_step(enumeration):
    """Property 4 for every known value of every nullable field."""
    assert check_every_step(enumeration, "unknown", safety.check_unknown_not_safer) > 200_000


def test_clearance_relaxes_everywhere(enumeration):
    """Property 5 for every profile not yet cleared (half the space)."""
    steps = check_every_step(enumeration, "clearance", safety.check_clearance_relaxes)
    assert steps == enumeration.space.size // 2


def test_reversed_rule_order_changes_nothing(enumeration):
    """Property 6: the rules in reverse order give the same decision everywhere."""
    rules = default_rules()
    reversed_rules = rules.reordered(reversed(rules.rules))
    for profile in enumeration.profiles:
        decided = evaluate(profile, rules=reversed_rules, backend="reference")
        assert decided == enumeration.decision(profile), profile

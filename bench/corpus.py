"""A fixed, seeded corpus of realistic profiles (as the dicts callers pass).

The mix is meant to look like traffic, not like the input space: most people
answer every question and are fine, some leave answers out, some have a red
flag, some are mid-session. Unknowns appear both as a missing key and as an
explicit ``None``; condition names come with stray case and spaces, as typed.
"""

from __future__ import annotations

import random
from typing import Any

from neurotriage.profile import field_specs

__all__ = ["SCENARIOS", "corpus"]

CONDITION_NAMES = (
    "arthritis",
    "hypertension",
    "kidney disease",
    "varicose veins",
    "heart disease",
    "Lymphoedema",
    "  Kidney  Disease ",
)
#: The fields that may be unknown, in Profile order.
CONDITION_FIELDS = tuple(name for name, spec in field_specs().items() if spec.nullable)
RED_FLAGS = ("open_wounds", "foot_infection", "symptoms_worsening", "pain_level")
#: Scenario and weight: complete answers, some left out, a red flag, a first
#: visit with almost nothing known, and a report made during the massage.
SCENARIOS = {"complete": 45, "partial": 30, "red_flag": 10, "first_visit": 10, "in_session": 5}


def corpus(size: int, seed: int) -> list[dict[str, Any]]:
    """``size`` profile dicts, the same ones for the same ``seed``."""
    rng = random.Random(seed)
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    return [_profile(rng, rng.choices(names, weights)[0]) for _ in range(size)]


def _complete(rng: random.Random) -> dict[str, Any]:
    conditions = rng.choices((0, 1, 2), (60, 30, 10))[0]
    return {
        "diabetes": rng.random() < 0.5,
        "neuropathy_severity": rng.choices(("mild", "moderate", "severe"), (45, 40, 15))[0],
        "pain_level": rng.choices(range(11), (3, 5, 8, 9, 8, 7, 5, 3, 2, 1, 1))[0],
        "symptoms_worsening": rng.random() < 0.1,
        "open_wounds": rng.random() < 0.05,
        "foot_infection": rng.random() < 0.03,
        "home_remedies_no_relief": rng.random() < 0.25,
        "other_conditions": rng.sample(CONDITION_NAMES, conditions),
        "cleared_by_clinician": rng.random() < 0.5,
        "sharp_pain_during_massage": rng.random() < 0.03,
        "requested_pressure": rng.choices(("light", "moderate", "firm"), (70, 20, 10))[0],
    }


def _forget(rng: random.Random, profile: dict[str, Any], name: str) -> None:
    """Make ``name`` unknown, as callers do: leave it out, or say None."""
    if rng.random() < 0.5:
        del profile[name]
    else:
        profile[name] = None


def _profile(rng: random.Random, scenario: str) -> dict[str, Any]:
    profile = _complete(rng)
    if scenario == "partial":
        for name in CONDITION_FIELDS:
            if rng.random() < 0.3:
                _forget(rng, profile, name)
    elif scenario == "red_flag":
        flag = rng.choice(RED_FLAGS)
        profile[flag] = rng.randint(7, 10) if flag == "pain_level" else True
    elif scenario == "first_visit":
        kept = set(rng.sample(CONDITION_FIELDS, rng.randint(1, 3)))
        for name in CONDITION_FIELDS:
            if name not in kept:
                _forget(rng, profile, name)
        for name in ("cleared_by_clinician", "sharp_pain_during_massage", "requested_pressure"):
            del profile[name]  # left at their defaults
    elif scenario == "in_session":
        profile["cleared_by_clinician"] = True
        profile["sharp_pain_during_massage"] = True
    return profile

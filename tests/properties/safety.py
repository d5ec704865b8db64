"""The safety properties of DESIGN.md section 5, as plain checks on decisions.

Both the hypothesis tests and the exhaustive enumeration call these, so the
two check exactly the same statements.
"""

from __future__ import annotations

from typing import Any

from neurotriage import Decision, Profile
from neurotriage.decision import REFERRAL_LEVELS
from tests.conftest import CONDITION_FIELDS

RED_FLAG_FIELDS = ("open_wounds", "foot_infection", "symptoms_worsening")
RISK_FIELDS = (*CONDITION_FIELDS, "sharp_pain_during_massage", "requested_pressure")


def allowed(decision: Decision) -> set[str]:
    """The allowed technique ids."""
    return {t.technique for t in decision.allowed_techniques}


def referral_rank(decision: Decision) -> int:
    """The referral level's position in none < consult < see_doctor < urgent."""
    return REFERRAL_LEVELS.index(decision.referral.level)


def warning_codes(decision: Decision) -> set[str]:
    """The warning codes."""
    return {w.code for w in decision.warnings}


def has_red_flag(profile: Profile) -> bool:
    """Whether a red flag is known to be present."""
    pain = profile.pain_level
    return any(getattr(profile, f) is True for f in RED_FLAG_FIELDS) or (
        pain is not None and pain >= 7
    )


def check_partition(decision: Decision, catalogue: set[str]) -> None:
    """Property 1: allowed and blocked partition the catalogue."""
    blocked = [t.technique for t in decision.blocked_techniques]
    assert allowed(decision).isdisjoint(blocked)
    assert allowed(decision) | set(blocked) == catalogue
    assert len(blocked) == len(set(blocked))
    assert all(t.reasons for t in decision.blocked_techniques)


def check_red_flag(profile: Profile, decision: Decision) -> None:
    """Property 2: a known red flag allows nothing and refers at least to a doctor."""
    if has_red_flag(profile):
        assert allowed(decision) == set(), profile
        assert referral_rank(decision) >= REFERRAL_LEVELS.index("see_doctor"), profile
        assert decision.verdict in ("see_doctor", "stop"), profile


def check_riskier(lower: Decision, higher: Decision, where: Any) -> None:
    """Property 3: more risk never adds an allowed technique, lowers referral, drops a warning."""
    assert allowed(higher) <= allowed(lower), where
    assert referral_rank(higher) >= referral_rank(lower), where
    assert warning_codes(higher) >= warning_codes(lower), where


def check_unknown_not_safer(known: Decision, unknown: Decision, where: Any) -> None:
    """Property 4: replacing a known value by None never adds an allowed technique."""
    assert allowed(unknown) <= allowed(known), where


def check_clearance_relaxes(before: Decision, cleared: Decision, where: Any) -> None:
    """Property 5: clearance never removes an allowed technique nor raises the referral."""
    assert allowed(cleared) >= allowed(before), where
    assert referral_rank(cleared) <= referral_rank(before), where


def profile_data(profile: Profile) -> dict[str, Any]:
    """A profile's fields as a plain dict."""
    return dict(profile.__dict__)

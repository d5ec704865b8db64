"""Hypothesis strategies for profiles, for every module that samples Profile objects."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from neurotriage import Profile

__all__ = ["CONDITIONS", "PROFILES", "nullable"]

#: Lists of other conditions: a few known names and short made-up ones.
CONDITIONS = st.lists(
    st.sampled_from(["kidney disease", "arthritis", "varicose veins"])
    | st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(str.strip),
    max_size=3,
)


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` or unknown."""
    return st.none() | strategy


#: Any Profile: every condition field known or unknown, every session field set.
PROFILES = st.builds(
    Profile,
    diabetes=nullable(st.booleans()),
    neuropathy_severity=nullable(st.sampled_from(["mild", "moderate", "severe"])),
    pain_level=nullable(st.integers(0, 10)),
    symptoms_worsening=nullable(st.booleans()),
    open_wounds=nullable(st.booleans()),
    foot_infection=nullable(st.booleans()),
    home_remedies_no_relief=nullable(st.booleans()),
    other_conditions=nullable(CONDITIONS),
    cleared_by_clinician=st.booleans(),
    sharp_pain_during_massage=st.booleans(),
    requested_pressure=st.sampled_from(["light", "moderate", "firm"]),
)

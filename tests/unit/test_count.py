"""count_where against brute force: the exact count of a condition's classes, never listed.

Conditions are drawn by hypothesis over the default pack's fields (booleans
that may be unknown, an integer with cuts, a list of names), nested with
and, or and not; each count must equal the number of combinations of the
fields' classes on which the reference semantics says the condition holds.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage import default_rules
from neurotriage.language import ConditionError, compile_condition, fields_read, parse_condition
from neurotriage.proof._count import CountTooHardError, count_where
from neurotriage.proof._symbolic import domains_of

RULES = default_rules()
SPECS = RULES.pack.fields
DOMAINS, _ = domains_of(RULES)
NAMES = ("open_wounds", "foot_infection", "diabetes", "cleared_by_clinician", "symptoms_worsening")
ATOMS = [
    *NAMES,
    *(f"not {name}" for name in NAMES),
    *(f"{name} is unknown" for name in NAMES if SPECS[name].nullable),
    "pain_level >= 4",
    "pain_level >= 7",
    "pain_level is unknown",
    '"diabetes" in other_conditions',
    '"neuropathy" in other_conditions',
    "other_conditions is empty",
    "other_conditions is unknown",
]


def _walked(condition) -> int:
    names = sorted(fields_read(condition), key=list(DOMAINS).index)
    check = compile_condition(condition, {name: SPECS[name] for name in names})
    classes = itertools.product(*(DOMAINS[name].values() for name in names))
    return sum(1 for values in classes if check(dict(zip(names, values, strict=True))))


conditions = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: " and ".join(f"({x})" for x in xs)),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: " or ".join(f"({x})" for x in xs)),
        inner.map(lambda x: f"not ({x})"),
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_count_matches_the_walk(text):
    """Every drawn condition is counted exactly as walking its fields' classes counts it."""
    try:
        condition = parse_condition(text, SPECS)
    except ConditionError:  # too many alternatives once expanded: not a condition a rule can hold
        return
    assert count_where(condition, DOMAINS) == _walked(condition)


def test_a_count_over_its_steps_is_refused():
    """A bound on the steps stops the count rather than letting it run on."""
    condition = parse_condition(
        "(open_wounds or diabetes) and (pain_level >= 4 or not diabetes)", SPECS
    )
    assert count_where(condition, DOMAINS, steps=10_000) == _walked(condition)
    with pytest.raises(CountTooHardError):
        count_where(condition, DOMAINS, steps=0)

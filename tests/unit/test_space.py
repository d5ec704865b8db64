"""input_space(): the classes no condition can tell apart, and index arithmetic."""

from __future__ import annotations

import itertools
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage import Profile, default_rules, evaluate, load_rules
from neurotriage.analysis import input_space
from neurotriage.analysis._space import NameSets
from neurotriage.strategies import profiles
from tests.conftest import available_backends
from tests.rulefiles import copy_rules, load_unproved, with_catalogue

CUSTOM = """\
rules:
  - id: kidney
    description: Kidney disease needs a doctor.
    when: '"kidney disease" in other_conditions'
    block: all
    verdict: see_doctor
  - id: middling-pain
    description: Some pain levels.
    when: pain_level in [3, 5]
    block: [thumb_pressure]
    verdict: needs_answers
invariants:
  - id: low-pain
    description: Low pain asks nothing odd.
    when: pain_level <= 1
    not_allowed: [thumb_pressure]
"""


def test_default_classes():
    """Default rules: pain None, 0..6, 7..10; booleans with unknown; lists three ways."""
    space = input_space(default_rules())
    assert space.int_classes["pain_level"] == ((0, 6), (7, 10))
    assert space.values["pain_level"] == (None, 0, 7)
    assert space.values["diabetes"] == (None, False, True)
    assert space.values["neuropathy_severity"] == (None, "mild", "moderate", "severe")
    assert space.values["other_conditions"] == (None, [], ["some other condition"])
    assert space.values["cleared_by_clinician"] == (False, True)
    assert space.size == len(space) == 104_976


def test_custom_cuts_members_and_invariants(tmp_path):
    """Cuts come from rules, invariants and the red-flag property; members give subsets."""
    space = input_space(load_unproved(with_catalogue(tmp_path, {"r.yaml": CUSTOM})))
    assert space.int_classes["pain_level"] == (
        (0, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (6, 6),
        (7, 10),
    )
    assert space.values["other_conditions"] == (
        None,
        [],
        ["some other condition"],
        ["kidney disease"],
    )
    # fields only the red-flag property reads are in the space too
    assert space.values["open_wounds"] == (None, False, True)
    assert space.values["diabetes"] == (None,)


def test_index_round_trip():
    """profile_at and index_of are inverse over the whole space."""
    space = input_space(default_rules())
    for index in (0, 1, 12_345, space.size - 1):
        assert space.index_of(space.profile_at(index)) == index
    assert space.profile_at(0) == Profile()


def test_iteration_matches_indices():
    """Iterating the space yields profile_at(0), profile_at(1), ... in order."""
    space = input_space(default_rules())
    for index, profile in zip(range(50), space, strict=False):
        assert profile == space.profile_at(index)


def test_steps_follow_each_fields_risk_order(tmp_path):
    """Risk steps go up a class; unknown steps go to None; clearance only on a relaxing field."""
    space = input_space(load_unproved(with_catalogue(tmp_path, {"r.yaml": CUSTOM})))
    assert space.steps("pain_level", "risk") == [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7)]
    assert space.steps("pain_level", "unknown") == [(i, 0) for i in range(1, 8)]
    # [] -> [other] and [] -> [kidney]; [other] -> [other, kidney], which is [kidney]'s class
    assert space.steps("other_conditions", "risk") == [(1, 2), (1, 3), (2, 3)]
    defaults = input_space(default_rules())
    assert defaults.steps("cleared_by_clinician", "clearance") == [(0, 1)]
    assert defaults.steps("cleared_by_clinician", "risk") == []
    assert defaults.steps("requested_pressure", "unknown") == []


def test_where_matches_brute_force():
    """where() finds exactly the indices whose profile satisfies the predicate."""
    space = input_space(default_rules())
    rule = default_rules().rule("diabetes-needs-clearance")
    from neurotriage.language import evaluate_condition  # noqa: PLC0415
    from neurotriage.profile import field_specs  # noqa: PLC0415

    found = space.where(
        lambda row: row["diabetes"] is True and row["cleared_by_clinician"] is False,
        rule.fields,
    )
    step = 7  # sample the space: every 7th index
    expected = [
        i
        for i in range(0, space.size, step)
        if evaluate_condition(rule.condition, space.profile_at(i).__dict__, field_specs())
    ]
    assert [i for i in found if i % step == 0] == expected


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_concrete_profile_decides_like_its_representative_custom(tmp_path_factory, data):
    """On a rule set with memberships and many cuts, a profile decides like its class."""
    directory = tmp_path_factory.mktemp("rules")
    rules = load_unproved(with_catalogue(directory, {"r.yaml": CUSTOM}))
    space = input_space(rules)
    profile = data.draw(profiles(rules))
    representative = space.representative(profile)
    for backend in available_backends():
        assert evaluate(representative, rules=rules, backend=backend) == evaluate(
            profile, rules=rules, backend=backend
        )


def test_index_of_a_profile_with_unnamed_conditions():
    """A list of conditions no rule names falls in the 'some other condition' class."""
    space = input_space(default_rules())
    profile = Profile(other_conditions=["asthma"])
    index = space.index_of(profile)
    assert space.profile_at(index).other_conditions == ["some other condition"]


def test_a_list_field_of_many_names_is_counted_and_indexed_never_listed(tmp_path):
    """25 names: 33,554,435 classes of other_conditions, the size exact, no class built."""
    names = " or ".join(f'"c{i}" in other_conditions' for i in range(25))
    rule = (
        "rules:\n  - id: named\n    description: Named.\n"
        f"    when: '{names}'\n    warn: {{code: named, severity: caution, message: Named.}}\n"
    )
    rules = load_rules(copy_rules(tmp_path / "rules", {"named.yaml": rule}))
    started = time.perf_counter()
    space = input_space(rules)
    options = space.values["other_conditions"]
    assert len(options) == 1 + 1 + 1 + 2**25 - 1
    assert space.size == 104_976 // 3 * len(options)
    assert time.perf_counter() - started < 5
    assert isinstance(space.size, int)
    assert options[0] is None
    assert options[1:4] == [[], [space.others["other_conditions"]], ["c0"]]
    assert options[-1] == sorted(f"c{i}" for i in range(25))


@given(st.integers(0, 7), st.data())
def test_name_sets_unrank_and_rank_like_the_listed_order(count, data):
    """NameSets gives item i and the position of a set exactly as the listed classes do."""
    named = tuple(sorted(f"n{i}" for i in range(count)))
    nullable = data.draw(st.booleans())
    sets = NameSets(named, "other", nullable)
    listed = list(sets)
    assert len(listed) == len(sets)
    head = [None] if nullable else []
    subsets = [list(c) for n in range(1, count + 1) for c in itertools.combinations(named, n)]
    assert listed == [*head, [], ["other"], *subsets]
    for position, value in enumerate(listed):
        assert sets[position] == value
        assert sets.index(value) == position
        assert value in sets
    assert ["nowhere"] not in sets

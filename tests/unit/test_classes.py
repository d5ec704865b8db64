"""The pipeline's per-class cache gives exactly what deciding each profile afresh gives."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings

from neurotriage import Profile, RuleSet, default_rules, evaluate, load_rules
from neurotriage.analysis import input_space
from neurotriage.pipeline import classes
from neurotriage.pipeline import compiled as compiled_module
from neurotriage.pipeline.compiled import Compiled
from tests.conftest import ROOT
from tests.properties.profiles import PROFILES
from tests.rulefiles import load_unproved, with_default_catalogue

#: Thresholds of every kind and named list items, so the classes are not trivial.
THRESHOLDS = """\
rules:
  - {id: low, description: a, when: pain_level < 3, ask: [diabetes]}
  - {id: high, description: b, when: pain_level >= 8 or pain_level == 5, ask: [diabetes]}
  - {id: some, description: c, when: 'pain_level in [4, 6] and not diabetes', ask: [diabetes]}
  - {id: over, description: d, when: pain_level > 9 or pain_level <= 0, ask: [diabetes]}
  - {id: kidney, description: e, when: '"kidney disease" in other_conditions', ask: [diabetes]}
  - {id: veins, description: f, when: 'not "varicose veins" in other_conditions', ask: [diabetes]}
  - {id: none, description: g, when: other_conditions is empty, ask: [diabetes]}
  - {id: firm, description: h, when: requested_pressure >= "moderate", ask: [diabetes]}
"""
LISTS = [None, [], ["kidney disease"], ["varicose veins"], ["gout"], ["kidney disease", "gout"]]


#: Conditions whose keys take each shape: no int or list field, or only one of them.
SHAPES = {
    "plain": "when: diabetes and not cleared_by_clinician",
    "one-int": "when: pain_level >= 4",
    "one-list": "when: '\"gout\" in other_conditions'",
}


def rule_set(directory: Path, rules: str) -> RuleSet:
    """The default catalogue with ``rules`` as its only rule file."""
    return load_unproved(with_default_catalogue(directory, {"rules.yaml": rules}))


@pytest.fixture(scope="module")
def thresholds(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A rule set whose classes split pain at 0, 1, 3, 4, 5, 6, 7, 8, 10 and lists three ways."""
    return rule_set(tmp_path_factory.mktemp("thresholds"), THRESHOLDS)


@pytest.fixture(scope="module", params=list(SHAPES))
def shaped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A one-rule rule set for each condition of SHAPES."""
    when = SHAPES[request.param]
    rules = f"rules:\n  - {{id: r, description: a, {when}, ask: [foot_infection]}}\n"
    return rule_set(tmp_path_factory.mktemp(request.param), rules)


def check_every_value_against_its_representative(rules: RuleSet) -> None:
    """Cache every class, then look up every mix of values: each is a hit, and exact."""
    done = Compiled(rules, "reference")
    space = input_space(rules)
    for profile in space:
        done.decide(rules, profile)  # every class is now cached, under its representative
    # the space also splits fields only invariants and the red-flag property read,
    # which the pipeline's key rightly ignores: it has at most as many classes
    cached = len(done.decisions)
    assert 0 < cached <= space.size
    for pain, conditions, pressure, diabetes, infection in itertools.product(
        [None, *range(11)],
        LISTS,
        ["light", "moderate", "firm"],
        [None, False, True],
        [None, False, True],  # only asked about by SHAPES' rules: its being unknown matters
    ):
        profile = Profile(
            pain_level=pain,
            other_conditions=conditions,
            requested_pressure=pressure,
            diabetes=diabetes,
            foot_infection=infection,
        )
        assert done.decide(rules, profile) == done.decide(rules, profile, cache=False), profile
    assert len(done.decisions) == cached  # no new class: every lookup was a hit
    outside = Profile.model_construct(pain_level=15, other_conditions=["gout"])  # never validated
    assert done.decide(rules, outside) == done.decide(rules, outside, cache=False)


def test_every_value_of_every_class_fires_what_its_representative_fires(thresholds):
    """Each pain level, list and pressure, looked up after its class's representative, is exact."""
    check_every_value_against_its_representative(thresholds)


def test_keys_of_every_shape_are_exact(shaped):
    """Rule sets reading no int or list field, or only one of them, key just as exactly."""
    check_every_value_against_its_representative(shaped)


def test_a_key_over_many_special_fields_classifies_each():
    """Past two int or list fields the key is built in a loop, with the same result."""
    key = classes._compose(None, [("a", str), ("b", abs), ("c", len)])
    assert key({"a": 1, "b": -2, "c": [0]}) == (None, "1", 2, 1)


@settings(max_examples=300, deadline=None)
@given(PROFILES)
def test_any_profile_shares_its_class_with_its_representative(profile):
    """On the built-in rules a profile and its representative have one cache entry."""
    rules = default_rules()
    done = Compiled(rules, "reference")
    first = done.decide(rules, input_space(rules).representative(profile))
    assert done.decide(rules, profile) is first  # the very same, immutable Decision
    assert first == done.decide(rules, profile, cache=False)
    assert len(done.decisions) == 1


def test_the_cache_is_bounded(monkeypatch):
    """However many classes are seen, the pipeline remembers at most CLASS_CACHE_SIZE of them."""
    monkeypatch.setattr(compiled_module, "CLASS_CACHE_SIZE", 50)
    rules = default_rules()
    done = Compiled(rules, "reference")
    for profile in itertools.islice(input_space(rules), 500):
        assert done.decide(rules, profile) == done.decide(rules, profile, cache=False)
    assert len(done.decisions) == 50


def test_threads_with_a_tiny_cache_get_the_same_decisions(monkeypatch):
    """Many threads evicting each other's entries still get exactly the sequential answers."""
    monkeypatch.setattr(compiled_module, "CLASS_CACHE_SIZE", 8)
    rules = load_rules(ROOT / "rules")
    profiles = list(itertools.islice(input_space(rules), 0, 20_000, 97))
    expected = [evaluate(p, rules=default_rules(), backend="reference") for p in profiles]

    def run(offset: int) -> bool:
        shifted = profiles[offset:] + profiles[:offset]
        answers = [evaluate(p, rules=rules, backend="reference") for p in shifted]
        return answers == expected[offset:] + expected[:offset]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, [0, 5, 50, 150]))

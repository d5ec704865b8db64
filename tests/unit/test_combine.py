"""combine(): Decisions are immutable, shared, and equal to fully validated ones."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from neurotriage import Decision, Profile, default_rules, evaluate
from neurotriage.analysis import input_space
from neurotriage.pipeline.combine import combine
from neurotriage.pipeline.compiled import compiled_engine


def test_assembled_decisions_equal_validated_ones_across_the_space():
    """For a spread of the input space, the assembled Decision equals one validated whole."""
    rules = default_rules()
    engine = compiled_engine(rules, "reference")
    for profile in itertools.islice(input_space(rules), 0, None, 41):
        decision = combine(rules, profile, engine.fired(profile), cache=False)
        validated = Decision.model_validate(decision.model_dump())
        assert decision == validated
        assert decision.model_dump_json() == validated.model_dump_json()
        assert Decision.model_validate_json(decision.model_dump_json()) == decision
        for made, checked in ((decision, validated), (decision.referral, validated.referral)):
            assert made.model_fields_set == checked.model_fields_set
            assert made.model_extra is None
        for item in decision.blocked_techniques:
            assert type(item.reasons) is tuple


def test_a_cached_decision_is_shared_as_it_is():
    """Two evaluations of one class get the very same object; cache=False a new, equal one."""
    rules = default_rules()
    profile = next(iter(input_space(rules)))
    fired = compiled_engine(rules, "reference").fired(profile)
    first, second = combine(rules, profile, fired), combine(rules, profile, fired)
    assert first is second
    fresh = combine(rules, profile, fired, cache=False)
    assert fresh == first
    assert fresh is not first


def test_evaluate_shares_one_decision_per_class_and_cache_false_does_not(backend):
    """evaluate() hands every profile of a class the same Decision; cache=False builds anew."""
    rules = default_rules()
    one = evaluate(Profile(pain_level=4, diabetes=False), rules=rules, backend=backend)
    other = evaluate({"pain_level": 5, "diabetes": False}, rules=rules, backend=backend)
    assert one is other  # pain 4 and 5 are one class of the built-in rules
    uncached = evaluate(
        Profile(pain_level=4, diabetes=False), rules=rules, backend=backend, cache=False
    )
    assert uncached == one
    assert uncached is not one


def test_mutating_a_returned_decision_raises():
    """No part of a Decision can be changed: attributes are frozen, sequences are tuples."""
    decision = evaluate(Profile())
    assert decision.blocked_techniques
    with pytest.raises(ValidationError, match="frozen"):
        decision.verdict = "proceed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        decision.referral.level = "none"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        decision.blocked_techniques[0].technique = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decision.questions.append("diabetes")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        decision.blocked_techniques[0].reasons[0] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        decision.fired_rules.clear()  # type: ignore[attr-defined]
    assert evaluate(Profile()) == decision  # and the shared one is as it was


def test_any_iterable_of_rule_ids_gives_the_same_decision():
    """A list, a set or a generator of fired ids decide like the frozenset."""
    rules = default_rules()
    profile = next(iter(input_space(rules)))
    fired = compiled_engine(rules, "reference").fired(profile)
    expected = combine(rules, profile, fired)
    assert combine(rules, profile, sorted(fired)) == expected
    assert combine(rules, profile, set(fired)) == expected
    assert combine(rules, profile, (rule_id for rule_id in fired)) == expected


def test_equal_effects_share_one_part_and_a_copy_changes_nothing_shared():
    """A technique blocked for the same reasons is one object in every Decision; model_copy
    (the one way to make a changed Decision) leaves the shared parts and sets alone."""
    rules = default_rules()
    one = evaluate({"open_wounds": True, "diabetes": False}, rules=rules, cache=False)
    other = evaluate({"open_wounds": True, "diabetes": False}, rules=rules, cache=False)
    assert one is not other  # two Decisions, built afresh ...
    assert one.blocked_techniques[0] is other.blocked_techniques[0]  # ... of one part
    assert one.referral is other.referral
    changed = one.model_copy(update={"verdict": "stop"})
    assert changed.verdict == "stop"
    assert one.verdict == "see_doctor"
    assert one.model_fields_set == set(Decision.model_fields)
    assert (
        changed.blocked_techniques[0].model_fields_set == one.blocked_techniques[0].model_fields_set
    )

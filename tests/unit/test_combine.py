"""combine(): a cached Decision is handed out as a fresh, exact copy."""

from __future__ import annotations

import itertools

from neurotriage import Decision, default_rules
from neurotriage.analysis import input_space
from neurotriage.pipeline.combine import _decide, _Template, combine, decision_parts
from neurotriage.pipeline.compiled import compiled_engine


def lists_of(decision: Decision) -> list[list[object]]:
    """Every list inside a Decision, nested ones included."""
    found: list[list[object]] = [
        decision.allowed_techniques,
        decision.blocked_techniques,
        decision.referral.reasons,
        decision.warnings,
        decision.questions,
        decision.complementary_therapies,
        decision.fired_rules,
    ]
    found += [item.reasons for item in decision.blocked_techniques]
    return found


def test_copies_equal_the_validated_decision_across_the_space():
    """For a spread of the input space, the fast copy equals a fully validated Decision."""
    rules = default_rules()
    engine = compiled_engine(rules, "reference")
    for profile in itertools.islice(input_space(rules), 0, None, 41):
        fired = engine.fired(profile)
        combine(rules, profile, fired)  # the first call caches it
        decision = combine(rules, profile, fired)  # ... and this one is the copy
        validated = _decide(rules, decision_parts(rules), profile.__dict__, fired)
        assert decision == validated
        assert decision.model_dump_json() == validated.model_dump_json()
        assert _Template(validated).validated() == validated
        for copy, original in ((decision, validated), (decision.referral, validated.referral)):
            assert copy.model_fields_set == original.model_fields_set
            assert copy.model_extra is None


def test_no_two_copies_share_a_list():
    """Two evaluations of the same profile hold no list (nor set of fields) in common."""
    rules = default_rules()
    profile = next(iter(input_space(rules)))
    fired = compiled_engine(rules, "reference").fired(profile)
    first, second = combine(rules, profile, fired), combine(rules, profile, fired)
    assert first == second
    assert first.blocked_techniques  # the unknowns block: nested lists are there to check
    for one, other in zip(lists_of(first), lists_of(second), strict=True):
        assert one is not other
    assert first.model_fields_set is not second.model_fields_set


def test_any_iterable_of_rule_ids_gives_the_same_decision():
    """A list, a set or a generator of fired ids decide like the frozenset."""
    rules = default_rules()
    profile = next(iter(input_space(rules)))
    fired = compiled_engine(rules, "reference").fired(profile)
    expected = combine(rules, profile, fired)
    assert combine(rules, profile, sorted(fired)) == expected
    assert combine(rules, profile, set(fired)) == expected
    assert combine(rules, profile, (rule_id for rule_id in fired)) == expected

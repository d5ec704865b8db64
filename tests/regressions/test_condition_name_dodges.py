"""A rule on a condition name was dodged by invisible, fullwidth or look-alike characters.

Names were only lower-cased and whitespace-collapsed, so a profile naming
"kidney disease" with a zero-width space, a soft hyphen, a byte order mark,
fullwidth letters or a trailing dot did not fire a rule on "kidney disease",
and a Cyrillic "e" (U+0435) passed for a Latin one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from neurotriage import Profile, RuleError, RuleSet, evaluate
from tests.rulefiles import ONE_TECHNIQUE, load_unproved, write

KIDNEY_RULE = """\
rules:
  - id: kidney-disease
    description: Kidney disease needs a clinician's clearance first.
    when: '"kidney disease" in other_conditions and not cleared_by_clinician'
    block: all
"""

LOOK_ALIKE = (
    "mixes Latin and Cyrillic letters in the word 'kidn\u0435y' (Cyrillic '\u0435', U+0435): "
    "a look-alike letter? Write each word in one alphabet"
)


def kidney_rules(tmp_path: Path, rule: str = KIDNEY_RULE) -> Path:
    """A rule directory: one technique and ``rule``."""
    return write(tmp_path / "rules", {"techniques.yaml": ONE_TECHNIQUE, "kidney.yaml": rule})


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    """The catalogue and a rule blocking everything for uncleared kidney disease."""
    return load_unproved(kidney_rules(tmp_path))


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("kidney disease", id="plain"),
        pytest.param("kidney\u200b disease", id="zero-width-space"),
        pytest.param("kid\u200bney disease", id="zero-width-space-in-word"),
        pytest.param("kid\u00adney disease", id="soft-hyphen"),
        pytest.param("\ufeffkidney disease", id="byte-order-mark"),
        pytest.param("\uff4b\uff49\uff44\uff4e\uff45\uff59 disease", id="fullwidth"),
        pytest.param("Kidney Disease.", id="trailing-dot"),
        pytest.param("KIDNEY\u00a0DISEASE", id="no-break-space"),
    ],
)
def test_every_spelling_of_the_name_fires_the_rule(rules: RuleSet, backend: str, written: str):
    """Each way of writing "kidney disease" fires the rule and blocks all, on each backend."""
    decision = evaluate({"other_conditions": [written]}, rules=rules, backend=backend)
    assert decision.fired_rules == ("kidney-disease",)
    assert decision.allowed_techniques == ()
    assert [t.technique for t in decision.blocked_techniques] == ["gentle_stroking"]


def test_a_different_name_does_not_fire_the_rule(rules: RuleSet, backend: str):
    """Normalising does not make every name match: "kidney stones" is another condition."""
    decision = evaluate({"other_conditions": ["Kidney stones."]}, rules=rules, backend=backend)
    assert decision.fired_rules == ()


def test_a_look_alike_letter_in_a_profile_is_refused():
    """A Cyrillic "e" in a profile's name is a ValidationError on other_conditions, by item."""
    with pytest.raises(ValidationError) as info:
        Profile(other_conditions=["gout", "kidn\u0435y disease"])
    [error] = info.value.errors()
    assert error["loc"] == ("other_conditions",)
    assert error["msg"] == f"Value error, item 1 {LOOK_ALIKE}"


def test_a_look_alike_letter_in_a_rule_is_refused(tmp_path: Path):
    """A Cyrillic "e" in a rule's name is a RuleError at the quoted name."""
    rule = KIDNEY_RULE.replace("kidney disease", "kidn\u0435y disease")
    with pytest.raises(RuleError) as info:
        load_unproved(kidney_rules(tmp_path, rule))
    [problem] = info.value.problems
    assert (problem.rule_id, problem.line, problem.column) == ("kidney-disease", 4, 12)
    assert problem.message == f"in 'when': the name {LOOK_ALIKE}"


def test_the_rule_side_is_normalised_the_same_way(tmp_path: Path, backend: str):
    """A rule written with fullwidth letters and a trailing dot matches a plain profile name."""
    rule = KIDNEY_RULE.replace("kidney disease", "\uff2bidney Disease.")
    rules = load_unproved(kidney_rules(tmp_path, rule))
    decision = evaluate({"other_conditions": ["kidney disease"]}, rules=rules, backend=backend)
    assert decision.fired_rules == ("kidney-disease",)

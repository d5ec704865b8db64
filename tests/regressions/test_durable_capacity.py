"""Rule sets beyond durable-rules' capacity are refused at load time, not at evaluation.

Found by the rule-file robustness tests: huge conditions, facts with more than
about 250 properties (error 302), and durable's own ``durable_rules_engine.error``
escaping evaluate(). The limits themselves are in ``neurotriage.engines.durable``;
``test_durable_refused_loaded_rules`` covers each of them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from neurotriage import BackendError, Profile, RuleError, RuleSet, evaluate
from neurotriage.engines import durable_available
from neurotriage.language._parser import MAX_ALTERNATIVES
from tests.conftest import DURABLE_EXPECTED, SAFE, available_backends, requires_durable
from tests.rulefiles import blocking_rules, load_unproved, names

if durable_available() is None or DURABLE_EXPECTED:
    import durable_rules_engine

    from neurotriage.engines.durable import DurableEngine


def load(directory: Path, *whens: str) -> RuleSet:
    """Load the default catalogue with one blocking rule per condition in ``whens``."""
    return load_unproved(blocking_rules(directory, *whens))


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(" or ".join(f"pain_level == {i % 11}" for i in range(600)), id="or-600"),
        pytest.param(" and ".join(f"not {n}" for n in names(60)), id="and-of-negations"),
        pytest.param(" and ".join(f"(diabetes or {n})" for n in names(14)), id="and-of-or-2**14"),
        pytest.param("pain_level in [" + ", ".join(["3"] * 300) + "]", id="in-300"),
    ],
)
def test_conditions_too_big_for_durable_are_a_rule_error(tmp_path, when):
    """A condition expanding past 256 alternatives is refused, located, at once."""
    started = time.perf_counter()
    with pytest.raises(RuleError) as caught:
        load(tmp_path / "rules", when)
    assert time.perf_counter() - started < 5
    assert caught.value.rule_id == "r0"
    assert caught.value.problems[0].message == (
        f"in 'when': the condition has more than {MAX_ALTERNATIVES} alternatives once expanded"
        " (each 'or', 'in [...]' and negated test multiplies those of an 'and'); split it into"
        " several rules"
    )


def test_too_many_membership_tests_are_a_rule_error(tmp_path):
    """More than 128 different ``"name" in other_conditions`` tests in a rule set is refused."""
    # 64 names after each of two tests no profile passes together: durable can
    # follow every name a profile lists (see MAX_MATCHED_AT_ONCE).
    with pytest.raises(RuleError) as caught:
        load(
            tmp_path / "rules",
            "pain_level == 1 and (" + " or ".join(names(64)) + ")",
            "pain_level == 2 and (" + " or ".join(names(64, 64)) + ")",
            "pain_level == 3 and (" + " or ".join(names(72, 128)) + ")",
        )
    assert caught.value.rule_id == "r2"
    assert [p.message for p in caught.value.problems] == [
        (
            "the rule set tests more than 128 different names with '\"name\" in FIELD'"
            " (this rule brings it to 200); test fewer names"
        )
    ]


@pytest.mark.parametrize(
    "whens",
    [
        pytest.param(
            [
                # 64 names after each of two tests no profile passes together: the
                # most durable can follow at once (MAX_MATCHED_AT_ONCE)
                "pain_level <= 5 and (" + " or ".join(names(64)) + ")",
                "pain_level > 5 and (" + " or ".join(names(64, 64)) + ")",
            ],
            id="128-names",
        ),
        pytest.param(
            [
                " and ".join(f"(open_wounds or {n})" for n in names(8)),  # 2**8 alternatives
                " or ".join(f"pain_level == {i % 11}" for i in range(256)),
            ],
            id="256-alternatives",
        ),
    ],
)
def test_rule_sets_at_the_limits_load_and_backends_agree(tmp_path, whens):
    """256 alternatives in one condition, 128 names in all: loads, runs alike everywhere."""
    rules = load(tmp_path / "rules", *whens)
    every_name = [f"c{index}" for index in range(128)]
    for profile in [
        {},
        SAFE,
        {"other_conditions": ["c7"]},
        {**SAFE, "pain_level": 9},
        {**SAFE, "pain_level": 2, "open_wounds": True, "other_conditions": every_name[:100]},
        {**SAFE, "pain_level": 8, "other_conditions": every_name[28:]},
    ]:
        decisions = [evaluate(profile, rules=rules, backend=b) for b in available_backends()]
        assert all(d == decisions[0] for d in decisions)


@requires_durable
def test_durable_errors_surface_as_backend_error(monkeypatch, rules):
    """Whatever durable-rules refuses becomes BackendError, never its own exception type."""

    def refuse(*args: object) -> None:
        raise durable_rules_engine.error("Could not assert fact, error code: 302")

    engine = DurableEngine(rules)
    monkeypatch.setattr(durable_rules_engine, "assert_fact", refuse)
    with pytest.raises(BackendError, match=r"^durable-rules refused the profile: Could not"):
        engine.fired(Profile())
    monkeypatch.setattr(durable_rules_engine, "create_ruleset", refuse)
    with pytest.raises(BackendError, match=r"^durable-rules cannot compile this rule set: "):
        DurableEngine(rules)

"""neurotriage.strategies: what each strategy draws, and arguments checked when it is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from neurotriage import Profile, RuleSet, default_rules, evaluate
from neurotriage.strategies import profiles, profiles_firing, red_flag_profiles
from tests.conftest import CONDITION_FIELDS
from tests.rulefiles import load_unproved, with_catalogue

#: Few examples per test: every draw is checked, and the classes are weighted evenly.
FEW = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Generate only: ``find`` needs one example of a class, not the smallest one.
SEARCH = settings(max_examples=300, database=None, deadline=None, phases=[Phase.generate])

DEFAULT_RULE_IDS = [rule.id for rule in default_rules().rules]

#: A rule that names a list member, and a rule whose condition can never hold.
CUSTOM = """\
rules:
  - id: kidney
    description: Kidney disease needs a doctor.
    when: '"kidney disease" in other_conditions'
    block: all
    verdict: see_doctor
  - id: never
    description: Diabetes and no diabetes at once.
    when: diabetes and not diabetes
    block: all
    verdict: stop
"""


@pytest.fixture
def custom(tmp_path) -> RuleSet:
    """The small custom rule set above, with a two-technique catalogue."""
    return load_unproved(with_catalogue(tmp_path, {"rules.yaml": CUSTOM}))


def has_red_flag(profile: Profile) -> bool:
    """A known red flag, written out independently of the library's own condition."""
    pain = profile.pain_level
    return (
        profile.open_wounds is True
        or profile.foot_infection is True
        or (pain is not None and pain >= 7)
        or profile.symptoms_worsening is True
    )


def unknown_fields(profile: Profile) -> list[str]:
    """The condition fields the profile leaves unknown."""
    return [name for name in CONDITION_FIELDS if getattr(profile, name) is None]


def run_given(strategy: st.SearchStrategy[Profile], check: Callable[[Profile], None]) -> None:
    """Run ``check`` on a few draws of ``strategy``."""
    FEW(given(strategy)(check))()


# --- profiles_firing ----------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", DEFAULT_RULE_IDS)
def test_every_draw_fires_the_rule(rule_id):
    """For each built-in rule, every draw of profiles_firing(rule) fires that rule."""

    def check(profile: Profile) -> None:
        assert rule_id in evaluate(profile, backend="reference").fired_rules

    run_given(profiles_firing(rule_id), check)


@pytest.mark.parametrize(
    "rule_id", [rule_id for rule_id in DEFAULT_RULE_IDS if not rule_id.startswith("unknown-")]
)
def test_known_only_draws_fire_the_rule_with_every_field_known(rule_id):
    """A rule that can fire on known answers is drawn with no condition field unknown."""

    def check(profile: Profile) -> None:
        assert unknown_fields(profile) == []
        assert rule_id in evaluate(profile, backend="reference").fired_rules

    run_given(profiles_firing(rule_id, known_only=True), check)


@pytest.mark.parametrize(
    "rule_id", [rule_id for rule_id in DEFAULT_RULE_IDS if rule_id.startswith("unknown-")]
)
def test_rule_firing_only_on_unknowns_refuses_known_only(rule_id):
    """A rule that fires only when an answer is missing cannot be drawn with every field known."""
    with pytest.raises(ValueError, match=r"^rule '.*' can never hold") as info:
        profiles_firing(rule_id, known_only=True)
    assert str(info.value) == (
        f"rule '{rule_id}' can never hold with every field known, so no profile can be drawn"
    )


def test_dead_rule_of_a_custom_rule_set_refuses(custom):
    """A rule whose condition can never hold raises when the strategy is built."""
    with pytest.raises(ValueError, match="can never hold") as info:
        profiles_firing("never", custom)
    assert str(info.value) == "rule 'never' can never hold, so no profile can be drawn"


def test_custom_rule_draws_name_the_member(custom):
    """A rule on a list member is drawn with that member, sometimes among other conditions."""

    def check(profile: Profile) -> None:
        assert profile.other_conditions is not None
        assert "kidney disease" in profile.other_conditions
        assert evaluate(profile, rules=custom, backend="reference").fired_rules == ("kidney",)

    run_given(profiles_firing("kidney", custom), check)
    assert find(
        profiles_firing("kidney", custom),
        lambda p: p.other_conditions is not None and len(p.other_conditions) > 1,
        settings=SEARCH,
    )


# --- red_flag_profiles --------------------------------------------------------------------


def test_red_flag_draws_have_a_red_flag_and_allow_nothing(backend):
    """Every red-flag draw has a known red flag; on either backend nothing is allowed."""

    def check(profile: Profile) -> None:
        assert has_red_flag(profile)
        decision = evaluate(profile, backend=backend)
        assert decision.allowed_techniques == ()
        assert decision.verdict in {"see_doctor", "stop"}
        assert decision.referral.level in {"see_doctor", "urgent"}

    run_given(red_flag_profiles(), check)


def test_red_flag_draws_known_only(rules):
    """red_flag_profiles(known_only=True) draws red flags with every condition field known."""

    def check(profile: Profile) -> None:
        assert has_red_flag(profile)
        assert unknown_fields(profile) == []
        assert evaluate(profile, rules=rules, backend="reference").allowed_techniques == ()

    run_given(red_flag_profiles(rules, known_only=True), check)


@pytest.mark.parametrize(
    ("name", "holds"),
    [
        pytest.param("open wounds", lambda p: p.open_wounds is True, id="open_wounds"),
        pytest.param("infection", lambda p: p.foot_infection is True, id="foot_infection"),
        pytest.param(
            "severe pain",
            lambda p: p.pain_level is not None and p.pain_level >= 7,
            id="pain_level",
        ),
        pytest.param("worsening", lambda p: p.symptoms_worsening is True, id="worsening"),
        pytest.param(
            "only pain",
            lambda p: (
                p.pain_level is not None
                and p.pain_level >= 7
                and p.open_wounds is not True
                and p.foot_infection is not True
                and p.symptoms_worsening is not True
            ),
            id="pain-alone",
        ),
    ],
)
def test_red_flag_profiles_reach_each_flag(name, holds):
    """Each red flag is drawn, and one alone is enough (the others may be absent)."""
    assert find(red_flag_profiles(), holds, settings=SEARCH), name


# --- profiles -----------------------------------------------------------------------------


def _has(name: str, value: Any) -> Callable[[Profile], bool]:
    return lambda profile: getattr(profile, name) == value


CLASSES = [
    pytest.param(lambda p: p.pain_level is not None and p.pain_level >= 7, id="pain>=7"),
    pytest.param(lambda p: p.pain_level is not None and p.pain_level < 7, id="pain<7"),
    pytest.param(_has("pain_level", None), id="pain-unknown"),
    pytest.param(_has("pain_level", 10), id="pain=10"),
    pytest.param(_has("neuropathy_severity", None), id="severity-unknown"),
    pytest.param(_has("neuropathy_severity", "mild"), id="mild"),
    pytest.param(_has("neuropathy_severity", "moderate"), id="moderate"),
    pytest.param(_has("neuropathy_severity", "severe"), id="severe"),
    pytest.param(_has("requested_pressure", "light"), id="light"),
    pytest.param(_has("requested_pressure", "moderate"), id="moderate-pressure"),
    pytest.param(_has("requested_pressure", "firm"), id="firm"),
    pytest.param(_has("other_conditions", None), id="conditions-unknown"),
    pytest.param(_has("other_conditions", []), id="no-conditions"),
    pytest.param(lambda p: bool(p.other_conditions), id="some-conditions"),
    pytest.param(_has("diabetes", None), id="diabetes-unknown"),
    pytest.param(_has("diabetes", True), id="diabetes"),
    pytest.param(_has("diabetes", False), id="no-diabetes"),
    pytest.param(_has("home_remedies_no_relief", None), id="remedies-unknown"),
    pytest.param(_has("cleared_by_clinician", True), id="cleared"),
    pytest.param(_has("sharp_pain_during_massage", True), id="sharp-pain"),
    pytest.param(lambda p: unknown_fields(p) == [], id="all-known"),
]


@pytest.mark.parametrize("holds", CLASSES)
def test_profiles_reach_every_class(holds):
    """profiles() draws every class: pain of 7 or more, unknowns, each enum value."""
    assert isinstance(find(profiles(), holds, settings=SEARCH), Profile)


@pytest.mark.parametrize("holds", [param for param in CLASSES if "unknown" not in param.id])
def test_known_only_profiles_reach_every_known_class(holds):
    """profiles(known_only=True) still draws every known class."""
    assert isinstance(find(profiles(known_only=True), holds, settings=SEARCH), Profile)


def test_known_only_never_draws_unknown():
    """profiles(known_only=True) never leaves a nullable field unknown."""

    def check(profile: Profile) -> None:
        assert unknown_fields(profile) == []

    run_given(profiles(known_only=True), check)


def test_custom_rules_profiles_reach_the_member_and_other_names(custom):
    """With a rule naming a member, profiles() draws lists with and without it."""
    assert find(
        profiles(custom),
        lambda p: p.other_conditions is not None and "kidney disease" in p.other_conditions,
        settings=SEARCH,
    )
    assert find(
        profiles(custom),
        lambda p: bool(p.other_conditions) and "kidney disease" not in p.other_conditions,
        settings=SEARCH,
    )


def test_fixed_pins_fields():
    """fixed= pins the named fields (normalised like a Profile); the others still vary."""
    fixed = {"diabetes": True, "pain_level": 9, "other_conditions": ["  Kidney   Disease "]}

    def check(profile: Profile) -> None:
        assert profile.diabetes is True
        assert profile.pain_level == 9
        assert profile.other_conditions == ["kidney disease"]

    run_given(profiles(fixed=fixed), check)
    assert find(profiles(fixed=fixed), lambda p: p.cleared_by_clinician, settings=SEARCH)
    assert fixed == {"diabetes": True, "pain_level": 9, "other_conditions": ["  Kidney   Disease "]}


def test_fixed_unknown_wins_over_known_only():
    """An explicitly fixed None is kept even with known_only=True; other fields are known."""

    def check(profile: Profile) -> None:
        assert unknown_fields(profile) == ["pain_level"]

    run_given(profiles(known_only=True, fixed={"pain_level": None}), check)


def test_fixed_session_fields():
    """Session fields can be pinned too."""

    def check(profile: Profile) -> None:
        assert profile.requested_pressure == "firm"
        assert profile.sharp_pain_during_massage is False

    run_given(
        profiles(fixed={"requested_pressure": "firm", "sharp_pain_during_massage": False}), check
    )


# --- arguments are checked when the strategy is built -------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        pytest.param(
            lambda: profiles_firing("red-flag-open-wound"),
            ValueError,
            "the rule set has no rule 'red-flag-open-wound' (did you mean 'red-flag-open-wounds'?)",
            id="rule-id-misspelt",
        ),
        pytest.param(
            lambda: profiles_firing("no-such-thing"),
            ValueError,
            "the rule set has no rule 'no-such-thing'",
            id="rule-id-unknown",
        ),
        pytest.param(
            lambda: profiles_firing(3),
            TypeError,
            "rule_id must be a rule id string, not int",
            id="rule-id-not-str",
        ),
        pytest.param(
            lambda: profiles(fixed={"pain_levle": 3}),
            ValueError,
            "fixed names 'pain_levle', which is not a field of Profile "
            "(did you mean 'pain_level'?)",
            id="fixed-misspelt",
        ),
        pytest.param(
            lambda: profiles(fixed={"shoe_size": 42}),
            ValueError,
            "fixed names 'shoe_size', which is not a field of Profile",
            id="fixed-unknown-field",
        ),
        pytest.param(
            lambda: profiles(fixed=[("pain_level", 3)]),
            TypeError,
            "fixed must be a mapping of Profile fields, not list",
            id="fixed-not-mapping",
        ),
        pytest.param(
            lambda: profiles("rules/"),
            TypeError,
            "rules must be a RuleSet from load_rules(), not str",
            id="profiles-rules",
        ),
        pytest.param(
            lambda: profiles_firing("red-flag-open-wounds", {}),
            TypeError,
            "rules must be a RuleSet from load_rules(), not dict",
            id="firing-rules",
        ),
        pytest.param(
            lambda: red_flag_profiles(rules=3),
            TypeError,
            "rules must be a RuleSet from load_rules(), not int",
            id="red-flag-rules",
        ),
        pytest.param(
            lambda: profiles(known_only=1),
            TypeError,
            "known_only must be True or False, not 1",
            id="profiles-known-only",
        ),
        pytest.param(
            lambda: profiles_firing("red-flag-open-wounds", known_only="yes"),
            TypeError,
            "known_only must be True or False, not 'yes'",
            id="firing-known-only",
        ),
        pytest.param(
            lambda: red_flag_profiles(known_only=None),
            TypeError,
            "known_only must be True or False, not None",
            id="red-flag-known-only",
        ),
    ],
)
def test_bad_arguments_raise_when_built(build, error, message):
    """A bad argument raises at once, with a message naming it, before anything is drawn."""
    with pytest.raises(error) as info:
        build()
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("fixed", "lines"),
    [
        pytest.param(
            {"pain_level": 11},
            ["pain_level", "  Input should be less than or equal to 10"],
            id="out-of-range",
        ),
        pytest.param(
            {"pain_level": "7"}, ["pain_level", "  Input should be a valid integer"], id="string"
        ),
        pytest.param(
            {"requested_pressure": "hard"},
            ["requested_pressure", "  Input should be 'light', 'moderate' or 'firm'"],
            id="enum",
        ),
    ],
)
def test_invalid_fixed_value_raises_when_built(fixed, lines):
    """A fixed value a Profile would refuse raises ValueError wrapping pydantic's error."""
    with pytest.raises(ValueError, match=r"^fixed holds an invalid value: ") as info:
        profiles(fixed=fixed)
    message = str(info.value).splitlines()
    assert message[0] == "fixed holds an invalid value: 1 validation error for Profile"
    assert message[1] == lines[0]
    assert message[2].startswith(lines[1])
    assert isinstance(info.value.__cause__, ValidationError)

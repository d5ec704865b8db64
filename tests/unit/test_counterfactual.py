"""counterfactuals(): the smallest changes of answers that change a verdict, and ``explain``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import neurotriage.analysis._counterfactual as counterfactual_module
from neurotriage import Profile, RuleSet, default_rules, evaluate
from neurotriage.analysis import Counterfactual, FieldChange, counterfactuals
from neurotriage.cli._summary import counterfactuals_text
from neurotriage.strategies import profiles
from tests.clitools import cli, write_profile
from tests.conftest import ROOT, SAFE
from tests.rulefiles import TWO_FLAGS, load_unproved, with_catalogue

EXAMPLES = ROOT / "examples"

HEALTH_HEADING = "What would change this (for clinicians: health facts, not things to do):"

#: Every known value worth trying per field, written out here (pain: the whole scale).
KNOWN_VALUES: dict[str, list[Any]] = {
    "diabetes": [False, True],
    "neuropathy_severity": ["mild", "moderate", "severe"],
    "pain_level": list(range(11)),
    "symptoms_worsening": [False, True],
    "open_wounds": [False, True],
    "foot_infection": [False, True],
    "home_remedies_no_relief": [False, True],
    "other_conditions": [[], ["arthritis"]],
    "cleared_by_clinician": [False, True],
    "sharp_pain_during_massage": [False, True],
    "requested_pressure": ["light", "moderate", "firm"],
}

#: Two red-flag rules with the same effect: with both flags, only a pair changes the verdict.

#: A rule that fires whatever the answers: no answer can change the verdict.
ALWAYS_STOP = """\
rules:
  - id: closed
    description: The clinic is closed.
    when: always
    block: all
    verdict: stop
"""


def example(name: str) -> dict[str, Any]:
    """A shipped example profile."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def applied(profile: Profile | dict[str, Any], changes: tuple[FieldChange, ...]) -> Profile:
    """``profile`` with ``changes`` made, validated again."""
    data = dict(Profile.model_validate(profile).__dict__)
    data.update({change.field: change.after for change in changes})
    return Profile.model_validate(data)


def verdict(profile: Profile | dict[str, Any], rules: RuleSet | None = None) -> str:
    """The verdict of a full evaluate() on the reference backend."""
    return evaluate(profile, rules=rules, backend="reference").verdict


def check_counterfactuals(
    profile: Profile | dict[str, Any],
    found: tuple[Counterfactual, ...],
    rules: RuleSet | None = None,
) -> None:
    """Each entry changes the verdict when applied, is minimal, and never answers 'unknown'."""
    current = verdict(profile, rules)
    singles = {(c.changes[0].field, repr(c.changes[0].after)) for c in found if len(c.changes) == 1}
    for item in found:
        assert 1 <= len(item.changes) <= 2
        assert all(change.after is not None for change in item.changes)
        for change in item.changes:
            assert change.before == getattr(Profile.model_validate(profile), change.field)
            assert change.after != change.before
        assert item.verdict != current
        assert verdict(applied(profile, item.changes), rules) == item.verdict, str(item)
        if len(item.changes) == 2:
            first, second = item.changes
            assert first.field != second.field
            for change in item.changes:
                assert (change.field, repr(change.after)) not in singles
                assert verdict(applied(profile, (change,)), rules) == current, str(item)
    counts = [len(item.changes) for item in found]
    assert counts == sorted(counts), "single changes come before pairs"


def check_singles_complete(profile: Profile | dict[str, Any], found: tuple[Counterfactual, ...]):
    """Every known value that alone changes the verdict is matched by a listed single change."""
    checked = Profile.model_validate(profile)
    current = verdict(checked)
    listed = {(c.changes[0].field, c.verdict) for c in found if len(c.changes) == 1}
    for name, values in KNOWN_VALUES.items():
        for value in values:
            if value == getattr(checked, name):
                continue
            changed = verdict(applied(checked, (FieldChange(name, None, value),)))
            if changed != current:
                assert (name, changed) in listed, f"{name} -> {value!r} gives {changed}"


# --- exact results ------------------------------------------------------------------------

EXACT = [
    pytest.param(
        example("diabetes-not-cleared"),
        [
            "diabetes: true -> false => consult_first",
            "pain_level: 4 -> 7 => see_doctor",
            "symptoms_worsening: false -> true => see_doctor",
            "open_wounds: false -> true => see_doctor",
            "foot_infection: false -> true => see_doctor",
            "cleared_by_clinician: false -> true => proceed",
            "sharp_pain_during_massage: false -> true => stop",
        ],
        id="diabetes-not-cleared",
    ),
    pytest.param(
        example("open-wound"),
        [
            "open_wounds: true -> false => proceed",
            "sharp_pain_during_massage: false -> true => stop",
        ],
        id="open-wound",
    ),
    pytest.param(
        example("sharp-pain"), ["sharp_pain_during_massage: true -> false => proceed"], id="sharp"
    ),
    pytest.param(
        example("ready-to-start"),
        [
            "pain_level: 3 -> 7 => see_doctor",
            "symptoms_worsening: false -> true => see_doctor",
            "open_wounds: false -> true => see_doctor",
            "foot_infection: false -> true => see_doctor",
            # losing clearance alone changes the verdict, so no pair with it is minimal
            "cleared_by_clinician: true -> false => consult_first",
            "sharp_pain_during_massage: false -> true => stop",
        ],
        id="ready-to-start",
    ),
    pytest.param(
        example("missing-answers"),
        [
            "diabetes: false -> true => needs_clearance",
            "neuropathy_severity: mild -> severe => needs_clearance",
            "pain_level: unknown -> 7 => see_doctor",
            "symptoms_worsening: unknown -> true => see_doctor",
            "open_wounds: false -> true => see_doctor",
            "foot_infection: unknown -> true => see_doctor",
            "other_conditions: unknown -> [any other condition] => needs_clearance",
            "sharp_pain_during_massage: false -> true => stop",
        ],
        id="missing-answers",
    ),
    pytest.param(
        {**SAFE, "pain_level": 9, "cleared_by_clinician": True},
        ["pain_level: 9 -> 6 => proceed", "sharp_pain_during_massage: false -> true => stop"],
        id="pain-down-to-the-nearest-value",
    ),
    pytest.param(
        {**SAFE, "open_wounds": True, "foot_infection": True, "cleared_by_clinician": True},
        [
            "sharp_pain_during_massage: false -> true => stop",
            "open_wounds: true -> false, foot_infection: true -> false => proceed",
        ],
        id="two-red-flags-need-a-pair",
    ),
    pytest.param(
        {**SAFE, "other_conditions": ["Kidney Disease"]},
        [
            "pain_level: 2 -> 7 => see_doctor",
            "symptoms_worsening: false -> true => see_doctor",
            "open_wounds: false -> true => see_doctor",
            "foot_infection: false -> true => see_doctor",
            "other_conditions: [kidney disease] -> none => consult_first",
            "cleared_by_clinician: false -> true => proceed",
            "sharp_pain_during_massage: false -> true => stop",
        ],
        id="other-condition",
    ),
]


@pytest.mark.parametrize(("profile", "expected"), EXACT)
def test_exact_counterfactuals(profile, expected):
    """The listed changes, in order: single changes in field order, then pairs."""
    assert [str(item) for item in counterfactuals(profile)] == expected


@pytest.mark.parametrize(("profile", "expected"), EXACT)
def test_each_counterfactual_changes_the_verdict_and_is_minimal(profile, expected):
    """Applied and evaluated, each one changes the verdict; no pair holds a listed single."""
    found = counterfactuals(profile)
    assert len(found) == len(expected)
    check_counterfactuals(profile, found)
    check_singles_complete(profile, found)


def test_objects_of_a_counterfactual():
    """The objects hold the field, the value before and after, and the new verdict."""
    profile = {**SAFE, "open_wounds": True, "foot_infection": True, "cleared_by_clinician": True}
    pairs = [c for c in counterfactuals(profile) if len(c.changes) == 2]
    assert pairs[0] == Counterfactual(
        (FieldChange("open_wounds", True, False), FieldChange("foot_infection", True, False)),
        "proceed",
    )


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (FieldChange("diabetes", None, True), "diabetes: unknown -> true"),
        (FieldChange("pain_level", 4, 7), "pain_level: 4 -> 7"),
        (
            FieldChange("other_conditions", [], ["some other condition"]),
            ("other_conditions: none -> [any other condition]"),
        ),
        (FieldChange("other_conditions", ["a", "b"], []), "other_conditions: [a, b] -> none"),
        (FieldChange("requested_pressure", "light", "firm"), "requested_pressure: light -> firm"),
    ],
)
def test_field_change_text(change, text):
    """Values print as the report shows them: unknown, true/false, none, [items]."""
    assert str(change) == text


def test_only_pairs_change_the_verdict(tmp_path):
    """With two flags of the same effect, no single answer changes the verdict; the pair does."""
    rules = load_unproved(with_catalogue(tmp_path, {"rules.yaml": TWO_FLAGS}))
    profile = {"open_wounds": True, "foot_infection": True}
    found = counterfactuals(profile, rules=rules)
    assert [str(item) for item in found] == [
        "open_wounds: true -> false, foot_infection: true -> false => proceed"
    ]
    check_counterfactuals(profile, found, rules)
    assert counterfactuals(profile, rules=rules, max_changes=1) == ()


def test_nothing_changes_an_unconditional_rule(tmp_path):
    """When a rule fires whatever the answers, there is no counterfactual."""
    rules = load_unproved(with_catalogue(tmp_path, {"rules.yaml": ALWAYS_STOP}))
    assert counterfactuals(SAFE, rules=rules) == ()


# --- properties over drawn profiles -------------------------------------------------------


@settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(profiles())
def test_drawn_profiles(profile):
    """For any profile: every counterfactual holds, is minimal and no single change is missed."""
    found = counterfactuals(profile)
    check_counterfactuals(profile, found)
    check_singles_complete(profile, found)


class _Unscreened:
    """A screen that disagrees with every backend, so each change is evaluated whole."""

    def __init__(self, *args: Any) -> None:
        pass

    def fired(self, changes: Any) -> None:
        return None


@settings(
    max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(profiles())
def test_screening_finds_exactly_what_evaluating_every_change_finds(profile):
    """Singles and pairs screened rule by rule are those evaluate() finds change by change."""
    screened = counterfactuals(profile)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counterfactual_module, "_Screen", _Unscreened)
        assert counterfactuals(profile) == screened


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_backends_agree(backend, name):
    """Each backend lists exactly the counterfactuals the reference backend lists."""
    profile = example(name)
    assert counterfactuals(profile, backend=backend) == counterfactuals(
        profile, backend="reference"
    )


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_max_changes_1_keeps_the_singles(name):
    """max_changes=1 lists exactly the single changes of the default (2)."""
    profile = example(name)
    singles = tuple(c for c in counterfactuals(profile) if len(c.changes) == 1)
    assert counterfactuals(profile, max_changes=1) == singles


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "max_changes must be 1 or 2, not 0"),
        (3, "max_changes must be 1 or 2, not 3"),
        (-1, "max_changes must be 1 or 2, not -1"),
        ("2", "max_changes must be 1 or 2, not '2'"),
        (1.5, "max_changes must be 1 or 2, not 1.5"),
        (None, "max_changes must be 1 or 2, not None"),
    ],
)
def test_max_changes_is_checked(value, message):
    """max_changes other than 1 or 2 is refused with a message naming the value."""
    with pytest.raises(ValueError, match=r"^max_changes") as info:
        counterfactuals(SAFE, max_changes=value)
    assert str(info.value) == message


def test_rules_must_be_a_rule_set():
    """rules= must be a loaded RuleSet."""
    with pytest.raises(TypeError) as info:
        counterfactuals(SAFE, rules="rules/")
    assert str(info.value) == "rules must be a RuleSet from load_rules(), not str"


def test_the_callers_profile_is_not_changed():
    """The caller's dict, and the list inside it, are left exactly as they were."""
    profile = {**SAFE, "other_conditions": ["Arthritis"]}
    before = copy.deepcopy(profile)
    counterfactuals(profile)
    assert profile == before


def test_profile_objects_and_dicts_agree():
    """A Profile and the same answers as a dict give the same list."""
    data = example("diabetes-not-cleared")
    assert counterfactuals(Profile.model_validate(data)) == counterfactuals(data)


# --- the explain section ------------------------------------------------------------------


def explain_section(out: str) -> list[str]:
    """The lines of explain's two 'what would change it' sections."""
    lines = out.splitlines()
    return lines[lines.index("What you can do:") :]


@pytest.mark.parametrize(("profile", "expected"), EXACT)
def test_explain_ends_with_the_counterfactuals(tmp_path, profile, expected):
    """``explain`` ends with what the person can do, then the health what-ifs, all listed."""
    run = cli("explain", write_profile(tmp_path, profile))
    assert (run.code, run.err) == (0, "")
    section = explain_section(run.out)
    assert section == counterfactuals_text(counterfactuals(profile), default_rules().pack.fields)
    split = section.index(HEALTH_HEADING)
    for item in counterfactuals(profile):
        if item.kind == "health":
            changes = " and ".join(
                f"{c.field} were {c.after_text} instead of {c.before_text}" for c in item.changes
            )
            assert f"  - if {changes} => {item.verdict}" in section[split:]
    assert len(section) - split - 1 == max(1, len(counterfactuals(profile).health_facts))


def test_explain_sections_for_an_uncleared_diabetic(tmp_path):
    """Clearance is what the person can do; every health fact is a what-if for clinicians."""
    run = cli("explain", write_profile(tmp_path, example("diabetes-not-cleared")))
    assert explain_section(run.out) == [
        "What you can do:",
        "  - get a doctor or physical therapist to agree to foot massage => proceed",
        HEALTH_HEADING,
        "  - if diabetes were false instead of true => consult_first",
        "  - if pain_level were 7 instead of 4 => see_doctor",
        "  - if symptoms_worsening were true instead of false => see_doctor",
        "  - if open_wounds were true instead of false => see_doctor",
        "  - if foot_infection were true instead of false => see_doctor",
        "  - if sharp_pain_during_massage were true instead of false => stop",
    ]


def test_explain_asks_open_questions_without_suggesting_answers(tmp_path):
    """An open question is something to answer, never an answer to give."""
    run = cli("explain", write_profile(tmp_path, example("missing-answers")))
    section = explain_section(run.out)
    actions = section[1 : section.index(HEALTH_HEADING)]
    answer = "  - answer: {} (your answer can change the verdict)"
    assert actions == [
        answer.format("How much pain are you in, from 0 (none) to 10 (the worst)? [pain_level]"),
        answer.format("Are your neuropathy symptoms getting worse? [symptoms_worsening]"),
        answer.format("Do you have an infection on your feet? [foot_infection]"),
        answer.format("Which other health conditions do you have (if any)? [other_conditions]"),
    ]


def test_explain_says_when_nothing_changes_it(tmp_path):
    """With no counterfactual, both sections say so."""
    rules = with_catalogue(tmp_path / "rules", {"rules.yaml": ALWAYS_STOP})
    run = cli("explain", "--unverified", "--rules", rules, write_profile(tmp_path, SAFE))
    assert (run.code, run.err) == (0, "")
    assert run.out.endswith(
        "What you can do:\n"
        "  nothing you can do yourself would change the verdict\n"
        f"{HEALTH_HEADING}\n"
        "  no change of one or two health facts changes the verdict\n"
    )


def test_explain_uses_the_chosen_backend(tmp_path, backend):
    """``explain --backend`` lists the same counterfactuals on each backend."""
    path = write_profile(tmp_path, example("ready-to-start"))
    run = cli("explain", "--backend", backend, path)
    assert (run.code, run.err) == (0, "")
    assert explain_section(run.out) == explain_section(cli("explain", path).out)


def test_explain_with_custom_rules_lists_the_pair(tmp_path):
    """``explain --rules`` computes the counterfactuals with that rule set."""
    rules = with_catalogue(tmp_path / "rules", {"rules.yaml": TWO_FLAGS})
    path: Path = write_profile(tmp_path, {"open_wounds": True, "foot_infection": True})
    run = cli("explain", "--unverified", "--rules", rules, path)
    assert (run.code, run.err) == (0, "")
    assert explain_section(run.out) == [
        "What you can do:",
        "  nothing you can do yourself would change the verdict",
        HEALTH_HEADING,
        (
            "  - if open_wounds were false instead of true and foot_infection were false "
            "instead of true => proceed"
        ),
    ]


def _is_action(change: FieldChange) -> bool:
    """Answering an open question, clearance, or lighter pressure: spelled out here."""
    if change.before is None:
        return True
    if change.field == "cleared_by_clinician":
        return change.after is True
    if change.field == "requested_pressure":
        order = ["light", "moderate", "firm"]
        return order.index(change.after) < order.index(change.before)
    return False


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(profiles())
def test_actions_and_health_facts_split_exactly(profile):
    """Actions are only what a person can do; every change of a health fact is for clinicians."""
    found = counterfactuals(profile)
    assert len(found.actions) + len(found.health_facts) == len(found)
    for item in found.actions:
        assert all(_is_action(change) for change in item.changes), str(item)
    for item in found.health_facts:
        assert not all(_is_action(change) for change in item.changes), str(item)

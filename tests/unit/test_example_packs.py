"""examples/packs/calf-check: a second pack, with fields Profile does not have, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from neurotriage import PackMismatchError, Profile, evaluate, evaluate_many, load_rules
from neurotriage.analysis import counterfactuals, diff, lint, rule_coverage, verify
from neurotriage.strategies import profiles, profiles_firing, red_flag_profiles
from tests.clitools import assert_clean_failure, cli, write_profile
from tests.conftest import ROOT, available_backends
from tests.rulefiles import copy_rules, edit, load_unproved, write_file

CALF = ROOT / "examples" / "packs" / "calf-check"
RULES = load_rules(CALF)
#: Every question answered, nothing worrying: only the consult before starting remains.
CALM = {"calf_swelling": False, "age": 40, "mobility": "independent", "medications": []}


def test_the_pack_reads_fields_profile_does_not_have():
    model = RULES.pack.model
    assert model is not Profile
    assert set(model.model_fields) - set(Profile.model_fields) >= {
        "calf_swelling",
        "age",
        "mobility",
        "medications",
    }
    assert (RULES.pack.id, RULES.pack.title) == ("calf-check", "Calf check before leg massage")
    assert RULES.pack.red_flags == "calf_swelling or age >= 90"


@pytest.mark.parametrize("backend", available_backends())
def test_decisions_follow_the_packs_fields(backend: str):
    def verdict(**changes: object) -> str:
        return evaluate({**CALM, **changes}, rules=RULES, backend=backend).verdict

    assert verdict() == "consult_first"
    assert verdict(cleared_by_clinician=True) == "proceed"
    assert verdict(calf_swelling=True, cleared_by_clinician=True) == "see_doctor"
    assert verdict(age=95) == "see_doctor"
    assert verdict(mobility="bedbound") == "needs_clearance"
    assert evaluate({}, rules=RULES, backend=backend).verdict == "needs_answers"
    thinned = evaluate({**CALM, "medications": ["Warfarin"]}, rules=RULES, backend=backend)
    assert "calf_kneading" in {b.technique for b in thinned.blocked_techniques}
    assert "bruising-risk" in {w.code for w in thinned.warnings}
    swollen = evaluate({**CALM, "calf_swelling": True}, rules=RULES, backend=backend)
    assert swollen.referral.level == "urgent"
    assert swollen.allowed_techniques == ()


def test_a_bad_profile_names_the_packs_field():
    with pytest.raises(ValueError, match="age"):
        evaluate({**CALM, "age": 130}, rules=RULES)
    with pytest.raises(ValueError, match="open_wounds"):
        evaluate({**CALM, "open_wounds": False}, rules=RULES)  # a Profile field, not this pack's


@pytest.mark.parametrize("backend", available_backends())
def test_the_pack_verifies(backend: str):
    report = verify(RULES, backend=backend)
    assert report.ok, [r.id for r in report.failed]
    red = next(r for r in report.results if r.id == "red-flags")
    assert red.status == "pass"
    assert "calf_swelling or age >= 90" in red.description


def test_the_pack_lints_clean():
    assert lint(RULES) == []


def unsafe_copy(directory: Path) -> Path:
    """calf-check with a red flag that blocks only calf kneading, and no invariant behind it."""
    copy = copy_rules(directory / "calf-check-unsafe", source=CALF)
    flags = copy / "red-flags.yaml"
    text = flags.read_text(encoding="utf-8")
    safe = "    when: calf_swelling\n    block: all\n"
    assert safe in text
    text = text.replace(safe, "    when: calf_swelling\n    block: [calf_kneading]\n")
    write_file(flags, text.split("invariants:")[0])
    return copy


def test_an_unsafe_red_flag_fails_the_built_in_property(tmp_path: Path):
    """Only the pack's declared red flags say this is wrong, and verify proves it is."""
    report = verify(load_unproved(unsafe_copy(tmp_path)))
    failed = [r.id for r in report.failed]
    assert "red-flags" in failed
    example = next(r for r in report.failed if r.id == "red-flags").counterexample
    assert example is not None
    assert example.profiles[0].calf_swelling is True  # type: ignore[attr-defined]
    decision = evaluate(example.profiles[0], rules=load_unproved(unsafe_copy(tmp_path / "again")))
    assert decision.allowed_techniques != []  # the counterexample is real


def test_verify_on_the_command_line_names_the_property_and_the_counterexample(tmp_path: Path):
    run = cli("verify", "--rules", unsafe_copy(tmp_path))
    assert run.code == 1
    lines = run.out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("FAIL  red-flags")))
    assert lines[start + 1] == "      smallest counterexample (3 fields set):"
    profile = json.loads(lines[start + 2].split("profile: ", 1)[1])
    assert profile["calf_swelling"] is True
    assert "calf-swelling-urgent" in lines[start + 3]
    assert "allows ankle_circles, calf_stroking; expected none" in lines[start + 4]


def test_the_command_line_follows_the_pack(tmp_path: Path):
    path = write_profile(tmp_path, {**CALM, "medications": ["heparin"]})
    run = cli("evaluate", path, "--rules", CALF, "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["verdict"] == "consult_first"
    schema = cli("schema", "profile", "--rules", CALF)
    properties = json.loads(schema.out)["properties"]
    assert list(properties) == list(RULES.pack.model.model_fields)
    assert properties["calf_swelling"]["question"] == "Is one calf swollen?"
    assert properties["age"]["description"] == "Age in years."
    bad = cli("evaluate", write_profile(tmp_path, {"pain_level": 3}, "bad.json"), "--rules", CALF)
    assert_clean_failure(bad)
    assert "pain_level" in bad.err


def test_diff_refuses_packs_with_different_models():
    with pytest.raises(PackMismatchError, match="different input models"):
        diff(load_rules(ROOT / "rules"), RULES)
    run = cli("diff", ROOT / "rules", CALF)
    assert_clean_failure(run)
    assert "'foot-massage-for-neuropathy' and 'calf-check' read different input models" in run.err


def test_diff_compares_two_versions_of_the_pack(tmp_path: Path):
    result = diff(RULES, load_unproved(unsafe_copy(tmp_path)))
    assert result.less_safe


def test_counterfactuals_use_the_packs_actionable_fields():
    found = counterfactuals({**CALM, "requested_pressure": "firm"}, rules=RULES)
    actions = {change.field for item in found.actions for change in item.changes}
    assert actions <= {"cleared_by_clinician", "requested_pressure"}
    assert "cleared_by_clinician" in actions
    facts = {change.field for item in found.health_facts for change in item.changes}
    assert "calf_swelling" in facts


def test_evaluate_many_with_workers_ships_the_pack():
    """A built model is not importable: the pack and its profiles cross to the workers."""
    items = [CALM, {**CALM, "age": 95}, RULES.pack.validate({**CALM, "mobility": "bedbound"})]
    got = [d.verdict for d in evaluate_many(items, rules=RULES, workers=2)]
    assert got == ["consult_first", "see_doctor", "needs_clearance"]


def test_coverage_over_the_pack():
    coverage = rule_coverage([CALM, {**CALM, "age": 95}], rules=RULES)
    assert coverage.fired >= 2


@settings(max_examples=60, deadline=None)
@given(profiles(RULES))
def test_strategies_draw_the_packs_model(profile: object):
    assert isinstance(profile, RULES.pack.model)
    evaluate(profile, rules=RULES)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(red_flag_profiles(RULES))
def test_red_flag_profiles_of_the_pack_allow_nothing(profile: object):
    decision = evaluate(profile, rules=RULES)  # type: ignore[arg-type]
    assert decision.allowed_techniques == ()


@settings(max_examples=30, deadline=None)
@given(profiles_firing("blood-thinners-gentle", RULES))
def test_profiles_firing_a_pack_rule(profile: object):
    assert "blood-thinners-gentle" in evaluate(profile, rules=RULES).fired_rules  # type: ignore[arg-type]


def edited_copy(directory: Path, old: str, new: str) -> Path:
    """calf-check with ``old`` replaced by ``new`` in its pack.yaml."""
    copy = copy_rules(directory / "calf-check-edited", source=CALF)
    edit(copy / "pack.yaml", old, new)
    return copy


def test_diff_judges_red_flags_that_hold_on_fewer_classes(tmp_path: Path):
    """Narrower red flags prove less: diff says how many classes stopped being red flags."""
    narrower = edited_copy(
        tmp_path, "red_flags: calf_swelling or age >= 90", "red_flags: calf_swelling"
    )
    result = diff(RULES, load_unproved(narrower))
    assert result.groups == ()
    assert result.less_safe
    assert [str(change) for change in result.pack] == [
        (
            "pack red_flags: calf_swelling or age >= 90 -> calf_swelling; "
            "864 classes are no longer red flags"
        )
    ]
    run = cli("diff", CALF, narrower)
    assert run.code == 1
    assert run.out.splitlines()[-1] == "less safe: the pack's red flags or risk orders prove less"


def test_diff_accepts_wider_red_flags_and_shows_pack_wording(tmp_path: Path):
    wider = edited_copy(tmp_path, "age >= 90", "age >= 85")
    result = diff(RULES, load_unproved(wider))
    assert not any(change.less_safe for change in result.pack)
    assert result.pack[0].note == "every class that was a red flag still is"
    reworded = edited_copy(tmp_path / "b", '"How old are you?"', '"Your age?"')
    changes = diff(RULES, load_unproved(reworded)).wording
    assert [(c.item, c.before, c.after) for c in changes] == [
        ("field age question", "How old are you?", "Your age?")
    ]


def test_diff_judges_a_changed_risk_order(tmp_path: Path):
    falling = edited_copy(
        tmp_path, "    min: 0\n    max: 120\n", "    min: 0\n    max: 120\n    risk: falling\n"
    )
    result = diff(RULES, load_unproved(falling))
    assert [(c.item, c.less_safe) for c in result.pack] == [("field age risk", True)]
    assert result.less_safe

"""verify(): every built-in property and invariant, proven over the whole space."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neurotriage import Profile, default_rules, evaluate
from neurotriage.analysis import input_space, verify
from neurotriage.decision import Outcome
from tests.clitools import assert_clean_failure, cli
from tests.conftest import FIXTURES, requires_durable
from tests.rulefiles import copy_rules, edit, load_unproved, write

UNSAFE = FIXTURES / "unsafe-unknown-pain"
BUILT_IN = (
    "partition",
    "red-flags",
    "monotone-risk",
    "unknown-not-safer",
    "clearance-relaxes",
    "order-free",
    "backends-agree",
    "verdict-matches-allowed",
)


@pytest.fixture(scope="module")
def report():
    """The enumerated verify report of the default rule set (computed once: about 5 s)."""
    return verify(default_rules(), method="enumeration")


def test_default_rules_pass_every_property(report):
    """The default rule set passes all eight built-in properties and its invariants."""
    assert report.ok
    assert [r.id for r in report.results] == [
        *BUILT_IN,
        *(inv.id for inv in default_rules().invariants),
    ]
    statuses = {r.id: r.status for r in report.results}
    assert statuses.pop("backends-agree") == "skip"
    assert set(statuses.values()) == {"pass"}


def test_default_space_size_and_counts(report):
    """The whole space is 104,976 classes; every class and every step is counted."""
    assert report.space_size == 104_976 == input_space(default_rules()).size
    checked = {r.id: r.checked for r in report.results}
    assert checked["order-free"] == 104_976
    # red flags: 3 fields with 1 of 3 classes each, pain with 1 of 3: 1 - (2/3)^4 of the space
    assert checked["red-flags"] == 104_976 - 104_976 * 16 // 81
    assert checked["clearance-relaxes"] == 104_976 // 2


def test_default_declares_the_articles_invariants():
    """The default rule files declare red-flag, clearance and unknown invariants."""
    files = {Path(inv.file).name for inv in default_rules().invariants}
    assert {"red-flags.yaml", "clearance.yaml", "unknowns.yaml"} <= files


def test_unsafe_rule_set_fails_with_the_smallest_counterexample():
    """A rule that leaves thumb pressure allowed on unknown pain is caught, as a pair."""
    result = {r.id: r for r in verify(load_unproved(UNSAFE), method="enumeration").results}
    step = result["unknown-not-safer"]
    assert (step.status, step.failures) == ("fail", 1)
    proved = {r.id: r for r in verify(load_unproved(UNSAFE)).results}["unknown-not-safer"]
    assert (proved.status, proved.failures) == ("fail", None)  # a proof does not count
    assert proved.counterexample == step.counterexample
    example = step.counterexample
    assert example is not None
    assert example.change == "pain_level: 7 -> unknown"
    before, after = example.profiles
    known = {"symptoms_worsening": False, "open_wounds": False, "foot_infection": False}
    assert before.model_dump(exclude_defaults=True) == {"pain_level": 7, **known}
    assert after.model_dump(exclude_defaults=True) == known
    assert example.fired == (("red-flags",), ("unknown-pain",))
    assert example.problems == ("unknown allows thumb_pressure, which the known answer blocks",)
    invariant = result["unknown-pain-allows-nothing"]
    assert invariant.status == "fail"
    assert invariant.counterexample is not None
    assert invariant.counterexample.problems == ("allows thumb_pressure; expected none",)
    assert invariant.counterexample.known_fields == 3


def test_counterexamples_are_real():
    """Evaluating the printed counterexample reproduces the failure."""
    result = {r.id: r for r in verify(load_unproved(UNSAFE)).results}
    example = result["unknown-not-safer"].counterexample
    assert example is not None
    rules = load_unproved(UNSAFE)
    before, after = (
        Outcome.of(evaluate(Profile.model_validate(p.model_dump()), rules=rules))
        for p in example.profiles
    )
    assert after.allowed - before.allowed == {"thumb_pressure"}


def _write_variant(tmp_path: Path, old: str, new: str, name: str = "session.yaml") -> Path:
    target = copy_rules(tmp_path / "rules")
    edit(target / name, old, new)
    return target


def test_monotonicity_failure_is_a_pair_one_step_apart(tmp_path):
    """Dropping a warning at higher pressure fails monotone-risk along that step."""
    rules = _write_variant(
        tmp_path, 'when: requested_pressure >= "moderate"', 'when: requested_pressure == "moderate"'
    )
    result = {r.id: r for r in verify(load_unproved(rules)).results}
    example = result["monotone-risk"].counterexample
    assert example is not None
    assert example.change == "requested_pressure: 'moderate' -> 'firm'"
    assert example.problems == ("drops warning pressure-keep-gentle",)
    assert result["firm-pressure-is-warned"].status == "fail"


def test_red_flag_property_fails_when_clearance_overrides(tmp_path):
    """A red flag that clearance switches off breaks the built-in red-flag property."""
    rules = _write_variant(
        tmp_path,
        "when: open_wounds\n",
        "when: open_wounds and not cleared_by_clinician\n",
        name="red-flags.yaml",
    )
    result = {r.id: r for r in verify(load_unproved(rules)).results}
    assert result["red-flags"].status == "fail"
    example = result["red-flags"].counterexample
    assert example is not None
    assert example.profiles[0].open_wounds is True
    assert example.profiles[0].cleared_by_clinician is True


def test_verify_rejects_a_non_ruleset():
    """verify() names the wrong argument type."""
    with pytest.raises(TypeError, match="rules must be a RuleSet from load_rules\\(\\), not str"):
        verify("rules")  # type: ignore[arg-type]


@requires_durable
@pytest.mark.slow
def test_durable_backend_agrees_on_every_class():
    """With --backend durable, durable's decisions pass and agree with reference everywhere."""
    result = verify(default_rules(), backend="durable", method="enumeration")
    assert result.ok
    agree = next(r for r in result.results if r.id == "backends-agree")
    assert (agree.status, agree.checked) == ("pass", 104_976)
    assert result.backends == ("durable", "reference")


def test_cli_verify_default_passes():
    """``neurotriage verify`` prints PASS per property and exits 0 on the default rules."""
    run = cli("verify", "--method", "enumeration")
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    assert lines[1].startswith("Input space: 104,976 classes, checked in ")
    assert lines[2] == "PASS  partition: 1,602 distinct decisions"
    proved = cli("verify")
    assert (proved.code, proved.err) == (0, "")
    assert proved.out.splitlines()[1].startswith(
        "Input space: 104,976 classes, proved by the solver in "
    )
    assert proved.out.splitlines()[-1] == lines[-1]
    # the same lines, but for the properties an engine is checked on per rule
    engine = ("PASS  partition", "PASS  order-free")
    assert [line for line in proved.out.splitlines()[2:] if not line.startswith(engine)] == [
        line for line in lines[2:] if not line.startswith(engine)
    ]
    assert (
        "SKIP  backends-agree: run with --backend durable to compare durable with reference"
        in lines
    )
    assert lines[-1] == "20 properties: 19 pass, 0 fail, 1 skipped"


def test_cli_verify_unsafe_prints_counterexample_and_exits_1():
    """A failing property prints its smallest counterexample as JSON and exits 1."""
    run = cli("verify", "--rules", UNSAFE)
    assert (run.code, run.err) == (1, "")
    assert (
        "FAIL  unknown-not-safer: violated in a space of 216 single-field steps\n"
        "      smallest counterexample (4 fields set):\n"
        "        step:    pain_level: 7 -> unknown\n"
        '        before:  {"pain_level": 7, "symptoms_worsening": false, "open_wounds": false, '
        '"foot_infection": false}\n'
        "        fired:   red-flags\n"
        '        after:   {"symptoms_worsening": false, "open_wounds": false, '
        '"foot_infection": false}\n'
        "        fired:   unknown-pain\n"
        "        problem: unknown allows thumb_pressure, which the known answer blocks\n"
    ) in run.out
    assert (
        "FAIL  verdict-matches-allowed: violated in a space of 81 profiles\n"
        "      smallest counterexample (3 fields set):\n"
        '        profile: {"symptoms_worsening": false, "open_wounds": false, '
        '"foot_infection": false}\n'
        "        fired:   unknown-pain\n"
        "        problem: the verdict is needs_answers, but thumb_pressure is allowed\n"
    ) in run.out
    assert run.out.endswith("9 properties: 5 pass, 3 fail, 1 skipped\n")
    counted = cli("verify", "--rules", UNSAFE, "--method", "enumeration")
    assert "FAIL  unknown-not-safer: 1 of 216 single-field steps\n" in counted.out


def test_cli_verify_json():
    """``--format json`` gives the same report as data."""
    run = cli("verify", "--rules", UNSAFE, "--format", "json")
    assert run.code == 1
    data = json.loads(run.out)
    assert (data["ok"], data["space_size"]) == (False, 81)
    failed = {p["id"]: p for p in data["properties"] if p["status"] == "fail"}
    assert set(failed) == {
        "unknown-not-safer",
        "unknown-pain-allows-nothing",
        "verdict-matches-allowed",
    }
    example = failed["unknown-not-safer"]["counterexample"]
    assert example["change"] == "pain_level: 7 -> unknown"
    assert example["profiles"][0]["pain_level"] == 7


def test_cli_verify_bad_rules_exit_2(tmp_path):
    """A rule set that does not load is a clean exit 2, not a verification result."""
    write(tmp_path, {"r.yaml": "rules: ["})
    assert_clean_failure(cli("verify", "--rules", tmp_path))

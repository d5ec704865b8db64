"""The symbolic proof against enumeration: the same answer, property by property.

On every rule set whose space can be enumerated (the fixture packs, variants
of the default pack with planted faults, and random rule sets drawn by
hypothesis), verify() by solver and verify() by enumeration must agree on
each property's status, on how many profiles or steps it covers, and on the
smallest counterexample, profile by profile.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neurotriage.analysis._diff as diff_module
import neurotriage.cli._reports as cli_reports
import neurotriage.loading._loader as loader_module
import neurotriage.proof._compare as compare_module
from neurotriage import RuleError, UndecidedError, default_rules, evaluate, load_rules
from neurotriage.analysis import (
    VerifyReport,
    counterfactuals,
    diff,
    input_space,
    lint,
    rule_coverage,
    verify,
)
from neurotriage.loading import builtin_pack_dir
from neurotriage.proof._solver import Query
from neurotriage.proof._symbolic import domains_of
from neurotriage.strategies import profiles_firing
from tests.clitools import assert_clean_failure, cli
from tests.conftest import FIXTURES, ROOT, available_backends, requires_durable
from tests.generated_packs import write_generated_pack
from tests.rulefiles import copy_rules, edit, load_unproved, with_catalogue

#: properties about engines, checked on one profile per rule rather than proved
ON_RULES = {"partition", "order-free", "backends-agree"}


def _profiles(example):
    return [p.model_dump(mode="json") for p in example.profiles]


def assert_same(rules, backend="reference") -> VerifyReport:
    """Symbolic and enumerated verify agree on ``rules``; the symbolic report is returned."""
    proved = verify(rules, backend=backend)
    counted = verify(rules, backend=backend, method="enumeration")
    assert (proved.method, counted.method) == ("symbolic", "enumeration")
    assert proved.space_size == counted.space_size == input_space(rules).size
    assert [r.id for r in proved.results] == [r.id for r in counted.results]
    for ours, theirs in zip(proved.results, counted.results, strict=True):
        assert (ours.id, ours.status) == (theirs.id, theirs.status)
        if ours.id in ON_RULES:
            continue
        assert (ours.id, ours.checked) == (theirs.id, theirs.checked)
        if theirs.status != "fail":
            assert ours.counterexample is None
            continue
        assert ours.failures is None  # a proof does not count its counterexamples
        mine, enumerated = ours.counterexample, theirs.counterexample
        assert mine is not None
        assert enumerated is not None
        assert (ours.id, _profiles(mine)) == (theirs.id, _profiles(enumerated))
        assert (mine.change, mine.fired, mine.problems) == (
            enumerated.change,
            enumerated.fired,
            enumerated.problems,
        )
    return proved


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    target = copy_rules(tmp_path / "rules")
    edit(target / name, old, new)
    return target


def test_default_pack_agrees():
    """The default pack: every property passes both ways, with the same counts."""
    report = assert_same(default_rules())
    assert report.ok


def test_calf_check_agrees():
    """The example pack with its own model agrees."""
    assert assert_same(load_rules(ROOT / "examples" / "packs" / "calf-check")).ok


@requires_durable
def test_durable_agrees_rule_by_rule():
    """backends-agree: durable against reference on every class of each rule's own fields."""
    report = verify(default_rules(), backend="durable")
    agree = next(r for r in report.results if r.id == "backends-agree")
    assert agree.status == "pass"
    assert 0 < agree.checked < report.space_size  # far fewer than every class
    assert report.ok


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        (
            "session.yaml",
            'when: requested_pressure >= "moderate"',
            'when: requested_pressure == "moderate"',
        ),
        (
            "red-flags.yaml",
            "when: open_wounds\n",
            "when: open_wounds and not cleared_by_clinician\n",
        ),
        ("red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8"),
        ("unknowns.yaml", "open_wounds is unknown", "open_wounds is unknown and diabetes"),
        ("clearance.yaml", "not cleared_by_clinician", "cleared_by_clinician"),
    ],
    ids=[
        "warning-dropped",
        "clearance-overrides",
        "pain-cut-moved",
        "unknown-narrowed",
        "inverted",
    ],
)
def test_planted_faults_agree(tmp_path, name, old, new):
    """A fault planted in the default pack is found both ways, at the same counterexample."""
    report = assert_same(load_unproved(_variant(tmp_path, name, old, new)))
    assert not report.ok


def test_unsafe_fixture_agrees():
    """The unsafe-unknown-pain fixture fails the same properties, at the same pairs."""
    report = assert_same(load_unproved(FIXTURES / "unsafe-unknown-pain"))
    assert {r.id for r in report.failed} >= {"unknown-not-safer", "verdict-matches-allowed"}


# --- random rule sets ----------------------------------------------------------------------------

ATOMS = (
    "open_wounds",
    "foot_infection",
    "diabetes",
    "cleared_by_clinician",
    "symptoms_worsening is unknown",
    "diabetes is unknown",
    "pain_level >= 4",
    "pain_level >= 7",
    "pain_level < 2",
    "pain_level is unknown",
    'neuropathy_severity == "severe"',
    'neuropathy_severity >= "moderate"',
    "neuropathy_severity is unknown",
    '"gout" in other_conditions',
    '"asthma" in other_conditions',
    "other_conditions is empty",
    "other_conditions is not empty",
    "other_conditions is unknown",
)


def _condition(depth: int = 2) -> st.SearchStrategy[str]:
    atom = st.sampled_from(ATOMS)
    if depth == 0:
        return atom
    inner = _condition(depth - 1)
    return st.one_of(
        atom,
        inner.map(lambda c: f"not ({c})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}) and ({p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}) or ({p[1]})"),
    )


@st.composite
def _rule(draw: st.DrawFn, index: int) -> str:
    lines = [
        f"  - id: r{index}",
        "    description: A drawn rule.",
        f"    when: {json.dumps(draw(_condition()))}",
    ]
    block = draw(st.sampled_from(["all", "[thumb_pressure]", "[gentle_stroking]", None]))
    if block is not None:
        lines.append(f"    block: {block}")
    refer = draw(st.sampled_from([None, "consult_before_starting", "see_doctor", "urgent"]))
    if refer is not None:
        lines.append(f"    refer: {refer}")
    verdict = draw(st.sampled_from([None, "consult_first", "needs_answers", "see_doctor", "stop"]))
    if verdict is not None:
        lines.append(f"    verdict: {verdict}")
    if draw(st.booleans()):
        code = draw(st.sampled_from(["w1", "w2"]))
        lines += [
            "    warn:",
            f"      code: {code}",
            "      severity: caution",
            f"      message: Warning {code}.",
        ]
    return "\n".join(lines) + "\n"


@st.composite
def _rule_files(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 5))
    text = "rules:\n" + "".join(draw(_rule(i)) for i in range(count))
    if draw(st.booleans()):
        text += (
            "invariants:\n  - id: drawn\n    description: A drawn invariant.\n"
            f"    when: {json.dumps(draw(_condition(1)))}\n"
            + draw(
                st.sampled_from(
                    [
                        "    allowed: none\n",
                        "    allowed: [gentle_stroking]\n",
                        "    not_allowed: [thumb_pressure]\n",
                        "    referral_at_least: see_doctor\n",
                        "    verdict_in: [stop, see_doctor]\n",
                        "    warns: w1\n",
                    ]
                )
            )
        )
    return text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_rule_files())
def test_random_rule_sets_agree(text):
    """On drawn rule sets the solver and the enumeration give the same report."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = with_catalogue(Path(scratch), {"rules.yaml": text})
        try:
            rules = load_unproved(directory)
        except RuleError:
            return  # a drawn rule set the loader refuses has nothing to prove
        assert_same(rules)


# --- at sizes no enumeration reaches ------------------------------------------------------------


@pytest.fixture(scope="module")
def corner_pack(tmp_path_factory):
    """30 fields, 60 rules, about 1.9 x 10^15 classes; red flag r0 blocks nothing at age >= 95."""
    return write_generated_pack(tmp_path_factory.mktemp("corner"), fields=30, rules=60, corner=True)


def test_a_fault_at_one_corner_of_a_huge_space_is_found(corner_pack):
    """The planted corner is found and printed exactly, and evaluate() confirms it."""
    rules = load_unproved(corner_pack)
    report = verify(rules)
    assert report.space_size > 10**15
    failed = {r.id: r for r in report.failed}
    example = failed["red-flags"].counterexample
    assert example is not None
    (profile,) = example.profiles
    assert profile.model_dump(exclude_defaults=True) == {"r0": True, "age": 95}
    for backend in available_backends():
        decision = evaluate(profile.model_dump(), rules=rules, backend=backend)
        assert decision.referral.level == "none"  # the red flag refers to no one there
    run = cli("verify", "--rules", corner_pack)
    assert run.code == 1
    assert '        profile: {"age": 95, "r0": true}\n' in run.out


def test_a_query_over_its_budget_stops_with_the_property_named(corner_pack, monkeypatch):
    """A solver that gives up is an error naming the property (exit 2), never a pass."""
    rules = load_unproved(corner_pack)
    monkeypatch.setattr(Query, "check", lambda self, *assumptions: "unknown")
    with pytest.raises(UndecidedError) as info:
        verify(rules, time_budget=0.5)
    assert info.value.property == "which rules can fire"
    assert "within the time budget of 0.5 s" in str(info.value)
    run = cli("verify", "--rules", corner_pack, "--time-budget", "0.5")
    assert_clean_failure(run)
    assert "could not decide the property which rules can fire" in run.err


def test_time_budget_must_be_a_positive_number():
    """--time-budget refuses zero, negative, nan and words (exit 2)."""
    for bad in ("0", "-1", "nan", "soon"):
        assert_clean_failure(cli("verify", "--time-budget", bad))


def test_the_clinical_pack_is_proved_whole():
    """neuropathy-foot-care: over 10^12 classes, every property and invariant proved."""
    rules = default_rules("neuropathy-foot-care")
    report = verify(rules)
    assert report.space_size > 10**12
    assert report.ok
    assert [r.status for r in report.results].count("pass") == len(report.results) - 1
    assert {r.id for r in report.results if r.kind == "invariant"} == {
        inv.id for inv in rules.invariants
    }


# --- lint ---------------------------------------------------------------------------------------


def _lint_both(rules):
    proved = lint(rules)
    walked = lint(rules, method="enumeration")
    assert proved == walked
    return proved


#: every lint fixture that loads (warning-without-code is a load error, found by the loader)
LOADING = sorted(p.name for p in (FIXTURES / "lint").glob("*.yaml") if "without-code" not in p.name)


@pytest.mark.parametrize("name", LOADING)
def test_lint_agrees_on_every_lint_fixture(name):
    """Dead and shadowed rules: the solver finds exactly what the walk finds."""
    _lint_both(load_unproved(FIXTURES / "lint" / name))


def test_lint_agrees_on_the_packs():
    """The default and example packs lint the same both ways; the clinical pack lints clean."""
    _lint_both(default_rules())
    _lint_both(load_rules(ROOT / "examples" / "packs" / "calf-check"))
    findings = lint(default_rules("neuropathy-foot-care"))
    assert [f for f in findings if f.code in ("dead-rule", "shadowed-rule")] == []


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_rule_files())
def test_lint_agrees_on_random_rule_sets(text):
    """On drawn rule sets the solver and the walk find the same dead and shadowed rules."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = with_catalogue(Path(scratch), {"rules.yaml": text})
        try:
            rules = load_unproved(directory)
        except RuleError:
            return
        _lint_both(rules)


# --- a pack of 200 fields -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide_pack(tmp_path_factory):
    """200 fields, 250 rules, about 10^94 classes, proved as it loads.

    durable-rules follows at most 64 rules at once, so no monotone pack this
    large compiles for it: the pack is loaded for the reference backend, past
    the loader's durable capacity check.
    """
    directory = write_generated_pack(tmp_path_factory.mktemp("wide"), fields=200, rules=250)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader_module, "check_capacity", lambda *args, **kwargs: [])
        return load_rules(directory)


def test_every_analysis_works_on_200_fields(wide_pack):
    """Size, proof, lint, profiles_firing and coverage on a pack no enumeration could walk."""
    space = input_space(wide_pack)
    assert space.size > 10**90
    assert isinstance(space.size, int)
    assert wide_pack.verified  # load_rules() proved it
    findings = lint(wide_pack)
    assert [f for f in findings if f.code in ("dead-rule", "shadowed-rule")] == []
    drawn = []

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(profiles_firing("limit-3", wide_pack))
    def draw(profile):
        drawn.append(profile)

    draw()
    decisions = [evaluate(p, rules=wide_pack, backend="reference") for p in drawn]
    assert all("limit-3" in d.fired_rules for d in decisions)
    coverage = rule_coverage(drawn, rules=wide_pack, backend="reference")
    assert coverage.evaluations == len(drawn)
    assert coverage.counts["limit-3"] == len(drawn)


def test_counterfactuals_at_200_fields(wide_pack):
    """From a profile of 200 unknowns, every counterfactual found changes the verdict as said."""
    start = wide_pack.pack.validate({})
    before = evaluate(start, rules=wide_pack, backend="reference").verdict
    found = counterfactuals(start, rules=wide_pack, backend="reference")
    assert found
    for item in found:
        changed = start.model_copy(update={c.field: c.after for c in item.changes})
        after = evaluate(changed.model_dump(), rules=wide_pack, backend="reference")
        assert after.verdict == item.verdict != before


# --- diff ---------------------------------------------------------------------------------------


def _groups(result):
    return [(g.changes, g.count, g.example.model_dump(mode="json")) for g in result.groups]


def _diff_both(old, new):
    proved = diff(old, new)
    walked = diff(old, new, method="enumeration")
    assert (proved.space_size, proved.changed) == (walked.space_size, walked.changed)
    assert sorted(_groups(proved), key=repr) == sorted(_groups(walked), key=repr)
    assert (proved.less_safe, proved.wording, proved.pack) == (
        walked.less_safe,
        walked.wording,
        walked.pack,
    )
    return proved


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8"),
        (
            "red-flags.yaml",
            "when: open_wounds\n",
            "when: open_wounds and not cleared_by_clinician\n",
        ),
        (
            "session.yaml",
            'when: requested_pressure >= "moderate"',
            'when: requested_pressure == "moderate"',
        ),
        ("unknowns.yaml", "open_wounds is unknown", "open_wounds is unknown and diabetes"),
    ],
    ids=["pain-cut-moved", "clearance-overrides", "warning-dropped", "unknown-narrowed"],
)
def test_diff_agrees_with_the_walk(tmp_path, name, old, new):
    """Each kind of change, its exact count and its smallest example, both ways."""
    result = _diff_both(default_rules(), load_unproved(_variant(tmp_path, name, old, new)))
    assert result.groups
    assert result.less_safe


def test_diff_of_a_pack_with_itself_finds_nothing():
    """No change: no group, nothing less safe."""
    result = _diff_both(default_rules(), default_rules())
    assert (result.changed, result.groups, result.less_safe) == (0, (), False)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(_rule_files(), _rule_files())
def test_diff_agrees_on_random_rule_sets(first, second):
    """On two drawn rule sets the solver and the walk report the same groups."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            old = load_unproved(with_catalogue(Path(scratch) / "old", {"rules.yaml": first}))
            new = load_unproved(with_catalogue(Path(scratch) / "new", {"rules.yaml": second}))
        except RuleError:
            return
        _diff_both(old, new)


def _reproduced(old, new, result):
    """Every group's example shows exactly that group's changes, evaluated afresh."""
    comparison = compare_module.Comparison(old, new, 20)
    for group in result.groups:
        _, changes = diff_module._seen(comparison, old, new, group.example)
        assert changes == group.changes
        before = evaluate(group.example.model_dump(), rules=old, backend="reference")
        after = evaluate(group.example.model_dump(), rules=new, backend="reference")
        assert before.model_dump(exclude={"ruleset_version"}) != after.model_dump(
            exclude={"ruleset_version"}
        )
    assert sum(g.count for g in result.groups) == result.changed <= result.space_size


def test_diff_of_the_clinical_pack_at_full_size(tmp_path):
    """A red flag narrowed in a space of 3.66e14 classes: found, counted, shown, less safe."""
    old = default_rules("neuropathy-foot-care")
    target = tmp_path / "clinical"
    shutil.copytree(builtin_pack_dir("neuropathy-foot-care"), target)
    edit(target / "red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8")
    new = load_unproved(target)
    result = diff(old, new)
    assert result.space_size > 10**14
    assert result.less_safe
    _reproduced(old, new, result)
    worst = result.groups[0]
    assert any(c.less_safe for c in worst.changes)
    assert worst.example.pain_level == 7  # the class the cut moved past, and nothing else
    run = cli("diff", str(builtin_pack_dir("neuropathy-foot-care")), str(target))
    assert (run.code, run.err) == (1, "")


def test_diff_at_200_fields(tmp_path, wide_pack):
    """A warning moved from age 80 to 85 in a pack of 200 fields: one kind, counted exactly."""
    directory = write_generated_pack(tmp_path / "wide", fields=200, rules=250)
    edit(directory / "rules.yaml", '"when": "age >= 80",', '"when": "age >= 85",')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader_module, "check_capacity", lambda *args, **kwargs: [])
        new = load_unproved(directory)
    result = diff(wide_pack, new)
    assert result.less_safe  # the warning is gone from 80 to 84
    _reproduced(wide_pack, new, result)
    (group,) = result.groups
    domains, size = domains_of(wide_pack, new)
    assert size == result.space_size > 10**90
    assert group.count == size // domains["age"].classes  # the class 80-84 of age, all else free
    assert group.example.model_dump(exclude_defaults=True) == {"age": 80}


def test_a_kind_too_costly_to_count_is_reported_uncounted(tmp_path, monkeypatch):
    """Past the counting budget a kind keeps its changes and example; only its count is None."""
    variant = load_unproved(
        _variant(tmp_path, "red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8")
    )
    counted = diff(default_rules(), variant)
    monkeypatch.setattr(compare_module, "COUNT_STEPS", 0)
    uncounted = diff(default_rules(), variant)
    assert uncounted.changed is None
    assert [g.count for g in uncounted.groups] == [None] * len(counted.groups)
    shown = [(g.changes, g.example.model_dump()) for g in uncounted.groups]
    assert sorted(shown, key=repr) == sorted(
        ((g.changes, g.example.model_dump()) for g in counted.groups), key=repr
    )
    assert uncounted.less_safe
    text = cli_reports.diff_text(uncounted)
    assert f"some of {uncounted.space_size:,} classes decide differently" in text
    assert "LESS SAFE: uncounted (too costly to count) classes" in text
    data = json.loads(cli_reports.diff_json(uncounted))
    assert data["changed"] is None
    assert {g["classes"] for g in data["groups"]} == {None}


def test_diff_over_its_budget_stops_with_exit_2(tmp_path, monkeypatch):
    """A solver that gives up in a diff is an error (exit 2), never "no change"."""
    variant = _variant(tmp_path, "red-flags.yaml", "when: pain_level >= 7", "when: pain_level >= 8")
    old, new = default_rules(), load_unproved(variant)  # proved before the solver fails
    monkeypatch.setattr(Query, "check", lambda self, *assumptions: "unknown")
    with pytest.raises(UndecidedError) as info:
        diff(old, new, time_budget=0.5)
    assert info.value.property == "diff"
    run = cli("diff", str(ROOT / "rules"), str(variant), "--time-budget", "0.5")
    assert_clean_failure(run)
    assert "could not decide the property diff" in run.err


def test_diff_by_either_method_prints_the_same_report(tmp_path):
    """The command's text and JSON are the same whether the solver or the walk answers."""
    variant = _variant(
        tmp_path,
        "session.yaml",
        'when: requested_pressure >= "moderate"',
        'when: requested_pressure == "moderate"',
    )
    for form in ("text", "json"):
        runs = [
            cli("diff", str(ROOT / "rules"), str(variant), "--format", form, "--method", method)
            for method in ("symbolic", "enumeration")
        ]
        assert runs[0].code == runs[1].code == 1
        assert runs[0].out == runs[1].out

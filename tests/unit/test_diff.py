"""diff(): the decisions two rule sets disagree on, class by class, and ``neurotriage diff``.

Diffing the built-in rules enumerates the whole input space twice (about two
seconds), so each built-in variant is diffed once per module, through the
command line, and only variants that change something are diffed there: the
identical case, exhaustive brute-force checks and exact reports run on a small
rule set (tests/fixtures/diff/base.yaml) instead.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from neurotriage import Profile, RuleSet, default_rules, evaluate
from neurotriage.analysis import Change, ChangeGroup, diff, input_space
from neurotriage.decision import Outcome
from tests.clitools import Run, assert_clean_failure, cli
from tests.conftest import ROOT
from tests.rulefiles import copy_rules, edit, load_unproved, write, write_file

DIFF = Path(__file__).resolve().parents[1] / "fixtures" / "diff"
RULES = ROOT / "rules"

#: A row of the brute-force comparison: (aspect, before, after).
Row = tuple[str, str, str]


# --- independent helpers ------------------------------------------------------------------


def outcome(profile: Profile, rules: RuleSet) -> Outcome:
    """The outcome of a full evaluate() on the reference backend."""
    return Outcome.of(evaluate(profile, rules=rules, backend="reference"))


def state(result: Outcome, catalogue: set[str], technique: str) -> str:
    """A technique's state, as the diff words it."""
    if technique not in catalogue:
        return "not in the catalogue"
    return "allowed" if technique in result.allowed else "blocked"


def rows(old: RuleSet, new: RuleSet, profile: Profile) -> frozenset[Row]:
    """What differs for ``profile``, worked out from two evaluate() calls."""
    first = evaluate(profile, rules=old, backend="reference")
    second = evaluate(profile, rules=new, backend="reference")
    before, after = Outcome.of(first), Outcome.of(second)
    found: set[Row] = set()
    if before.verdict != after.verdict:
        found.add(("verdict", before.verdict, after.verdict))
    if before.referral != after.referral:
        found.add(("referral", before.referral, after.referral))
    old_ids, new_ids = set(old.technique_ids), set(new.technique_ids)
    for technique in old_ids | new_ids:
        was, now = state(before, old_ids, technique), state(after, new_ids, technique)
        if was != now:
            found.add((f"technique {technique}", was, now))
    found.update(
        (f"warning {code}", "given", "dropped") for code in before.warnings - after.warnings
    )
    found.update(
        (f"warning {code}", "not given", "given") for code in after.warnings - before.warnings
    )
    asked, asks = set(first.questions), set(second.questions)
    found.update((f"question {name}", "asked", "not asked") for name in asked - asks)
    found.update((f"question {name}", "not asked", "asked") for name in asks - asked)
    return frozenset(found)


def brute_force(old: RuleSet, new: RuleSet) -> Counter[frozenset[Row]]:
    """Every class of the joint space evaluated with both rule sets: changes -> classes."""
    found: Counter[frozenset[Row]] = Counter()
    for profile in input_space(old, new):
        changes = rows(old, new, profile)
        if changes:
            found[changes] += 1
    return found


def group_rows(changes: list[dict[str, Any]] | tuple[Change, ...]) -> frozenset[Row]:
    """A group's changes (objects or JSON) as rows."""
    if changes and isinstance(changes[0], dict):
        return frozenset((c["aspect"], c["before"], c["after"]) for c in changes)
    return frozenset((c.aspect, c.before, c.after) for c in changes)


def variant(directory: Path, edits: dict[str, tuple[str, str]], extra: dict[str, str]) -> Path:
    """A copy of the built-in rules with ``edits`` ({file: (old, new)}) and ``extra`` files."""
    copy_rules(directory)
    for name, (old, new) in edits.items():
        path = directory / name
        assert path.read_text(encoding="utf-8").count(old) == 1, f"{old!r} is not once in {name}"
        edit(path, old, new)
    return write(directory, extra)


def json_diff(old: Path, new: Path) -> tuple[Run, dict[str, Any]]:
    """``neurotriage diff --format json OLD NEW``: the run and its parsed output."""
    run = cli("diff", "--format", "json", old, new)
    assert run.err == ""
    return run, json.loads(run.out)


# --- variants of the built-in rules, each diffed once -------------------------------------

PAIN_RULE = "    when: pain_level >= 7\n    block: all\n"
STRICTER = """\
rules:
  - id: moderate-no-thumb-pressure
    description: No thumb pressure with moderate neuropathy.
    when: neuropathy_severity == "moderate"
    block: [thumb_pressure]
    source: {document: test, section: stricter}
"""
NEW_TECHNIQUE = """
  - id: toe_stretch
    name: Toe stretch
    area: toes
    how_to: Bend each toe gently back and forth.
    pressure_ceiling: light
    source: {document: test, section: toes}
"""


@pytest.fixture(scope="module")
def pain_8(tmp_path_factory) -> tuple[Path, Run, dict[str, Any]]:
    """The severe-pain red flag raised from 7 to 8 (the invariant left at 7)."""
    path = variant(
        tmp_path_factory.mktemp("pain") / "rules",
        {"red-flags.yaml": (PAIN_RULE, PAIN_RULE.replace(">= 7", ">= 8"))},
        {},
    )
    return (path, *json_diff(RULES, path))


@pytest.fixture(scope="module")
def stricter(tmp_path_factory) -> tuple[Path, Run, dict[str, Any]]:
    """A new rule blocks thumb pressure for moderate neuropathy."""
    path = variant(tmp_path_factory.mktemp("stricter") / "rules", {}, {"zz.yaml": STRICTER})
    return (path, *json_diff(RULES, path))


@pytest.fixture(scope="module")
def new_technique(tmp_path_factory) -> tuple[Path, Run, dict[str, Any]]:
    """A fifth technique in the catalogue; no rule names it, ``block: all`` covers it."""
    catalogue = (RULES / "techniques.yaml").read_text(encoding="utf-8") + NEW_TECHNIQUE
    path = variant(
        tmp_path_factory.mktemp("technique") / "rules", {}, {"techniques.yaml": catalogue}
    )
    return (path, *json_diff(RULES, path))


def test_pain_threshold_raised_is_less_safe(pain_8):
    """Pain 7 no longer a red flag: exit 1, and exactly the pain-7 classes changed."""
    path, run, data = pain_8
    assert run.code == 1
    assert data["less_safe"] is True
    space = input_space(default_rules(), load_unproved(path))
    assert space.values["pain_level"] == (None, 0, 7, 8)
    assert data["space_size"] == space.size
    assert data["changed"] == space.size // 4  # every class whose pain is exactly 7
    assert sum(group["classes"] for group in data["groups"]) == data["changed"]
    assert all(group["less_safe"] for group in data["groups"])


def test_pain_threshold_groups_and_examples(pain_8):
    """Every group drops the severe-pain warning; each example really changes as listed."""
    path, _, data = pain_8
    old, new = default_rules(), load_unproved(path)
    assert len(data["groups"]) > 1
    for group in data["groups"]:
        assert ("warning severe-pain", "given", "dropped") in group_rows(group["changes"])
        example = Profile.model_validate(group["example"])
        assert example.pain_level == 7
        assert rows(old, new, example) == group_rows(group["changes"])
    counts = [group["classes"] for group in data["groups"]]
    assert counts == sorted(counts, reverse=True)
    allowed = [g for g in data["groups"] if any(c["after"] == "allowed" for c in g["changes"])]
    assert allowed, "pain 7 with nothing else wrong is now allowed to massage"
    starting = [
        {"aspect": "verdict", "before": "see_doctor", "after": verdict, "less_safe": True}
        for verdict in ("proceed", "consult_first")  # consult_first: not yet cleared
    ]
    assert all(any(s in group["changes"] for s in starting) for group in allowed)


def test_pain_threshold_sampled_brute_force(pain_8):
    """On a sample of classes, evaluate() differs exactly where the pain is 7."""
    path, _, _ = pain_8
    old, new = default_rules(), load_unproved(path)
    space = input_space(old, new)
    sampled = [space.profile_at(index) for index in range(0, space.size, 211)]
    assert {profile.pain_level for profile in sampled} == {None, 0, 7, 8}
    for profile in sampled:
        assert bool(rows(old, new, profile)) == (profile.pain_level == 7), profile


def test_stricter_rule_changes_but_is_not_less_safe(stricter):
    """Blocking thumb pressure for moderate neuropathy changes classes, none less safe: exit 0."""
    path, run, data = stricter
    assert run.code == 0
    assert data["less_safe"] is False
    assert [group_rows(g["changes"]) for g in data["groups"]] == [
        frozenset({("technique thumb_pressure", "allowed", "blocked")})
    ]
    (group,) = data["groups"]
    assert group["classes"] == data["changed"]
    assert group["changes"][0]["less_safe"] is False
    assert group["example"]["neuropathy_severity"] == "moderate"
    assert rows(default_rules(), load_unproved(path), Profile.model_validate(group["example"])) == (
        group_rows(group["changes"])
    )


def no_red_flag_subspace() -> list[Profile]:
    """Every class with every red flag known and absent and no sharp pain.

    Outside it the built-in rules allow nothing (their declared invariants,
    proved by ``verify``), so only here can a technique be allowed.
    """
    fields = {
        "diabetes": (None, False, True),
        "neuropathy_severity": (None, "mild", "moderate", "severe"),
        "home_remedies_no_relief": (None, False, True),
        "other_conditions": (None, [], ["arthritis"]),
        "cleared_by_clinician": (False, True),
        "requested_pressure": ("light", "moderate", "firm"),
    }
    safe = {"pain_level": 0, "symptoms_worsening": False, "open_wounds": False}
    safe["foot_infection"] = False
    return [
        Profile.model_validate({**safe, **dict(zip(fields, combo, strict=True))})
        for combo in itertools.product(*fields.values())
    ]


def test_stricter_rule_count_by_brute_force(stricter):
    """The changed classes are the moderate ones where thumb pressure used to be allowed."""
    path, _, data = stricter
    old, new = default_rules(), load_unproved(path)
    counted = 0
    for profile in no_red_flag_subspace():
        before = outcome(profile, old)
        if profile.neuropathy_severity == "moderate" and "thumb_pressure" in before.allowed:
            counted += 1
            assert rows(old, new, profile) == {("technique thumb_pressure", "allowed", "blocked")}
        else:
            assert rows(old, new, profile) == frozenset()
    assert counted > 0
    assert data["changed"] == counted


def test_new_technique_is_less_safe(new_technique):
    """A new technique is allowed wherever the others are: exit 1; every class changes."""
    path, run, data = new_technique
    assert run.code == 1
    assert data["less_safe"] is True
    assert data["changed"] == data["space_size"] == input_space(default_rules()).size
    groups = {group_rows(g["changes"]): g for g in data["groups"]}
    allowed = groups[frozenset({("technique toe_stretch", "not in the catalogue", "allowed")})]
    blocked = groups[frozenset({("technique toe_stretch", "not in the catalogue", "blocked")})]
    assert len(groups) == 2
    assert data["groups"][0] is allowed  # less safe first
    assert (allowed["less_safe"], blocked["less_safe"]) == (True, False)
    old, new = default_rules(), load_unproved(path)
    counted = sum(bool(outcome(p, old).allowed) for p in no_red_flag_subspace())
    assert allowed["classes"] == counted
    assert blocked["classes"] == data["space_size"] - counted
    example = Profile.model_validate(allowed["example"])
    assert "toe_stretch" in outcome(example, new).allowed
    assert outcome(Profile.model_validate(blocked["example"]), new).allowed == frozenset()


# --- a small rule set: exhaustive brute force and exact reports ---------------------------

BASE = (DIFF / "base.yaml").read_text(encoding="utf-8")

#: id -> (text replaced in base.yaml, its replacement, whether the change is less safe)
EDITS = {
    "identical": ("", "", False),
    "pain-7-to-8": ("when: pain_level >= 7", "when: pain_level >= 8", True),
    "dropped-warning": (
        "    warn: {code: firm, severity: caution, message: Keep the pressure light.}\n",
        "",
        True,
    ),
    "firm-blocks-all": ("    block: [thumb_pressure]\n", "    block: all\n", False),
    "new-technique": (
        "  - id: thumb_pressure\n",
        (
            "  - id: soak\n    name: Soak\n    area: foot\n    how_to: Soak in warm water.\n"
            "    pressure_ceiling: light\n  - id: thumb_pressure\n"
        ),
        True,
    ),
    "referral-raised": (
        "    refer: see_doctor\n    verdict: see_doctor\n    warn:",
        "    refer: urgent\n    verdict: see_doctor\n    warn:",
        False,
    ),
    "verdict-lowered": (
        "    verdict: see_doctor\n    warn:",
        "    verdict: needs_answers\n    warn:",
        True,
    ),
    "unknown-narrowed": (
        "when: open_wounds is unknown",
        "when: open_wounds is unknown and pain_level >= 7",
        True,
    ),
    "ask-removed": ("    ask: [open_wounds]\n", "", True),
    "ask-narrowed": (
        "    ask: [open_wounds]\n",
        (
            "  - id: ask-in-pain\n    description: Ask about wounds only in severe pain.\n"
            "    when: open_wounds is unknown and pain_level >= 7\n    ask: [open_wounds]\n"
        ),
        True,
    ),
    "ask-added": (
        "    block: [thumb_pressure]\n",
        "    block: [thumb_pressure]\n    ask: [diabetes]\n",
        False,
    ),
}


def edited(directory: Path, name: str) -> Path:
    """base.yaml with edit ``name`` applied, written into ``directory``."""
    old, new, _ = EDITS[name]
    if old:
        assert BASE.count(old) == 1, f"{old!r} is not once in base.yaml"
    # the same name: an unedited copy has the same version
    return write_file(directory / "base.yaml", BASE.replace(old, new) if old else BASE)


@pytest.mark.parametrize("name", list(EDITS))
def test_small_variants_match_brute_force(tmp_path, name):
    """Changed classes, each group's count and example agree with evaluating every class."""
    old = load_unproved(DIFF / "base.yaml")
    new = load_unproved(edited(tmp_path, name))
    result = diff(old, new)
    expected = brute_force(old, new)
    assert result.changed == sum(expected.values())
    assert result.space_size == input_space(old, new).size
    assert {group_rows(g.changes): g.count for g in result.groups} == dict(expected)
    for group in result.groups:
        assert rows(old, new, group.example) == group_rows(group.changes)
    assert result.less_safe is EDITS[name][2]
    assert (result.changed == 0) is (name == "identical")


@pytest.mark.parametrize("name", list(EDITS))
def test_small_variants_exit_codes(tmp_path, name):
    """``diff`` exits 1 exactly when some decision got less safe, else 0."""
    run = cli("diff", DIFF / "base.yaml", edited(tmp_path, name))
    assert (run.code, run.err) == (1 if EDITS[name][2] else 0, "")
    last = (
        "less safe: some decisions got less safe"
        if EDITS[name][2]
        else ("no decision got less safe")
    )
    assert run.out.splitlines()[-1] == last


def test_less_safe_groups_come_first_then_by_size(tmp_path):
    """Groups are ordered less safe first, then by descending class count."""
    result = diff(
        load_unproved(DIFF / "base.yaml"), load_unproved(edited(tmp_path, "unknown-narrowed"))
    )
    keys = [(not g.less_safe, -g.count) for g in result.groups]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("name", "change", "less_safe"),
    [
        pytest.param("pain-7-to-8", ("verdict", "see_doctor", "proceed"), True, id="verdict-down"),
        pytest.param(
            "referral-raised", ("referral", "see_doctor", "urgent"), False, id="referral-up"
        ),
        pytest.param(
            "verdict-lowered", ("verdict", "see_doctor", "needs_answers"), True, id="verdict-lower"
        ),
        pytest.param(
            "firm-blocks-all",
            ("technique gentle_stroking", "allowed", "blocked"),
            False,
            id="technique-blocked",
        ),
        pytest.param(
            "new-technique",
            ("technique soak", "not in the catalogue", "allowed"),
            True,
            id="technique-added",
        ),
        pytest.param(
            "dropped-warning", ("warning firm", "given", "dropped"), True, id="warning-dropped"
        ),
        pytest.param(
            "ask-removed",
            ("question open_wounds", "asked", "not asked"),
            True,
            id="question-dropped",
        ),
        pytest.param(
            "ask-added", ("question diabetes", "not asked", "asked"), False, id="question-added"
        ),
    ],
)
def test_each_kind_of_change_is_judged(tmp_path, name, change, less_safe):
    """Each aspect's change is marked less safe or not, as the safety model says."""
    result = diff(load_unproved(DIFF / "base.yaml"), load_unproved(edited(tmp_path, name)))
    found = {(c.aspect, c.before, c.after): c.less_safe for g in result.groups for c in g.changes}
    assert found[change] is less_safe


def test_dropped_warning_text_is_exact(tmp_path):
    """The text report of one dropped warning, line by line."""
    path = edited(tmp_path, "dropped-warning")
    run = cli("diff", DIFF / "base.yaml", path)
    assert (run.code, run.err) == (1, "")
    old, new = load_unproved(DIFF / "base.yaml").version, load_unproved(path).version
    assert run.out == (
        f"{old} -> {new}\n"
        "81 of 243 classes decide differently (1 kind of change); 2 wording changes\n"
        "LESS SAFE: 81 classes\n"
        "    warning firm: given -> dropped  (less safe)\n"
        '    e.g. {"requested_pressure": "firm"}\n'
        "wording changed: warning firm message (removed)\n"
        '    before: "Keep the pressure light."\n'
        "wording changed: warning firm severity (removed)\n"
        '    before: "caution"\n'
        "a human must review every wording change: diff cannot judge text\n"
        "less safe: some decisions got less safe\n"
    )


def test_stricter_text_is_exact(tmp_path):
    """A stricter change is printed as a plain 'change' and nothing is called less safe."""
    path = edited(tmp_path, "firm-blocks-all")
    run = cli("diff", DIFF / "base.yaml", path)
    assert (run.code, run.err) == (0, "")
    old, new = load_unproved(DIFF / "base.yaml").version, load_unproved(path).version
    assert run.out == (
        f"{old} -> {new}\n"
        "18 of 243 classes decide differently (1 kind of change); 0 wording changes\n"
        "change: 18 classes\n"
        "    technique gentle_stroking: allowed -> blocked\n"
        '    e.g. {"open_wounds": false, "requested_pressure": "firm"}\n'
        "no decision got less safe\n"
    )


def test_json_is_exact(tmp_path):
    """--format json: versions, sizes, the verdict, each group with its example, the wording."""
    path = edited(tmp_path, "dropped-warning")
    run = cli("diff", "--format", "json", DIFF / "base.yaml", path)
    assert (run.code, run.err) == (1, "")
    assert json.loads(run.out) == {
        "old_version": load_unproved(DIFF / "base.yaml").version,
        "new_version": load_unproved(path).version,
        "space_size": 243,
        "changed": 81,
        "less_safe": True,
        "groups": [
            {
                "classes": 81,
                "less_safe": True,
                "changes": [
                    {
                        "aspect": "warning firm",
                        "before": "given",
                        "after": "dropped",
                        "less_safe": True,
                    }
                ],
                "example": {"requested_pressure": "firm"},
            }
        ],
        "wording": [
            {"item": "warning firm message", "before": "Keep the pressure light.", "after": None},
            {"item": "warning firm severity", "before": "caution", "after": None},
        ],
        "pack": [],
    }


def test_identical_json(tmp_path):
    """Identical rule sets in JSON: nothing changed, no group, not less safe."""
    run = cli("diff", "--format", "json", DIFF / "base.yaml", edited(tmp_path, "identical"))
    assert (run.code, run.err) == (0, "")
    data = json.loads(run.out)
    assert (data["changed"], data["groups"], data["less_safe"]) == (0, [], False)
    assert data["wording"] == []
    assert data["old_version"] == data["new_version"]


def test_change_and_group_objects():
    """Change prints as 'aspect: before -> after', marked when less safe; groups as dicts."""
    worse = Change("warning firm", "given", "dropped", less_safe=True)
    better = Change("referral", "see_doctor", "urgent", less_safe=False)
    assert str(worse) == "warning firm: given -> dropped  (less safe)"
    assert str(better) == "referral: see_doctor -> urgent"
    group = ChangeGroup((better,), 3, Profile(open_wounds=True))
    assert group.less_safe is False
    assert ChangeGroup((better, worse), 1, Profile()).less_safe is True
    assert group.as_dict() == {
        "classes": 3,
        "less_safe": False,
        "changes": [
            {"aspect": "referral", "before": "see_doctor", "after": "urgent", "less_safe": False}
        ],
        "example": {"open_wounds": True},
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param("rules", None, "old must be a RuleSet from load_rules(), not str", id="old"),
        pytest.param(None, {}, "new must be a RuleSet from load_rules(), not dict", id="new"),
    ],
)
def test_diff_refuses_what_is_not_a_rule_set(old, new, message):
    """diff() takes two RuleSets and says which argument is wrong."""
    rules = load_unproved(DIFF / "base.yaml")
    with pytest.raises(TypeError) as info:
        diff(rules if old is None else old, rules if new is None else new)
    assert str(info.value) == message


@pytest.mark.parametrize("side", ["old", "new"])
def test_cli_missing_rules_exit_2(tmp_path, side):
    """A rule directory that does not exist, on either side, exits 2 naming it."""
    missing = tmp_path / "nowhere"
    args = (missing, DIFF / "base.yaml") if side == "old" else (DIFF / "base.yaml", missing)
    run = cli("diff", *args)
    assert_clean_failure(run)
    assert run.err == (
        f"neurotriage: error: 1 problem in rule set:\n{missing}: no such file or directory\n"
    )


def test_cli_broken_rules_exit_2(tmp_path):
    """A rule file with errors exits 2 with every problem located."""
    broken = write_file(tmp_path / "broken.yaml", "rules:\n  - id: r1\n")
    run = cli("diff", DIFF / "base.yaml", broken)
    assert_clean_failure(run)
    assert run.err == (
        "neurotriage: error: 2 problems in rule set:\n"
        f"{broken}:2:5: rule 'r1': missing key 'description'\n"
        "      - id: r1\n"
        "        ^\n"
        f"{broken}:2:5: rule 'r1': missing key 'when'\n"
        "      - id: r1\n"
        "        ^\n"
    )


def test_cli_needs_two_rule_sets():
    """``diff`` with one argument is a usage error (exit 2)."""
    run = cli("diff", DIFF / "base.yaml")
    assert run.code == 2
    assert run.out == ""
    assert run.err.endswith(
        "neurotriage diff: error: the following arguments are required: NEW_DIR\n"
    )

"""The ``neurotriage`` command, run in-process through ``main(argv, stdout, stderr, stdin)``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import neurotriage
from neurotriage import Decision, Profile, default_rules, evaluate
from neurotriage.cli import main
from neurotriage.engines import backends_summary, durable_available
from neurotriage.profile import field_specs
from tests.clitools import Run, assert_clean_failure, cli, write_profile
from tests.conftest import CONDITION_FIELDS, ROOT, SAFE, SESSION_FIELDS
from tests.rulefiles import BROKEN_RULES, SOAK_CATALOGUE, copy_rules, load_unproved, write

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
EXAMPLE_IDS = [path.stem for path in EXAMPLES]

CONTRACT_PROFILE_FIELDS = {*CONDITION_FIELDS, *SESSION_FIELDS}
CONTRACT_DECISION_FIELDS = {
    "verdict",
    "allowed_techniques",
    "blocked_techniques",
    "referral",
    "warnings",
    "questions",
    "complementary_therapies",
    "fired_rules",
    "ruleset_version",
    "verified",
}
SEVERITY_RANK = {"INFO": 0, "CAUTION": 1, "DANGER": 2}


def load_example(path: Path) -> dict[str, Any]:
    """The example profile as a dict."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def assert_one_line_error(run: Run, message: str) -> None:
    """Exit 2, nothing on stdout, exactly ``neurotriage: error: MESSAGE`` on stderr."""
    assert run.code == 2
    assert run.out == ""
    assert run.err == f"neurotriage: error: {message}\n"


# --- evaluate: the human-readable summary -------------------------------------------------

SUMMARY_KEY_LINES = [
    pytest.param(
        "ready-to-start",
        [
            "Verdict: proceed (you may go ahead with the allowed techniques)",
            "Referral: none",
            "Allowed techniques:",
            (
                "  - Gentle stroking (gentle_stroking): top and sole of the foot, "
                "light pressure at most"
            ),
            "  - Circular motions (circular_motions): sole of the foot, light pressure at most",
            (
                "  - Thumb pressure (thumb_pressure): chosen points on the foot, "
                "light pressure at most"
            ),
            (
                "  - Ankle and lower-leg massage (ankle_leg_massage): ankles and lower legs, "
                "light pressure at most"
            ),
            "Warnings:",
            (
                "  - CAUTION: Use gentle pressure only; harsh massage can worsen nerve pain."
                " [gentle-pressure]"
            ),
        ],
        ["Blocked techniques:", "Questions still to answer:", "Allowed techniques: none"],
        id="ready-to-start",
    ),
    pytest.param(
        "open-wound",
        [
            "Verdict: see_doctor (see a doctor; no massage for now)",
            "Referral: see_doctor",
            (
                "  - Open wounds on the feet must be seen by a doctor; do not massage the feet."
                " [red-flag-open-wounds]"
            ),
            "Allowed techniques: none",
            "Blocked techniques:",
            "  Every technique (4) is blocked, because:",
            (
                "    - Open wounds on the feet must be seen by a doctor; do not massage the feet."
                " [red-flag-open-wounds]"
            ),
            "Warnings:",
            (
                "  - DANGER: You have open wounds on your feet. Do not massage them; have a doctor"
                " look at them. [open-wounds]"
            ),
        ],
        ["Allowed techniques:"],
        id="open-wound",
    ),
    pytest.param(
        "sharp-pain",
        [
            "Verdict: stop (stop the massage now)",
            "Allowed techniques: none",
            "Blocked techniques:",
            (
                "    - Sharp pain or more discomfort during the massage means stop now."
                " [sharp-pain-stop]"
            ),
            (
                "  - DANGER: Stop the massage now. Sharp pain or rising discomfort is your body's"
                " signal to stop. [sharp-pain-stop]"
            ),
        ],
        ["Allowed techniques:"],
        id="sharp-pain",
    ),
    pytest.param(
        "diabetes-not-cleared",
        [
            (
                "Verdict: needs_clearance (ask your doctor before starting; nothing is allowed"
                " until you are cleared)"
            ),
            "Referral: consult_before_starting",
            "Allowed techniques: none",
            "Blocked techniques:",
            (
                "    - With diabetes, a doctor must agree before you use foot massage."
                " [diabetes-needs-clearance]"
            ),
        ],
        ["Allowed techniques:", "Questions still to answer:"],
        id="diabetes-not-cleared",
    ),
    pytest.param(
        "missing-answers",
        [
            (
                "Verdict: needs_answers (some answers are missing; nothing is allowed until they"
                " are given)"
            ),
            "Allowed techniques: none",
            "Blocked techniques:",
            "    - We need to know how much pain you are in (0 to 10). [unknown-pain-level]",
        ],
        ["Allowed techniques:"],
        id="missing-answers",
    ),
    pytest.param(
        "firm-pressure",
        [
            (
                "Verdict: consult_first (check with your doctor or physical therapist first; "
                "once they agree, the techniques below are the suitable ones)"
            ),
            (
                "  - DANGER: Firm, aggressive pressure can make nerve pain and nerve damage worse."
                " Use light pressure only. [pressure-firm-harmful]"
            ),
        ],
        ["Blocked techniques:", "Allowed techniques: none"],
        id="firm-pressure",
    ),
]


@pytest.mark.parametrize(("example", "present", "absent"), SUMMARY_KEY_LINES)
def test_summary_shows_the_key_lines(example, present, absent):
    """The summary of an example shows its verdict, referral, techniques and warnings."""
    run = cli("evaluate", ROOT / "examples" / f"{example}.json")
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    assert lines[0] == present[0]
    for line in present:
        assert line in lines
    for line in absent:
        assert line not in lines


def test_summary_of_missing_answers_lists_the_questions():
    """Unanswered questions are asked in plain words, each with its field, in field order."""
    run = cli("evaluate", ROOT / "examples" / "missing-answers.json")
    lines = run.out.splitlines()
    start = lines.index("Questions still to answer:")
    assert lines[start + 1 : start + 6] == [
        "  - How much pain are you in, from 0 (none) to 10 (the worst)? [pain_level]",
        "  - Are your neuropathy symptoms getting worse? [symptoms_worsening]",
        "  - Do you have an infection on your feet? [foot_infection]",
        "  - Have home remedies failed to bring you relief? [home_remedies_no_relief]",
        "  - Which other health conditions do you have (if any)? [other_conditions]",
    ]
    assert lines[start + 6] == "Complementary therapies to discuss with a clinician:"


def _section(lines: list[str], heading: str) -> list[str]:
    """The lines under ``heading`` up to the next unindented line."""
    if heading not in lines:
        return []
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_summary_renders_every_part_of_the_decision(path):
    """Every technique, reason, question and therapy is there; massage advice only if allowed."""
    rules = default_rules()
    decision = evaluate(load_example(path))
    run = cli("evaluate", path)
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    assert lines[-1] == f"Rule set: {decision.ruleset_version}"
    for item in decision.allowed_techniques:
        assert (
            f"  - {item.name} ({item.technique}): {item.area}, "
            f"{item.pressure_ceiling} pressure at most"
        ) in lines
        assert f"      {item.how_to}" in lines
    blocked = _section(lines, "Blocked techniques:")
    everything = len(decision.blocked_techniques) == len(rules.technique_ids)
    for item in decision.blocked_techniques:
        for reason in item.reasons:
            text = f"- {reason.message} [{reason.rule_id}]"
            said = [line for line in blocked if line.endswith(text)]
            holders = [b for b in decision.blocked_techniques if reason in b.reasons]
            shared = everything and len(holders) == len(decision.blocked_techniques)
            assert len(said) == (1 if shared else len(holders)), reason  # once when shared
    shown = _section(lines, "Warnings:")
    for warning in decision.warnings:
        line = f"  - {warning.severity.upper()}: {warning.message} [{warning.code}]"
        advice = rules.rule(warning.rule_id).warn.advice  # type: ignore[union-attr]
        assert (line in shown) == (bool(decision.allowed_techniques) or not advice), line
    questions = _section(lines, "Questions still to answer:")
    assert questions == [
        f"  - {field_specs()[name].question} [{name}]" for name in decision.questions
    ]
    for therapy in decision.complementary_therapies:
        assert f"  - {therapy.name}: {therapy.note}" in lines


def test_empty_profile_says_each_reason_once():
    """With nothing known, the seven reasons that block everything are said once each."""
    run = cli("evaluate", "-", stdin="{}")
    blocked = _section(run.out.splitlines(), "Blocked techniques:")
    assert blocked[0] == "  Every technique (4) is blocked, because:"
    assert len(blocked) == 8
    assert all(line.startswith("    - We need to know ") for line in blocked[1:])


def test_partly_blocked_techniques_list_their_own_reasons(tmp_path):
    """When only some techniques are blocked, each lists its own reasons under it."""
    thumb = (
        "rules:\n"
        "  - id: no-thumb\n"
        "    description: Moderate pain rules out thumb pressure.\n"
        "    when: pain_level >= 5\n"
        "    block: [thumb_pressure]\n"
        "    verdict: proceed\n"
    )
    directory = copy_rules(tmp_path / "rules", {"thumb.yaml": thumb})
    run = cli("evaluate", "--rules", directory, write_profile(tmp_path, {**SAFE, "pain_level": 5}))
    assert _section(run.out.splitlines(), "Blocked techniques:") == [
        "  - Thumb pressure (thumb_pressure)",
        "      - Moderate pain rules out thumb pressure. [no-thumb]",
    ]


def test_massage_advice_is_left_out_when_nothing_is_allowed():
    """With nothing allowed, advice on how to massage is left out, and the summary says so."""
    run = cli("evaluate", ROOT / "examples" / "open-wound.json")
    shown = _section(run.out.splitlines(), "Warnings:")
    assert not any("[gentle-pressure]" in line for line in shown)
    assert shown[-1] == (
        "  (3 pieces of advice on how to massage will be shown once a technique is allowed; "
        "--json lists every warning)"
    )
    data = json.loads(cli("evaluate", "--json", ROOT / "examples" / "open-wound.json").out)
    assert "gentle-pressure" in [w["code"] for w in data["warnings"]]


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_summary_lists_the_most_serious_warnings_first(path):
    """Warnings in the summary run from DANGER down to INFO."""
    run = cli("evaluate", path)
    lines = run.out.splitlines()
    start = lines.index("Warnings:") + 1
    ranks = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        ranks.append(SEVERITY_RANK[line[4:].split(":", 1)[0]])
    assert ranks
    assert ranks == sorted(ranks, reverse=True)


# --- evaluate --json ----------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_json_output_equals_the_python_decision(path):
    """``evaluate --json`` prints exactly the Decision evaluate() returns for the profile."""
    run = cli("evaluate", "--json", path)
    assert (run.code, run.err) == (0, "")
    assert Decision.model_validate_json(run.out) == evaluate(load_example(path))
    assert json.loads(run.out)["verdict"] == evaluate(load_example(path)).verdict


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_every_example_succeeds(path, command):
    """Every shipped example evaluates and explains with exit 0 and nothing on stderr."""
    run = cli(command, path)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("Verdict: ")


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_json_from_stdin_equals_json_from_file(path):
    """``-`` reads the profile from standard input with the same result as the file."""
    text = path.read_text(encoding="utf-8")
    from_stdin = cli("evaluate", "--json", "-", stdin=text)
    assert (from_stdin.code, from_stdin.err) == (0, "")
    assert from_stdin.out == cli("evaluate", "--json", path).out


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_stdin_summary_equals_file_summary(command):
    """Summary and explanation read from ``-`` match those read from the file."""
    path = ROOT / "examples" / "open-wound.json"
    run = cli(command, "-", stdin=path.read_text(encoding="utf-8"))
    assert (run.code, run.err) == (0, "")
    assert run.out == cli(command, path).out


def test_json_output_is_a_single_document_of_the_contract_fields():
    """The JSON output is one object holding exactly the Decision contract fields."""
    run = cli("evaluate", "--json", ROOT / "examples" / "ready-to-start.json")
    data = json.loads(run.out)
    assert set(data) == CONTRACT_DECISION_FIELDS
    assert (data["verdict"], data["verified"]) == ("proceed", True)
    assert [t["technique"] for t in data["allowed_techniques"]] == [
        "gentle_stroking",
        "circular_motions",
        "thumb_pressure",
        "ankle_leg_massage",
    ]


# --- backends -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_backends_print_the_same_json(path):
    """``--backend reference`` and ``--backend durable`` print identical decisions."""
    reference = cli("evaluate", "--json", "--backend", "reference", path)
    assert (reference.code, reference.err) == (0, "")
    assert reference.out == cli("evaluate", "--json", path).out
    durable = cli("evaluate", "--json", "--backend", "durable", path)
    reason = durable_available()
    if reason is None:
        assert (durable.code, durable.err) == (0, "")
        assert durable.out == reference.out
    else:
        assert_one_line_error(durable, f"the durable backend is not available here: {reason}")


@pytest.mark.parametrize("backend", ["durable", "reference"])
def test_backend_option_works_for_explain(backend):
    """``explain --backend`` explains the same fired rules whichever backend runs them."""
    path = ROOT / "examples" / "diabetes-not-cleared.json"
    run = cli("explain", "--backend", backend, path)
    if backend == "durable" and durable_available() is not None:
        assert run.code == 2
        return
    assert (run.code, run.err) == (0, "")
    assert run.out == cli("explain", "--backend", "reference", path).out


# --- explain ------------------------------------------------------------------------------


def explained(out: str) -> dict[str, list[str]]:
    """The explanation's rule blocks: rule id -> its lines (header first)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fired rules ("))
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("Rule set: "):
            break
        if line.startswith("    "):
            current.append(line)
        else:
            rule_id = line.split()[0]
            assert rule_id not in blocks, f"{rule_id} explained twice"
            current = blocks[rule_id] = [line]
    return blocks


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_explain_shows_every_fired_rule_with_condition_effects_and_source(path):
    """Each fired rule is listed once with its location, ``when:`` text, effects and source."""
    ruleset = default_rules()
    decision = evaluate(load_example(path))
    run = cli("explain", path)
    assert (run.code, run.err) == (0, "")
    assert f"Fired rules ({len(decision.fired_rules)}):" in run.out.splitlines()
    blocks = explained(run.out)
    assert set(blocks) == set(decision.fired_rules)
    for rule_id, block in blocks.items():
        rule = ruleset.rule(rule_id)
        header, description, when, effects, source = block
        assert header == f"  {rule.id}  ({rule.file}:{rule.line})"
        assert description == f"    {rule.description}"
        assert when == f"    when:    {' '.join(rule.when.split())}"
        assert effects.startswith("    effects: ")
        if rule.block:
            assert "block " in effects
        if rule.refer:
            assert f"refer {rule.refer}" in effects
        if rule.verdict:
            assert f"verdict {rule.verdict}" in effects
        if rule.warn:
            assert f"warn {rule.warn.severity} '{rule.warn.code}'" in effects
        if rule.ask:
            assert "ask " + ", ".join(rule.ask) in effects
        assert rule.source is not None
        assert source == f"    source:  {rule.source.document}, {rule.source.section}"


EXPLAINED_EFFECTS = [
    pytest.param(
        "open-wound",
        "red-flag-open-wounds",
        "block all techniques; refer see_doctor; verdict see_doctor; warn danger 'open-wounds'",
        id="red-flag",
    ),
    pytest.param(
        "missing-answers",
        "unknown-pain-level",
        "block all techniques; verdict needs_answers; ask pain_level",
        id="unknown",
    ),
    pytest.param(
        "diabetes-not-cleared",
        "consult-before-starting",
        "refer consult_before_starting; verdict consult_first",
        id="referral-only",
    ),
    pytest.param(
        "ready-to-start",
        "always-gentle-pressure",
        "warn caution 'gentle-pressure'",
        id="warning-only",
    ),
]


@pytest.mark.parametrize(("example", "rule_id", "effects"), EXPLAINED_EFFECTS)
def test_explain_states_the_effects_exactly(example, rule_id, effects):
    """The effects line says in words what the rule does."""
    run = cli("explain", ROOT / "examples" / f"{example}.json")
    block = explained(run.out)[rule_id]
    assert block[3] == f"    effects: {effects}"


def test_explain_shows_the_decision_first():
    """The explanation opens with the verdict, referral, allowed techniques and questions."""
    run = cli("explain", ROOT / "examples" / "missing-answers.json")
    decision = evaluate(load_example(ROOT / "examples" / "missing-answers.json"))
    assert run.out.splitlines()[:4] == [
        (
            "Verdict: needs_answers (some answers are missing; nothing is allowed until they"
            " are given)"
        ),
        f"Referral: {decision.referral.level}",
        "Allowed techniques: none",
        "Questions still to answer:",
    ]


# --- custom rules -------------------------------------------------------------------------

CUSTOM_RULES = (
    'version: "1.0"\n'
    + SOAK_CATALOGUE
    + """\
rules:
  - id: wounds-no-soak
    description: Open wounds rule out soaking.
    when: >-
      open_wounds
        or foot_infection
    block: all
    refer: see_doctor
    verdict: see_doctor
    source: {document: test-doc, section: Wounds}
  - id: ask-wounds
    description: Ask about wounds first.
    when: open_wounds is unknown
    block: [soak]
    verdict: needs_answers
    ask: [open_wounds]
"""
)


@pytest.fixture
def custom_rules(tmp_path: Path) -> Path:
    """A directory holding a small, valid rule set."""
    return write(tmp_path / "custom", {"catalogue.yaml": CUSTOM_RULES})


@pytest.fixture
def broken_rules(tmp_path: Path) -> Path:
    """A directory holding a rule file whose condition names an unknown field."""
    return write(tmp_path / "broken", {"catalogue.yaml": BROKEN_RULES})


@pytest.mark.parametrize(
    ("profile", "verdict", "allowed"),
    [
        pytest.param({"open_wounds": True}, "see_doctor", [], id="wound"),
        pytest.param({"open_wounds": False}, "proceed", ["soak"], id="no-wound"),
        pytest.param({}, "needs_answers", [], id="unknown"),
    ],
)
def test_custom_rule_directory_is_used(tmp_path, custom_rules, profile, verdict, allowed):
    """``--rules DIR`` evaluates against that rule set instead of the built-in one."""
    run = cli(
        "evaluate",
        "--json",
        "--unverified",
        "--rules",
        custom_rules,
        write_profile(tmp_path, profile),
    )
    assert (run.code, run.err) == (0, "")
    decision = Decision.model_validate_json(run.out)
    assert decision == evaluate(profile, rules=load_unproved(custom_rules))
    assert decision.verdict == verdict
    assert [t.technique for t in decision.allowed_techniques] == allowed
    assert decision.ruleset_version.startswith("1.0+")
    assert decision.complementary_therapies == ()


def test_custom_rule_file_is_used(tmp_path, custom_rules):
    """``--rules`` also accepts a single rule file."""
    path = write_profile(tmp_path, {"open_wounds": False})
    run = cli("evaluate", "--unverified", "--rules", custom_rules / "catalogue.yaml", path)
    assert (run.code, run.err) == (0, "")
    assert "  - Warm soak (soak): whole foot, light pressure at most" in run.out.splitlines()


def test_explain_with_custom_rules_is_exact(tmp_path, custom_rules):
    """``explain --rules`` prints the custom rule with its folded condition on one line."""
    path = write_profile(tmp_path, {"open_wounds": True})
    run = cli("explain", "--unverified", "--rules", custom_rules, path)
    assert (run.code, run.err) == (0, "")
    version_ = load_unproved(custom_rules).version
    assert run.out == (
        "Verdict: see_doctor (see a doctor; no massage for now)\n"
        "Referral: see_doctor\n"
        "Allowed techniques: none\n"
        "Fired rules (1):\n"
        f"  wounds-no-soak  ({custom_rules / 'catalogue.yaml'}:9)\n"
        "    Open wounds rule out soaking.\n"
        "    when:    open_wounds or foot_infection\n"
        "    effects: block all techniques; refer see_doctor; verdict see_doctor\n"
        "    source:  test-doc, Wounds\n"
        f"Rule set: {version_}\n"
        "What you can do:\n"
        "  nothing you can do yourself would change the verdict\n"
        "What would change this (for clinicians: health facts, not things to do):\n"
        "  - if open_wounds were false instead of true => proceed\n"
    )


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_broken_rule_directory_exits_2_naming_file_rule_and_line(tmp_path, broken_rules, command):
    """A bad rule file gives exit 2 and an error naming the file, rule id, line and column."""
    run = cli(command, "--rules", broken_rules, write_profile(tmp_path, SAFE))
    assert_clean_failure(run)
    assert run.err == (
        "neurotriage: error: 1 problem in rule set:\n"
        f"{broken_rules / 'catalogue.yaml'}:10:11: rule 'bad-field': in 'when': unknown field"
        " 'pain_levle' (did you mean 'pain_level'?)\n"
        "        when: pain_levle >= 7\n"
        "              ^\n"
    )


def test_broken_rules_report_every_problem(tmp_path, broken_rules):
    """Every problem in the rule files is reported in the one error."""
    more = "rules:\n  - id: no-effect\n    description: Does nothing.\n    when: diabetes\n"
    write(broken_rules, {"more.yaml": more})
    run = cli("evaluate", "--rules", broken_rules, write_profile(tmp_path, SAFE))
    assert_clean_failure(run)
    assert run.err.startswith("neurotriage: error: 2 problems in rule set:\n")
    assert "catalogue.yaml:10:11: rule 'bad-field':" in run.err
    assert "more.yaml:2:5: rule 'no-effect': the rule has no effect" in run.err


def test_missing_rule_directory_exits_2(tmp_path):
    """``--rules`` naming nothing gives exit 2 and says so."""
    missing = tmp_path / "nowhere"
    run = cli("evaluate", "--rules", missing, write_profile(tmp_path, SAFE))
    assert_clean_failure(run)
    assert run.err == (
        f"neurotriage: error: 1 problem in rule set:\n{missing}: no such file or directory\n"
    )


def test_rule_directory_without_rule_files_exits_2(tmp_path):
    """``--rules`` naming a directory with no YAML files gives exit 2 and says so."""
    empty = tmp_path / "empty"
    empty.mkdir()
    run = cli("evaluate", "--rules", empty, write_profile(tmp_path, SAFE))
    assert_clean_failure(run)
    assert run.err == (
        "neurotriage: error: 1 problem in rule set:\n"
        f"{empty}: the directory holds no .yaml or .yml rule files\n"
    )


# --- schema -------------------------------------------------------------------------------

#: The JSON Schema (2020-12) keywords a schema of ours may use; anything else is a typo.
#: neurotriage's own annotations on Profile fields (JSON Schema ignores unknown keywords)
FIELD_ANNOTATIONS = {"question", "relaxing", "actionable", "action"}

SCHEMA_KEYWORDS = FIELD_ANNOTATIONS | {
    "$defs",
    "$ref",
    "additionalProperties",
    "allOf",
    "anyOf",
    "const",
    "default",
    "description",
    "enum",
    "examples",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "items",
    "maxItems",
    "maxLength",
    "maximum",
    "minItems",
    "minLength",
    "minimum",
    "oneOf",
    "pattern",
    "properties",
    "required",
    "title",
    "type",
    "uniqueItems",
}
JSON_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def check_schema(schema: Any, root: dict[str, Any], where: str = "#") -> None:
    """Fail unless ``schema`` is a well-formed JSON Schema whose references all resolve."""
    assert isinstance(schema, dict), where
    assert set(schema) <= SCHEMA_KEYWORDS, f"{where}: {set(schema) - SCHEMA_KEYWORDS}"
    kinds = schema.get("type", [])
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        assert kind in JSON_TYPES, f"{where}: type {kind!r}"
    if "$ref" in schema:
        prefix, _, name = schema["$ref"].rpartition("/")
        assert prefix == "#/$defs", f"{where}: $ref {schema['$ref']}"
        assert name in root.get("$defs", {}), f"{where}: dangling $ref {schema['$ref']}"
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            check_schema(sub, root, f"{where}/{key}/{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key, [])):
            check_schema(sub, root, f"{where}/{key}/{index}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            check_schema(schema[key], root, f"{where}/{key}")
    assert set(schema.get("required", [])) <= set(schema.get("properties", {})), where


def conforms(instance: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """Whether ``instance`` is valid against ``schema`` (the keywords pydantic emits)."""
    if "$ref" in schema:
        return conforms(instance, root["$defs"][schema["$ref"].rpartition("/")[2]], root)
    checks = [
        "anyOf" not in schema or any(conforms(instance, s, root) for s in schema["anyOf"]),
        "enum" not in schema or instance in schema["enum"],
        "const" not in schema or instance == schema["const"],
    ]
    if "type" in schema:
        kind = schema["type"]
        numeric = kind in ("integer", "number")
        checks.append(isinstance(instance, JSON_TYPES[kind]))
        checks.append(not (numeric and isinstance(instance, bool)))
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        checks.append(instance >= schema.get("minimum", instance))
        checks.append(instance <= schema.get("maximum", instance))
    if isinstance(instance, list):
        checks.append(len(instance) >= schema.get("minItems", 0))
        if "items" in schema:
            checks.append(all(conforms(item, schema["items"], root) for item in instance))
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        checks.append(all(name in instance for name in schema.get("required", [])))
        for name, value in instance.items():
            if name in properties:
                checks.append(conforms(value, properties[name], root))
            else:
                checks.append(schema.get("additionalProperties", True) is not False)
    return all(checks)


@pytest.mark.parametrize(
    ("model", "cls", "fields"),
    [
        pytest.param("profile", Profile, CONTRACT_PROFILE_FIELDS, id="profile"),
        pytest.param("decision", Decision, CONTRACT_DECISION_FIELDS, id="decision"),
    ],
)
def test_schema_is_a_valid_json_schema_of_the_contract(model, cls, fields):
    """``schema MODEL`` prints the model's JSON Schema, well formed, with the contract fields."""
    run = cli("schema", model)
    assert (run.code, run.err) == (0, "")
    schema = json.loads(run.out)
    assert schema == cls.model_json_schema()
    check_schema(schema, schema)
    assert schema["type"] == "object"
    assert fields <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_profile_schema_accepts_every_example_and_rejects_bad_profiles():
    """The profile schema accepts the examples and rejects what Profile rejects."""
    schema = json.loads(cli("schema", "profile").out)
    for path in EXAMPLES:
        assert conforms(load_example(path), schema, schema), path.name
    assert conforms({}, schema, schema)
    assert conforms(SAFE, schema, schema)
    for bad in [
        {"diabetis": True},
        {"pain_level": "7"},
        {"pain_level": 11},
        {"pain_level": -1},
        {"pain_level": True},
        {"neuropathy_severity": "extreme"},
        {"requested_pressure": "deep"},
        {"other_conditions": "diabetes"},
        {"cleared_by_clinician": None},
    ]:
        assert not conforms(bad, schema, schema), bad


def test_decision_schema_accepts_every_decision_and_rejects_bad_ones():
    """The decision schema accepts each example's decision and rejects a mangled one."""
    schema = json.loads(cli("schema", "decision").out)
    assert set(schema["required"]) == CONTRACT_DECISION_FIELDS - {"verified"}  # it defaults
    assert set(schema["properties"]) == CONTRACT_DECISION_FIELDS
    for path in EXAMPLES:
        data = json.loads(cli("evaluate", "--json", path).out)
        assert conforms(data, schema, schema), path.name
        assert not conforms({**data, "verdict": "maybe"}, schema, schema)
        assert not conforms({k: v for k, v in data.items() if k != "verdict"}, schema, schema)
        assert not conforms({**data, "extra": 1}, schema, schema)


# --- version, help, usage errors ----------------------------------------------------------


def test_version_prints_the_package_version():
    """``--version`` prints ``neurotriage <version>`` from the package metadata, exit 0."""
    run = cli("--version")
    assert run == Run(0, f"neurotriage {version('neurotriage')} ({backends_summary()})\n", "")
    assert neurotriage.__version__ == version("neurotriage")


def test_help_lists_the_commands():
    """``--help`` prints usage with every command to stdout, exit 0."""
    run = cli("--help")
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("usage: neurotriage ")
    for command in ("evaluate", "explain", "schema"):
        assert command in run.out


USAGE_ERRORS = [
    pytest.param(
        ["frobnicate"],
        "neurotriage: error: argument COMMAND: invalid choice: 'frobnicate'",
        id="unknown-subcommand",
    ),
    pytest.param(
        ["evaluate", "--backend", "fast", "x.json"],
        "neurotriage evaluate: error: argument --backend: invalid choice: 'fast'",
        id="unknown-backend",
    ),
    pytest.param(
        ["evaluate"],
        "neurotriage evaluate: error: the following arguments are required: FILE",
        id="missing-file-argument",
    ),
    pytest.param(
        ["explain"],
        "neurotriage explain: error: the following arguments are required: FILE",
        id="explain-missing-file-argument",
    ),
    pytest.param(
        ["schema"],
        "neurotriage schema: error: the following arguments are required: model",
        id="schema-missing-model",
    ),
    pytest.param(
        ["schema", "rules"],
        "neurotriage schema: error: argument model: invalid choice: 'rules'",
        id="schema-unknown-model",
    ),
    pytest.param(
        [],
        "neurotriage: error: the following arguments are required: COMMAND",
        id="no-command",
    ),
    pytest.param(
        ["explain", "--json", "x.json"],
        "neurotriage: error: unrecognized arguments: --json",
        id="json-on-explain",
    ),
]


@pytest.mark.parametrize(("argv", "message"), USAGE_ERRORS)
def test_usage_errors_exit_2_with_usage_and_one_error_line(argv, message, capsys):
    """A command-line mistake gives exit 2, the usage, and one error line on our stderr."""
    run = cli(*argv)
    assert_clean_failure(run)
    assert run.err.startswith("usage: neurotriage")
    assert run.err.splitlines()[-1].startswith(message)
    assert capsys.readouterr() == ("", "")  # nothing leaked to the real streams


# --- bad profiles -------------------------------------------------------------------------

BAD_PROFILES = [
    pytest.param(
        b'{"pain_level": 3,\n "diabetes": }',
        "{path} is not valid JSON: Expecting value at line 2, column 14",
        id="invalid-json",
    ),
    pytest.param(b"", "{path} is not valid JSON: Expecting value at line 1, column 1", id="empty"),
    pytest.param(
        b"[1, 2]",
        "{path} must hold a JSON object of profile fields, not an array",
        id="list-not-object",
    ),
    pytest.param(
        b'{"diabetes": true, "diabetes": false}',
        "{path} is not a valid profile: duplicate key 'diabetes'",
        id="duplicate-key",
    ),
    pytest.param(
        b'{"diabetis": true}',
        "{path} is not a valid profile: field 'diabetis': unknown field (got true)",
        id="unknown-field",
    ),
    pytest.param(
        b'{"pain_level": "7"}',
        "{path} is not a valid profile: field 'pain_level': Input should be a valid integer"
        ' (got "7")',
        id="pain-as-string",
    ),
    pytest.param(
        b'{"pain_level": 7.5}',
        "{path} is not a valid profile: field 'pain_level': Input should be a valid integer"
        " (got 7.5)",
        id="pain-as-float",
    ),
    pytest.param(
        b'{"pain_level": 11}',
        "{path} is not a valid profile: field 'pain_level': Input should be less than or equal"
        " to 10 (got 11)",
        id="pain-too-high",
    ),
    pytest.param(
        b'{"pain_level": -1}',
        "{path} is not a valid profile: field 'pain_level': Input should be greater than or"
        " equal to 0 (got -1)",
        id="pain-negative",
    ),
    pytest.param(
        b'{"diabetes": "yes"}',
        "{path} is not a valid profile: field 'diabetes': Input should be a valid boolean"
        ' (got "yes")',
        id="bool-as-string",
    ),
    pytest.param(
        b'{"diabetis": true, "pain_level": 11}',
        "{path} is not a valid profile: field 'pain_level': Input should be less than or equal"
        " to 10 (got 11); field 'diabetis': unknown field (got true)",
        id="every-problem",
    ),
    pytest.param(
        b'{"diabetes": \xff}',
        "cannot read {path}: 'utf-8' codec can't decode byte 0xff in position 13:"
        " invalid start byte",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_PROFILES)
@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_bad_profile_exits_2_with_one_exact_line(tmp_path, command, content, message):
    """A bad profile file gives exit 2 and one exact error line, never a traceback."""
    path = tmp_path / "profile.json"
    path.write_bytes(content)
    assert_one_line_error(cli(command, path), message.format(path=path))


def test_missing_profile_file_exits_2(tmp_path):
    """A profile file that does not exist gives exit 2 and says so."""
    path = tmp_path / "nope.json"
    assert_one_line_error(cli("evaluate", path), f"cannot read {path}: No such file or directory")


def test_directory_as_profile_exits_2(tmp_path):
    """A directory given as FILE gives exit 2 and says it is a directory."""
    assert_one_line_error(cli("evaluate", tmp_path), f"cannot read {tmp_path}: Is a directory")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "{",
            "standard input is not valid JSON: Expecting property name enclosed in double"
            " quotes at line 1, column 2",
            id="invalid-json",
        ),
        pytest.param(
            "", "standard input is not valid JSON: Expecting value at line 1, column 1", id="empty"
        ),
        pytest.param(
            '"open_wounds"',
            "standard input must hold a JSON object of profile fields, not a string",
            id="string-not-object",
        ),
        pytest.param(
            '{"open_wound": true}',
            "standard input is not a valid profile: field 'open_wound': unknown field (got true)",
            id="unknown-field",
        ),
    ],
)
def test_bad_profile_on_stdin_exits_2_naming_standard_input(text, message):
    """A bad profile on standard input gives exit 2 and calls it ``standard input``."""
    assert_one_line_error(cli("evaluate", "-", stdin=text), message)


def test_json_null_profile_is_described_in_json_terms(tmp_path):
    """A file holding JSON ``null`` is called null, not by a Python type name."""
    path = tmp_path / "profile.json"
    path.write_text("null", encoding="utf-8")
    run = cli("evaluate", path)
    assert_clean_failure(run)
    prefix = f"neurotriage: error: {path} must hold a JSON object of profile fields, not "
    assert run.err.startswith(prefix)
    named = run.err.removeprefix(prefix)
    assert "null" in named
    assert "NoneType" not in named


def test_deeply_nested_json_exits_2_without_traceback(tmp_path):
    """Pathologically nested JSON is reported as bad input, not a crash."""
    path = tmp_path / "profile.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    run = cli("evaluate", path)
    assert_clean_failure(run)
    assert run.err.startswith(f"neurotriage: error: {path} ")
    assert run.err.count("\n") == 1


def test_profile_file_over_1_mib_is_refused_unread(tmp_path):
    """A file over 1 MiB (a profile is a few KB) gives exit 2 without being parsed."""
    path = tmp_path / "profile.json"
    path.write_text('{"other_conditions": ["' + "x" * (2 * 1024 * 1024) + '"]}', encoding="utf-8")
    assert_one_line_error(
        cli("evaluate", path), f"{path} is too large to be a profile: more than 1 MiB"
    )


def test_10_mb_string_on_stdin_is_refused():
    """A 10 MB JSON string on standard input is refused by size, with one line."""
    run = cli("evaluate", "-", stdin='"' + "x" * 10_000_000 + '"')
    assert_one_line_error(run, "standard input is too large to be a profile: more than 1 MiB")


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        pytest.param(
            {"other_conditions": ["x" * 300]},
            "field 'other_conditions.0': String should have at most 200 characters"
            ' (got "' + "x" * 60 + '..." (300 characters))',
            id="long-string",
        ),
        pytest.param(
            {"other_conditions": ["gout"] * 101},
            "field 'other_conditions': List should have at most 100 items after validation,"
            " not 101 (got an array of 101 items)",
            id="long-list",
        ),
        pytest.param(
            {"diabetes": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]] * 3},
            "field 'diabetes': Input should be a valid boolean (got "
            + json.dumps([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]] * 3)[:60]
            + "...)",
            id="long-json",
        ),
        pytest.param(
            {"k" * 100: True},
            "field '" + "k" * 60 + "... (100 characters)': unknown field (got true)",
            id="long-key",
        ),
        pytest.param(
            {f"unknown_{index:02d}": index for index in range(15)},
            "; ".join(f"field 'unknown_{i:02d}': unknown field (got {i})" for i in range(10))
            + "; and 5 more problems",
            id="many-problems",
        ),
    ],
)
def test_bad_values_are_shown_cut_short(tmp_path, profile, message):
    """A long bad value or key is shown cut to 60 characters; at most 10 problems are listed."""
    path = write_profile(tmp_path, profile)
    assert_one_line_error(cli("evaluate", path), f"{path} is not a valid profile: {message}")


def test_main_defaults_to_the_process_streams(monkeypatch, capsys):
    """Without arguments, main() reads sys.argv and sys.stdin and writes to sys.stdout."""
    text = (ROOT / "examples" / "sharp-pain.json").read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["neurotriage", "evaluate", "-"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main() == 0
    out, err = capsys.readouterr()
    assert out.startswith("Verdict: stop (stop the massage now)\n")
    assert err == ""


# --- the real process ---------------------------------------------------------------------

SCRIPT = Path(sysconfig.get_path("scripts")) / "neurotriage"


def run_process(
    *argv: str | os.PathLike[str], stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    """Run a command with a fixed UTF-8 locale, capturing text output."""
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    env.pop("PYTHONUTF8", None)
    return subprocess.run(
        [os.fspath(a) for a in argv],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
        env=env,
    )


def test_python_m_neurotriage_prints_the_version():
    """``python -m neurotriage --version`` works like the console script."""
    done = run_process(sys.executable, "-m", "neurotriage", "--version")
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode() == f"neurotriage {version('neurotriage')} ({backends_summary()})\n"


def test_console_script_reports_bad_input_without_traceback(tmp_path):
    """The installed ``neurotriage`` script turns bad input into exit 2 and one line."""
    path = tmp_path / "profile.json"
    path.write_text('{"pain_level": "7"}', encoding="utf-8")
    done = run_process(SCRIPT, "evaluate", path)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode() == (
        f"neurotriage: error: {path} is not a valid profile: field 'pain_level':"
        ' Input should be a valid integer (got "7")\n'
    )


def test_console_script_evaluates_from_stdin():
    """The installed script reads ``-`` from its real standard input."""
    profile = (ROOT / "examples" / "open-wound.json").read_bytes()
    done = run_process(SCRIPT, "evaluate", "--json", "-", stdin=profile)
    assert (done.returncode, done.stderr) == (0, b"")
    assert Decision.model_validate_json(done.stdout) == evaluate(json.loads(profile))


def test_console_script_rejects_non_utf8_stdin():
    """Non-UTF-8 bytes on standard input are refused like those in a file, not mangled."""
    done = run_process(
        SCRIPT, "evaluate", "-", stdin=b'{"other_conditions": ["caf\xe9"], "pain_level": 2}'
    )
    assert done.returncode == 2
    assert done.stdout == b""
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr
    assert stderr.startswith(
        "neurotriage: error: cannot read standard input: 'utf-8' codec can't decode byte 0xe9"
    )


def test_fallback_to_reference_is_silent_and_version_says_so(monkeypatch, tmp_path):
    """Where durable-rules cannot import, the CLI uses reference quietly; --version names it."""
    from neurotriage import engines  # noqa: PLC0415

    monkeypatch.setattr(engines, "durable_available", lambda: "ImportError: no durable here")
    run = cli("evaluate", ROOT / "examples" / "open-wound.json")
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("Verdict: see_doctor")
    version = cli("--version")
    assert version.out.endswith(
        "(backends: reference (durable-rules unavailable: ImportError: no durable here))\n"
    )
    failed = cli("evaluate", "--backend", "durable", ROOT / "examples" / "open-wound.json")
    assert failed.code == 2
    assert failed.err == (
        "neurotriage: error: the durable backend is not available here: "
        "ImportError: no durable here\n"
    )

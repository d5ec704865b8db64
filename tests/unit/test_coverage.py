"""Rule coverage: rule_coverage(), CoverageRecorder and ``neurotriage coverage``."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from neurotriage import Profile, RuleSet, evaluate
from neurotriage.analysis import CoverageRecorder, RuleCoverage, rule_coverage
from tests.clitools import assert_clean_failure, cli
from tests.conftest import FIXTURES, ROOT
from tests.rulefiles import ONE_TECHNIQUE, TWO_FLAGS, load_unproved, write, write_file

CORPUS = FIXTURES / "corpus" / "examples.jsonl"

#: A rule set small enough to spell its whole report out: four rules, on lines 9, 14, 19 and 24.
SMALL = (
    'version: "1.0"\n'
    + ONE_TECHNIQUE
    + TWO_FLAGS
    + """\
  - id: severe-pain
    description: Severe pain rules out massage.
    when: pain_level >= 7
    block: all
    verdict: see_doctor
  - id: firm
    description: Firm pressure is warned against.
    when: requested_pressure == "firm"
    warn: {code: firm, severity: danger, message: Use light pressure only.}
"""
)
#: Two wounds, one severe pain, no infection, no firm pressure: 2 of 4 rules fired.
SMALL_CORPUS = (
    '{"open_wounds": true}\n{"open_wounds": true, "pain_level": 8}\n{"foot_infection": false}\n'
)


def corpus_lines() -> list[dict[str, Any]]:
    """The corpus fixture, one dict per line."""
    text = CORPUS.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def counted(profiles: list[dict[str, Any]], rules: RuleSet | None = None) -> Counter[str]:
    """How often each rule fired, counted here by evaluating every profile."""
    counts: Counter[str] = Counter()
    for profile in profiles:
        counts.update(evaluate(profile, rules=rules, backend="reference").fired_rules)
    return counts


def write_corpus(path: Path, text: str) -> Path:
    """Write the corpus ``text`` to ``path`` and return it."""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path) -> Path:
    """The small rule set as a one-file directory."""
    return write(tmp_path / "rules", {"small.yaml": SMALL})


# --- the corpus fixture -------------------------------------------------------------------


def test_corpus_fixture_holds_the_shipped_examples():
    """Every line of the corpus fixture is one of the shipped examples, each once."""
    examples = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "examples").glob("*.json"))
    ]
    assert corpus_lines() == examples


# --- rule_coverage() ----------------------------------------------------------------------


def test_counts_match_evaluating_each_profile(rules):
    """Counts, evaluations, never-fired and percent agree with evaluating profile by profile."""
    profiles = corpus_lines()
    expected = counted(profiles)
    coverage = rule_coverage(profiles)
    assert coverage.evaluations == len(profiles) == 6
    assert {k: v for k, v in coverage.counts.items() if v} == dict(expected)
    never = [rule.id for rule in rules.rules if rule.id not in expected]
    assert [rule.id for rule in coverage.never_fired] == never
    assert coverage.fired == len(rules.rules) - len(never) == len(expected)
    assert coverage.percent == pytest.approx(100 * len(expected) / len(rules.rules))


def test_known_facts_of_the_example_corpus():
    """The examples fire the always-rules six times and never reach an infection or severe pain."""
    coverage = rule_coverage(corpus_lines())
    assert coverage.counts["always-gentle-pressure"] == 6
    assert coverage.counts["red-flag-open-wounds"] == 1
    assert coverage.counts["sharp-pain-stop"] == 1
    never = {rule.id for rule in coverage.never_fired}
    assert {"red-flag-foot-infection", "red-flag-severe-pain", "unknown-diabetes"} <= never
    assert "consult-before-starting" not in never


def test_profiles_and_mappings_count_alike():
    """Profile objects and plain dicts give the same coverage."""
    profiles = corpus_lines()
    as_models = [Profile.model_validate(p) for p in profiles]
    assert rule_coverage(as_models).counts == rule_coverage(profiles).counts


def test_both_backends_count_alike(backend):
    """Each backend gives the counts the reference evaluation gives."""
    profiles = corpus_lines()
    coverage = rule_coverage(profiles, backend=backend)
    assert {k: v for k, v in coverage.counts.items() if v} == dict(counted(profiles))


def test_custom_rules(small):
    """rules= counts against that rule set; percent is fired over its rule count."""
    rules = load_unproved(small)
    coverage = rule_coverage([json.loads(line) for line in SMALL_CORPUS.splitlines()], rules=rules)
    assert coverage.rules is rules
    assert dict(coverage.counts) == {"wounds": 2, "severe-pain": 1}
    assert [rule.id for rule in coverage.never_fired] == ["infection", "firm"]
    assert (coverage.fired, coverage.percent, coverage.evaluations) == (2, 50.0, 3)


def test_empty_corpus(rules):
    """No profiles: nothing evaluated, every rule never fired, 0 percent."""
    coverage = rule_coverage([])
    assert coverage.evaluations == 0
    assert dict(coverage.counts) == {}
    assert coverage.never_fired == tuple(rules.rules)
    assert (coverage.fired, coverage.percent) == (0, 0.0)


def test_as_dict(small):
    """as_dict() gives version, evaluations, rounded percent, every rule located, never-fired."""
    rules = load_unproved(small)
    coverage = RuleCoverage(rules, {"wounds": 2, "firm": 1}, 3)
    file = str(small / "small.yaml")
    assert coverage.as_dict() == {
        "ruleset_version": rules.version,
        "evaluations": 3,
        "percent": 50.0,
        "rules": [
            {"rule_id": "wounds", "file": file, "line": 9, "fired": 2},
            {"rule_id": "infection", "file": file, "line": 14, "fired": 0},
            {"rule_id": "severe-pain", "file": file, "line": 19, "fired": 0},
            {"rule_id": "firm", "file": file, "line": 24, "fired": 1},
        ],
        "never_fired": ["infection", "severe-pain"],
    }


def test_percent_is_rounded_in_json_only(rules):
    """One of 28 rules is 3.57...%: exact as a property, 3.6 in as_dict()."""
    coverage = RuleCoverage(rules, {"sharp-pain-stop": 1}, 1)
    assert coverage.percent == 100 / 28
    assert coverage.as_dict()["percent"] == 3.6


# --- CoverageRecorder ---------------------------------------------------------------------


def test_recorder_keeps_one_coverage_per_rule_set_in_order(small, rules):
    """Decisions of two rule sets are counted apart, in the order each was first seen."""
    other = load_unproved(small)
    recorder = CoverageRecorder()
    for profile, ruleset in [
        ({"open_wounds": True}, other),
        ({"open_wounds": True}, rules),
        ({"pain_level": 9}, other),
    ]:
        recorder.record(ruleset, evaluate(profile, rules=ruleset, backend="reference"))
    first, second = recorder.coverage()
    assert (first.rules, first.evaluations) == (other, 2)
    assert dict(first.counts) == {"wounds": 1, "severe-pain": 1}
    assert (second.rules, second.evaluations) == (rules, 1)
    assert second.counts["red-flag-open-wounds"] == 1


def test_recorder_counts_every_decision_across_threads(rules):
    """Decisions recorded from many threads at once are all counted."""
    recorder = CoverageRecorder()
    decision = evaluate({"open_wounds": True}, backend="reference")

    def record() -> None:
        for _ in range(200):
            recorder.record(rules, decision)

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (coverage,) = recorder.coverage()
    assert coverage.evaluations == 1600
    assert coverage.counts["red-flag-open-wounds"] == 1600


def test_empty_recorder():
    """A recorder that saw nothing reports no rule set."""
    assert CoverageRecorder().coverage() == []


# --- neurotriage coverage -----------------------------------------------------------------


def test_cli_text_is_exact(small, tmp_path):
    """The text report: a summary line, every rule with its count and place, then never-fired."""
    corpus = write_corpus(tmp_path / "corpus.jsonl", SMALL_CORPUS)
    run = cli("coverage", "--rules", small, corpus)
    assert (run.code, run.err) == (0, "")
    file = small / "small.yaml"
    assert run.out == (
        f"Rule set {load_unproved(small).version}: 3 profiles, 2 of 4 rules fired (50.0%)\n"
        f"         2  wounds       {file}:9\n"
        f"         0  infection    {file}:14\n"
        f"         1  severe-pain  {file}:19\n"
        f"         0  firm         {file}:24\n"
        "Never fired (2):\n"
        f"  {file}:14: infection\n"
        f"  {file}:24: firm\n"
    )


def test_cli_text_on_the_example_corpus(rules):
    """On the built-in rules, each line's count and the never-fired list match evaluation."""
    expected = counted(corpus_lines())
    run = cli("coverage", CORPUS)
    assert (run.code, run.err) == (0, "")
    lines = run.out.splitlines()
    total = len(rules.rules)
    assert lines[0] == (
        f"Rule set {rules.version}: 6 profiles, {len(expected)} of {total} rules fired "
        f"({100 * len(expected) / total:.1f}%)"
    )
    rows = lines[1 : 1 + total]
    for rule, row in zip(rules.rules, rows, strict=True):
        count, rule_id, place = row.split()
        assert (int(count), rule_id, place) == (
            expected[rule.id],
            rule.id,
            f"{rule.file}:{rule.line}",
        )
    never = [rule for rule in rules.rules if rule.id not in expected]
    assert lines[1 + total :] == [
        f"Never fired ({len(never)}):",
        *(f"  {rule.file}:{rule.line}: {rule.id}" for rule in never),
    ]
    assert str(ROOT / "rules" / "session.yaml") in run.out


def test_cli_json(rules):
    """--format json gives the counts, never-fired list and rounded percent."""
    expected = counted(corpus_lines())
    run = cli("coverage", "--format", "json", CORPUS)
    assert (run.code, run.err) == (0, "")
    data = json.loads(run.out)
    assert data["ruleset_version"] == rules.version
    assert data["evaluations"] == 6
    assert data["percent"] == round(100 * len(expected) / len(rules.rules), 1)
    assert [(r["rule_id"], r["fired"]) for r in data["rules"]] == [
        (rule.id, expected[rule.id]) for rule in rules.rules
    ]
    assert data["never_fired"] == [rule.id for rule in rules.rules if rule.id not in expected]


def test_cli_backends_agree(backend):
    """--backend changes nothing in the report."""
    run = cli("coverage", "--backend", backend, CORPUS)
    assert (run.code, run.err) == (0, "")
    assert run.out == cli("coverage", "--backend", "reference", CORPUS).out


def test_cli_reads_standard_input(small):
    """``-`` reads the corpus from standard input."""
    run = cli("coverage", "--rules", small, "-", stdin=SMALL_CORPUS)
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith(f"Rule set {load_unproved(small).version}: 3 profiles, 2 of 4 rules")


@pytest.mark.parametrize(
    ("threshold", "code"),
    [
        pytest.param("49.9", 0, id="above"),
        pytest.param("50", 0, id="at"),
        pytest.param("50.0", 0, id="at-float"),
        pytest.param("50.01", 1, id="just-below"),
        pytest.param("100", 1, id="full"),
        pytest.param("0", 0, id="zero"),
    ],
)
def test_cli_fail_under(small, tmp_path, threshold, code):
    """--fail-under exits 1 when fewer rules fired than asked, 0 at or above; report printed."""
    corpus = write_corpus(tmp_path / "corpus.jsonl", SMALL_CORPUS)
    run = cli("coverage", "--rules", small, "--fail-under", threshold, corpus)
    assert (run.code, run.err) == (code, "")
    assert "2 of 4 rules fired (50.0%)" in run.out


def test_cli_fail_under_uses_the_unrounded_share(tmp_path):
    """16 of 28 is 57.14...%: --fail-under 57.1 passes, 57.2 fails on the example corpus."""
    assert len(counted(corpus_lines())) == 16  # the premise of the two thresholds
    assert cli("coverage", "--fail-under", "57.1", CORPUS).code == 0
    assert cli("coverage", "--fail-under", "57.2", CORPUS).code == 1


def test_cli_bad_lines_are_named_by_number(tmp_path):
    """A line that is not JSON or not a valid profile exits 2 naming its line number."""
    corpus = write_corpus(
        tmp_path / "bad.jsonl",
        '{"open_wounds": true}\n\nnot json\n{"pain_level": 11}\n',
    )
    run = cli("coverage", corpus)
    assert_clean_failure(run)
    assert run.err == (
        f"neurotriage: error: {corpus}: line 3 is not valid JSON: Expecting value at "
        "column 1; line 4 is not a valid profile: field 'pain_level': Input should be less "
        "than or equal to 10 (got 11)\n"
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param(
            '{"pain_levle": 3}',
            "line 2 is not a valid profile: field 'pain_levle': unknown field (got 3)",
            id="unknown-field",
        ),
        pytest.param(
            '{"diabetes": "yes"}',
            "line 2 is not a valid profile: field 'diabetes': Input should be a valid boolean"
            ' (got "yes")',
            id="wrong-type",
        ),
        pytest.param(
            "[1, 2]",
            "line 2 must hold a JSON object of profile fields, not an array",
            id="not-an-object",
        ),
        pytest.param(
            '{"open_wounds": true, "open_wounds": false}',
            "line 2 is not a valid profile: duplicate key 'open_wounds'",
            id="duplicate-key",
        ),
    ],
)
def test_cli_each_kind_of_bad_line(tmp_path, line, problem):
    """Each kind of bad line is reported with its number and what is wrong."""
    corpus = write_corpus(tmp_path / "bad.jsonl", f'{{"open_wounds": false}}\n{line}\n')
    run = cli("coverage", corpus)
    assert_clean_failure(run)
    assert run.err == f"neurotriage: error: {corpus}: {problem}\n"


def test_cli_reports_five_bad_lines_and_counts_the_rest(tmp_path):
    """Many bad lines: the first five are shown and the rest counted."""
    corpus = write_corpus(tmp_path / "bad.jsonl", "".join(f'{{"f{n}": 1}}\n' for n in range(1, 8)))
    run = cli("coverage", corpus)
    assert_clean_failure(run)
    shown = "; ".join(
        f"line {n} is not a valid profile: field 'f{n}': unknown field (got 1)" for n in range(1, 6)
    )
    assert run.err == f"neurotriage: error: {corpus}: {shown} (and 2 more)\n"


def test_cli_blank_lines_are_skipped(small, tmp_path):
    """Blank and whitespace-only lines are skipped, not counted and not errors."""
    padded = "\n" + SMALL_CORPUS.replace("\n", "\n   \n", 1) + "\n\t\n"
    plain = cli("coverage", "--rules", small, write_corpus(tmp_path / "plain.jsonl", SMALL_CORPUS))
    run = cli("coverage", "--rules", small, write_corpus(tmp_path / "padded.jsonl", padded))
    assert (run.code, run.err) == (0, "")
    assert run.out == plain.out


def test_cli_line_numbers_count_blank_lines(tmp_path):
    """The line number of a bad line counts the blank lines before it."""
    corpus = write_corpus(tmp_path / "bad.jsonl", '\n\n{"open_wounds": true}\n\n{oops}\n')
    run = cli("coverage", corpus)
    assert_clean_failure(run)
    assert run.err.startswith(f"neurotriage: error: {corpus}: line 5 is not valid JSON: ")


def test_cli_crlf_and_byte_order_mark(small, tmp_path):
    """Windows line endings and a leading byte-order mark are accepted."""
    corpus = tmp_path / "windows.jsonl"
    corpus.write_bytes(b"\xef\xbb\xbf" + SMALL_CORPUS.replace("\n", "\r\n").encode())
    run = cli("coverage", "--rules", small, corpus)
    assert (run.code, run.err) == (0, "")
    assert "3 profiles, 2 of 4 rules fired (50.0%)" in run.out


def test_cli_line_separator_inside_a_string_is_not_a_line_break(small, tmp_path):
    """A raw U+2028 inside a JSON string is part of the line, as JSON Lines defines it."""
    corpus = write_corpus(
        tmp_path / "u2028.jsonl",
        '{"other_conditions": ["heart\u2028disease"], "open_wounds": true}\n{"pain_level": 8}\n',
    )
    run = cli("coverage", "--rules", small, corpus)
    assert (run.code, run.err) == (0, "")
    assert "2 profiles, 2 of 4 rules fired (50.0%)" in run.out


@pytest.mark.parametrize("text", ["", "\n\n  \n"], ids=["empty", "only-blank-lines"])
def test_cli_empty_corpus(small, tmp_path, text):
    """An empty corpus is not an error: 0 profiles, nothing fired, exit 0 without a threshold."""
    corpus = write_corpus(tmp_path / "empty.jsonl", text)
    run = cli("coverage", "--rules", small, corpus)
    assert (run.code, run.err) == (0, "")
    file = small / "small.yaml"
    assert run.out.splitlines()[0] == (
        f"Rule set {load_unproved(small).version}: 0 profiles, 0 of 4 rules fired (0.0%)"
    )
    assert run.out.splitlines()[-5:] == [
        "Never fired (4):",
        f"  {file}:9: wounds",
        f"  {file}:14: infection",
        f"  {file}:19: severe-pain",
        f"  {file}:24: firm",
    ]
    assert cli("coverage", "--rules", small, "--fail-under", "0", corpus).code == 0
    assert cli("coverage", "--rules", small, "--fail-under", "1", corpus).code == 1


def test_cli_empty_corpus_json(small, tmp_path):
    """An empty corpus in JSON: zero evaluations, zero percent, every rule never fired."""
    run = cli(
        "coverage", "--rules", small, "--format", "json", write_corpus(tmp_path / "e.jsonl", "")
    )
    assert (run.code, run.err) == (0, "")
    data = json.loads(run.out)
    assert (data["evaluations"], data["percent"]) == (0, 0.0)
    assert data["never_fired"] == ["wounds", "infection", "severe-pain", "firm"]


def test_cli_missing_corpus(tmp_path):
    """A corpus file that does not exist exits 2 and says so."""
    missing = tmp_path / "nowhere.jsonl"
    run = cli("coverage", missing)
    assert_clean_failure(run)
    assert run.err == f"neurotriage: error: cannot read {missing}: No such file or directory\n"


def test_cli_bad_rules_exit_2(tmp_path):
    """--rules naming a broken rule set exits 2 before reading the corpus."""
    broken = write_file(tmp_path / "broken.yaml", "rules:\n  - id: r1\n")
    run = cli("coverage", "--rules", broken, CORPUS)
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

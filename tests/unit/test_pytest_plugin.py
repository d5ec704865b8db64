"""The pytest plugin: ``--neurotriage-coverage`` in a child pytest run (pytester)."""

from __future__ import annotations

import pytest

import neurotriage.pipeline.evaluation
from neurotriage import Profile

try:  # loaded before any pytester run: a child run's modules are unloaded after it, and
    import numpy  # noqa: F401 - numpy refuses to load a second time in one process
    import pyarrow.compute  # noqa: F401
except ImportError:  # the table test below is skipped
    pass
from tests.plugintools import (
    CHILD,
    READY,
    USER_TESTS,
    WOUND,
    combined_percent,
    expected_report,
    section,
)
from tests.rulefiles import ONE_TECHNIQUE, TWO_FLAGS

NO_EVALUATE = """
def test_nothing():
    assert True
"""

FAILING = f"""
import neurotriage

def test_wound():
    assert neurotriage.evaluate({WOUND!r}, backend="reference").verdict == "proceed"
"""


def test_report_lists_the_rules_never_exercised(pytester, rules):
    """With the option, a section names the rule set, the share fired and each rule never fired."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*= neurotriage rule coverage =*"])
    assert section(result) == expected_report(rules, [WOUND, READY])


def test_report_names_known_rules(pytester, rules):
    """The never-exercised list has the rules these two profiles cannot reach, located."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    place = {rule.id: f"{rule.file}:{rule.line}" for rule in rules.rules}
    result.stdout.fnmatch_lines(
        [
            "rules never exercised (*):",
            f"  {place['diabetes-needs-clearance']}: diabetes-needs-clearance",
            f"  {place['red-flag-severe-pain']}: red-flag-severe-pain",
            f"  {place['sharp-pain-stop']}: sharp-pain-stop",
        ]
    )
    assert ": red-flag-open-wounds" not in result.stdout.str()


def test_without_the_option_there_is_no_section(pytester):
    """The plugin is off unless asked for: no section, nothing recorded."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(*CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert "neurotriage rule coverage" not in result.stdout.str()
    assert "rules never exercised" not in result.stdout.str()


def test_fail_under_fails_an_otherwise_passing_run(pytester, rules):
    """Below --neurotriage-coverage-fail-under the run exits 1 with a FAIL line; tests passed."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--neurotriage-coverage-fail-under=100", *CHILD)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2)
    percent = combined_percent(rules, [WOUND, READY])
    assert section(result) == [
        *expected_report(rules, [WOUND, READY]),
        f"FAIL: neurotriage rule coverage {percent:.1f}% is below 100%",
    ]


@pytest.mark.parametrize("threshold", ["10", "0", "25.5"])
def test_low_threshold_passes(pytester, rules, threshold):
    """At or above the threshold the run passes and says the threshold was reached."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(f"--neurotriage-coverage-fail-under={threshold}", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    percent = combined_percent(rules, [WOUND, READY])
    assert section(result)[-1] == (
        f"neurotriage rule coverage {percent:.1f}% reaches {float(threshold):g}%"
    )


def test_threshold_equal_to_the_share_passes(pytester, rules):
    """A threshold of exactly the share fired passes (fail only when below)."""
    pytester.makepyfile(test_user=USER_TESTS)
    percent = combined_percent(rules, [WOUND, READY])
    result = pytester.runpytest(f"--neurotriage-coverage-fail-under={percent!r}", *CHILD)
    assert result.ret == pytest.ExitCode.OK


def test_threshold_just_above_the_share_fails(pytester, rules):
    """A threshold a hair above the share fired fails, though both print as the same 0.1%."""
    pytester.makepyfile(test_user=USER_TESTS)
    percent = combined_percent(rules, [WOUND, READY])
    result = pytester.runpytest(f"--neurotriage-coverage-fail-under={percent + 0.01}", *CHILD)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"FAIL: neurotriage rule coverage {percent:.1f}% is below *%"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            "abc", "--neurotriage-coverage-fail-under takes a percentage, not 'abc'", id="word"
        ),
        pytest.param(
            "", "--neurotriage-coverage-fail-under takes a percentage, not ''", id="empty"
        ),
        pytest.param("101", "--neurotriage-coverage-fail-under must be 0-100, not 101", id="101"),
        pytest.param("-1", "--neurotriage-coverage-fail-under must be 0-100, not -1", id="-1"),
        pytest.param("nan", "--neurotriage-coverage-fail-under must be 0-100, not nan", id="nan"),
    ],
)
def test_bad_percentage_is_a_usage_error(pytester, value, message):
    """A threshold that is not a percentage in 0-100 stops the run with a usage error."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(f"--neurotriage-coverage-fail-under={value}", *CHILD)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "neurotriage rule coverage" not in result.stdout.str()


def test_no_evaluate_calls_are_reported(pytester):
    """A run whose tests never call evaluate() says so."""
    pytester.makepyfile(test_user=NO_EVALUATE)
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == [
        "no evaluate() or evaluate_many() decisions were recorded: 0 rules exercised"
    ]


def test_no_evaluate_calls_fail_a_threshold(pytester):
    """With no evaluate() calls the share is 0%, below any positive threshold."""
    pytester.makepyfile(test_user=NO_EVALUATE)
    result = pytester.runpytest("--neurotriage-coverage-fail-under=1", *CHILD)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert section(result) == [
        "no evaluate() or evaluate_many() decisions were recorded: 0 rules exercised",
        "FAIL: neurotriage rule coverage 0.0% is below 1%",
    ]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(("--neurotriage-coverage",), id="report-only"),
        pytest.param(("--neurotriage-coverage-fail-under=0",), id="threshold-met"),
        pytest.param(("--neurotriage-coverage-fail-under=100",), id="threshold-missed"),
    ],
)
def test_failing_tests_still_fail(pytester, options):
    """A failing test fails the run whatever the coverage; the section is still printed."""
    pytester.makepyfile(test_user=FAILING)
    result = pytester.runpytest(*options, *CHILD)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*= neurotriage rule coverage =*", "rule set *"])


def test_each_rule_set_is_reported_apart(pytester, rules):
    """Decisions of a custom rule set get their own line, after the built-in rule set's."""
    pytester.makefile(
        ".yaml",
        custom=ONE_TECHNIQUE + TWO_FLAGS,
    )
    pytester.makepyfile(
        test_user=USER_TESTS
        + """
from pathlib import Path

def test_custom():
    custom = neurotriage.load_rules(Path(__file__).parent / "custom.yaml", verify=False)
    assert neurotriage.evaluate({"open_wounds": True}, rules=custom).verdict == "see_doctor"
"""
    )
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    custom = neurotriage.load_rules(pytester.path / "custom.yaml", verify=False)
    assert section(result) == [
        *expected_report(rules, [WOUND, READY]),
        f"rule set {custom.version}: 1 of 2 rules fired (50.0%) over 1 evaluations",
        "rules never exercised (1):",
        f"  {pytester.path / 'custom.yaml'}:13: infection",
    ]


def test_observer_is_removed_after_the_run(pytester):
    """The child run's recorder stops observing evaluate() when the run ends."""
    pytester.makepyfile(test_user=USER_TESTS)
    before = neurotriage.pipeline.evaluation._observers
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert neurotriage.pipeline.evaluation._observers == before


def test_plugin_is_registered_by_entry_point(pytester):
    """The plugin is found through its pytest11 entry point and its options are in --help."""
    result = pytester.runpytest("--help", *CHILD)
    result.stdout.fnmatch_lines(
        [
            "neurotriage rule coverage:",
            "  --neurotriage-coverage*",
            "  --neurotriage-coverage-fail-under=PCT",
        ]
    )


def test_report_in_a_fresh_process(pytester, rules):
    """In a child process (entry point loaded from scratch, default backend) the report is alike."""
    pytester.makepyfile(test_user=USER_TESTS.replace(', backend="reference"', ""))
    result = pytester.runpytest_subprocess("--neurotriage-coverage-fail-under=100", *CHILD)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2)
    percent = combined_percent(rules, [WOUND, READY])
    assert section(result) == [
        *expected_report(rules, [WOUND, READY]),
        f"FAIL: neurotriage rule coverage {percent:.1f}% is below 100%",
    ]


#: Whole profiles (a table has every column) whose decisions all differ.
TABLE_PROFILES = [
    {
        **dict.fromkeys(Profile.model_fields),
        "cleared_by_clinician": False,
        "sharp_pain_during_massage": False,
        "requested_pressure": "light",
        **changes,
    }
    for changes in ({"open_wounds": True}, {"pain_level": 8}, {})
]
TABLE_TESTS = f"""
import pyarrow as pa
import neurotriage

def test_table():
    rows = {TABLE_PROFILES!r}
    out = neurotriage.evaluate_table(pa.Table.from_pylist(rows * 3), backend="BACKEND")
    assert out.num_rows == 9
"""


def test_each_distinct_decision_of_a_table_is_seen_once(pytester, rules, backend):
    """A table decides each class once: the report counts each of its decisions once."""
    pytest.importorskip("pyarrow")
    pytester.makepyfile(test_user=TABLE_TESTS.replace("BACKEND", backend))
    result = pytester.runpytest("--neurotriage-coverage", *CHILD)
    assert result.ret == pytest.ExitCode.OK
    assert section(result) == expected_report(rules, TABLE_PROFILES)

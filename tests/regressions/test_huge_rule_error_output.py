"""A rule set with 200,000 broken rules printed 37.7 MB of errors (issue 8, item 13).

The message of a RuleError now lists the first 20 problems and counts the rest,
and quotes a long source line as a window around the caret; the problems
themselves stay complete on ``RuleError.problems``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage import RuleError, RuleProblem, load_rules
from tests.clitools import assert_clean_failure, cli
from tests.conftest import ROOT
from tests.rulefiles import with_default_catalogue

OPEN_WOUND = ROOT / "examples" / "open-wound.json"


def no_effect_rules(count: int) -> str:
    """A rule file of ``count`` rules that each lack an effect (a cheap problem to find)."""
    lines = [f"  - {{id: r{index}, description: d, when: diabetes}}\n" for index in range(count)]
    return "rules:\n" + "".join(lines)


@pytest.mark.slow
def test_200000_broken_rules_print_a_bounded_error(tmp_path: Path):
    """200,000 broken rules: exit 2 and a few KB on stderr that give the count."""
    with_default_catalogue(tmp_path, {"broken.yaml": no_effect_rules(200_000)})
    run = cli("evaluate", "--rules", tmp_path, OPEN_WOUND)
    assert_clean_failure(run)
    assert len(run.err.encode()) < 20_000
    assert run.err.startswith("neurotriage: error: 200000 problems in rule set:\n")
    assert run.err.endswith("\nand 199980 more problems\n")
    assert run.err.count("the rule has no effect") == 20


def test_200000_problems_are_all_kept_and_twenty_shown(tmp_path: Path):
    """One rule asking 200,000 unknown fields: 200,000 problems kept, 20 in the message."""
    text = (
        "rules:\n  - {id: r1, description: d, when: diabetes, block: all, ask: ["
        + ", ".join(f"f{index}" for index in range(200_000))
        + "]}\n"
    )
    with_default_catalogue(tmp_path, {"r.yaml": text})
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 200_000
    assert problems[-1].message == "'ask' names 'f199999', which is not a field of Profile"
    text = str(caught.value)
    assert len(text) < 20_000
    assert text.count("which is not a field of Profile") == 20
    assert text.endswith("\nand 199980 more problems")


def test_the_message_lists_twenty_problems_and_counts_the_rest():
    """str(RuleError) of 21 problems: the first 20, then 'and 1 more problem'."""
    problems = [RuleProblem("r.yaml", f"problem {index}") for index in range(21)]
    error = RuleError(problems)
    assert str(error) == "\n".join(
        [
            "21 problems in rule set:",
            *(f"r.yaml: problem {index}" for index in range(20)),
            "and 1 more problem",
        ]
    )
    assert error.problems == tuple(problems)


def test_twenty_problems_are_all_listed():
    """str(RuleError) of exactly 20 problems lists them all and adds no count."""
    error = RuleError([RuleProblem("r.yaml", f"problem {index}") for index in range(20)])
    assert str(error).splitlines()[-1] == "r.yaml: problem 19"


def test_a_200000_character_line_is_quoted_around_the_caret(tmp_path: Path):
    """A problem on a 200,000-character line quotes the characters around the caret."""
    padding = "x" * 200_000
    text = f'rules:\n  - {{id: r1, description: "{padding}", when: diabetis, block: all}}\n'
    with_default_catalogue(tmp_path, {"r.yaml": text})
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (2, len(f'  - {{id: r1, description: "{padding}"') + 9)
    tail = '", when: diabetis, block: all}'  # the caret is under the 'd', 9 characters in
    assert str(problem).split("\n")[1:] == [
        "    ..." + "x" * 90 + tail,  # the last 120 characters: no '...' after them
        "    " + " " * (3 + 90 + 9) + "^",
    ]


@pytest.mark.parametrize(
    ("column", "shown", "caret"),
    [
        pytest.param(1, "a" * 120 + "...", 1, id="at-the-start"),
        pytest.param(150, "..." + "a" * 60 + "b" + "a" * 59 + "...", 64, id="in-the-middle"),
        pytest.param(300, "..." + "a" * 120, 123, id="at-the-end"),
    ],
)
def test_a_long_line_keeps_the_caret_under_the_problem(column: int, shown: str, caret: int):
    """The 120-character window moves with the caret, which stays under the same character."""
    line = "a" * 149 + "b" + "a" * 150
    text = str(RuleProblem("r.yaml", "m", "r1", 1, column, line))
    assert text.split("\n") == [
        f"r.yaml:1:{column}: rule 'r1': m",
        f"    {shown}",
        "    " + " " * (caret - 1) + "^",
    ]
    assert shown[caret - 1] == line[column - 1]


def test_a_long_line_without_a_column_shows_its_start():
    """A long source line with no column is shown as its first 120 characters and '...'."""
    text = str(RuleProblem("r.yaml", "m", None, 1, None, "a" * 300))
    assert text == "r.yaml:1: m\n    " + "a" * 120 + "..."


def test_a_long_message_and_rule_id_are_cut():
    """A message quoting a 200,000-character name is cut, with its length."""
    name = "n" * 200_000
    text = str(RuleProblem("r.yaml", f"unknown field '{name}'", name))
    assert len(text) < 1_000
    assert text == (
        f"r.yaml: rule '{'n' * 400}... (200,000 characters)': "
        f"unknown field '{'n' * 385}... (200,016 characters)"
    )

"""A rule naming a condition no profile can hold ('', blanks, over 200 characters) is refused.

Such rules loaded, then lint, verify, explain and diff built a profile holding
the name and crashed with a pydantic traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from tests.clitools import assert_clean_failure, cli, write_profile
from tests.conftest import ROOT, SAFE
from tests.rulefiles import ONE_TECHNIQUE, write

BLANK = "the name is blank; name the condition or leave it out"


def rule_dir(tmp_path: Path, name: str) -> Path:
    """A rule directory with one technique and a rule on ``"NAME" in other_conditions``."""
    rule = (
        "rules:\n"
        "  - id: odd-name\n"
        "    description: A rule on an odd name.\n"
        f"    when: 'open_wounds or \"{name}\" in other_conditions'\n"
        "    block: all\n"
    )
    return write(tmp_path / "rules", {"techniques.yaml": ONE_TECHNIQUE, "names.yaml": rule})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("", BLANK, id="empty"),
        pytest.param("   ", BLANK, id="spaces"),
        pytest.param(" ... ", BLANK, id="punctuation"),
        pytest.param("\u200b\u00ad", BLANK, id="invisible"),
        pytest.param("x" * 201, "the name is longer than 200 characters", id="201-characters"),
        pytest.param(
            "\ufdfa" * 12,  # 12 characters, 216 once normalised
            "the name is longer than 200 characters once normalised",
            id="longer-once-normalised",
        ),
    ],
)
def test_a_name_no_profile_can_hold_is_a_located_rule_error(tmp_path, name, message):
    """The rule is refused at load time, at the quoted name."""
    with pytest.raises(RuleError) as info:
        load_rules(rule_dir(tmp_path, name))
    [problem] = info.value.problems
    assert (problem.rule_id, problem.line, problem.column) == ("odd-name", 4, 27)
    assert problem.message == f"in 'when': {message}"


@pytest.mark.parametrize("command", ["verify", "explain", "diff"])
def test_commands_report_the_rule_instead_of_crashing(tmp_path, command):
    """verify, explain and diff exit 2 with the located problem, no traceback."""
    rules = rule_dir(tmp_path, "")
    argv = {
        "verify": ["verify", "--rules", rules],
        "explain": ["explain", write_profile(tmp_path, SAFE), "--rules", rules],
        "diff": ["diff", ROOT / "rules", rules],
    }[command]
    run = cli(*argv)
    assert_clean_failure(run)
    assert f"names.yaml:4:27: rule 'odd-name': in 'when': {BLANK}" in run.err


def test_lint_reports_the_rule_as_a_load_error(tmp_path):
    """lint lists the rule as a load error finding (exit 1), no traceback."""
    run = cli("lint", "--rules", rule_dir(tmp_path, "  "))
    assert run.code == 1
    assert "Traceback" not in run.out + run.err
    assert f"names.yaml:4: odd-name: error: in 'when': {BLANK} [load-error]" in run.out

"""Edges of the analysis tools that a review found, each pinned by a test."""

from __future__ import annotations

import pytest

from neurotriage.analysis import counterfactuals, diff
from tests.clitools import cli
from tests.conftest import FIXTURES
from tests.plugintools import CHILD, USER_TESTS
from tests.rulefiles import load_unproved, write

BASE = FIXTURES / "diff" / "base.yaml"


def _variant(tmp_path, old: str, new: str):
    text = BASE.read_text(encoding="utf-8")
    assert old in text
    return write(tmp_path / "new", {"base.yaml": text.replace(old, new, 1)})


def test_diff_flags_a_firmer_pressure_ceiling(tmp_path):
    """Raising an allowed technique's pressure ceiling is a less safe change."""
    new = _variant(tmp_path, "pressure_ceiling: light", "pressure_ceiling: firm")
    result = diff(load_unproved(BASE), load_unproved(new))
    assert result.less_safe
    changes = {str(c) for group in result.groups for c in group.changes}
    assert changes == {"technique gentle_stroking pressure ceiling: light -> firm  (less safe)"}


def test_diff_flags_a_softened_warning(tmp_path):
    """Lowering a warning's severity is a less safe change; raising it is not."""
    new = _variant(tmp_path, "severity: caution", "severity: info")
    assert diff(load_unproved(BASE), load_unproved(new)).less_safe
    stronger = _variant(tmp_path / "x", "severity: caution", "severity: danger")
    result = diff(load_unproved(BASE), load_unproved(stronger))
    assert not result.less_safe
    assert result.changed > 0


@pytest.mark.parametrize("value", ["nan", "150", "-5", "half"])
def test_coverage_fail_under_must_be_a_percentage(tmp_path, value):
    """--fail-under refuses what is not a percentage, so the gate cannot be silently off."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"open_wounds": true}\n', encoding="utf-8")
    run = cli("coverage", "--fail-under", value, corpus)
    assert run.code == 2
    assert "--fail-under" in run.err
    assert run.out == ""


@pytest.mark.parametrize("value", [True, 2.0, 0, "2"])
def test_counterfactuals_max_changes_is_one_or_two(value):
    """max_changes takes the integers 1 and 2 only (not True, not 2.0)."""
    with pytest.raises(ValueError, match="max_changes must be 1 or 2"):
        counterfactuals({}, max_changes=value)


def test_plugin_threshold_ignores_collect_only(pytester):
    """--collect-only runs no test, so a coverage threshold does not fail it."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--collect-only", "--neurotriage-coverage-fail-under=90", *CHILD)
    assert result.ret == pytest.ExitCode.OK

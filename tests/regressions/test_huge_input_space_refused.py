"""Analyses of a huge input space never answered.

One rule testing twelve names with ``"x" in other_conditions`` (4.3x10^8
classes) made verify end in a MemoryError traceback; 25 named conditions made
explain grow to 10 GB; thousands of rules made verify and lint run for many
minutes. Every analysis now checks the size first and refuses at once.
"""

from __future__ import annotations

import functools
import io
import sys
import time
from pathlib import Path

import pytest

import neurotriage.analysis._lint as lint_module
from neurotriage import default_rules, load_rules
from neurotriage.analysis import (
    MAX_SECONDS,
    SpaceTooLargeError,
    counterfactuals,
    diff,
    input_space,
    lint,
    verify,
)
from neurotriage.analysis._budget import MAX_FIELD_CLASSES
from neurotriage.strategies import profiles, profiles_firing
from tests.clitools import assert_clean_failure, cli
from tests.conftest import ROOT
from tests.rulefiles import copy_rules, load_unproved, with_default_catalogue


def _named(tmp_path: Path, count: int) -> Path:
    """The built-in rules plus one rule naming ``count`` conditions."""
    directory = tmp_path / f"named-{count}"
    if directory.exists():
        return directory
    names = " or ".join(f'"condition {i}" in other_conditions' for i in range(count))
    named = (
        "rules:\n"
        "  - id: named-conditions\n"
        "    description: Named conditions are warned about.\n"
        f"    when: '{names}'\n"
        "    warn: {code: named, severity: caution, message: A named condition.}\n"
    )
    return copy_rules(directory, {"named.yaml": named})


def test_twelve_names_size_is_exact_and_enumeration_refuses(tmp_path):
    """12 names: the size is exact; enumerating analyses refuse before any work."""
    rules = load_unproved(_named(tmp_path, 12))
    space = input_space(rules)
    assert space.size == 104_976 // 3 * (1 + 1 + 2**12)
    assert len(space.values["other_conditions"]) == 4_098
    enumerated = functools.partial(verify, method="enumeration")
    walked = functools.partial(lint, method="enumeration")
    compared = functools.partial(diff, rules, method="enumeration")
    for analysis in (enumerated, walked, compared):
        started = time.perf_counter()
        with pytest.raises(SpaceTooLargeError) as info:
            analysis(rules)
        assert time.perf_counter() - started < 5
        assert info.value.size == space.size
        assert info.value.fields[0].name == "other_conditions"
        assert info.value.fields[0].classes == 4_098


def test_twelve_names_are_proved(tmp_path):
    """The 143,397,216 classes that made verify run out of memory are proved in seconds."""
    rules = load_unproved(_named(tmp_path, 12))
    report = verify(rules)
    assert (report.method, report.space_size, report.ok) == ("symbolic", 143_397_216, True)
    assert [f.code for f in lint(rules) if f.severity == "error"] == []


def test_twelve_names_are_compared_by_solver(tmp_path):
    """diff against the built-in rules answers, exactly, without walking the classes."""
    result = diff(default_rules(), load_unproved(_named(tmp_path, 12)))
    (group,) = result.groups
    assert [str(c) for c in group.changes] == ["warning named: not given -> given"]
    # every set that holds one of the 12 names (4,095 of other_conditions' 4,098
    # classes) gets the warning, whatever the other 34,992 classes of the rest
    assert (result.space_size, result.changed) == (143_397_216, 4_095 * 34_992)
    assert not result.less_safe


def test_cli_refuses_with_size_limit_and_fields(tmp_path):
    """The CLI exits 2 with the size, the limit and the field that makes it large."""
    run = cli("verify", "--method", "enumeration", "--rules", _named(tmp_path, 12))
    assert_clean_failure(run)
    assert run.err.startswith(
        "neurotriage: error: verify would walk 143,397,216 classes of input, more than the "
    )
    assert f"it can check within about {MAX_SECONDS:.0f} s and 2 GB, so it was not started" in (
        run.err
    )
    assert (
        'other_conditions: 4,098 classes (12 names tested with "name" in other_conditions)'
        in run.err
    )
    assert_clean_failure(
        cli("diff", "--method", "enumeration", ROOT / "rules", _named(tmp_path, 12))
    )
    linted = cli("lint", "--rules", _named(tmp_path, 12))  # by the solver: no walk
    assert (linted.code, linted.err) == (0, "")


def test_explain_prints_the_decision_and_leaves_counterfactuals_out(tmp_path):
    """25 names: explain still decides, and says why the counterfactuals are left out."""
    rules_dir = _named(tmp_path, 25)
    profile = tmp_path / "p.json"
    profile.write_text('{"other_conditions": ["condition 3"]}', encoding="utf-8")
    started = time.perf_counter()
    run = cli("explain", "--rules", rules_dir, profile)
    assert time.perf_counter() - started < 10
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("Verdict: needs_clearance")
    assert "named-conditions" in run.out
    assert (
        "What would change the verdict:\n"
        "  left out: the input space cannot be built: a field would have more than "
        f"{MAX_FIELD_CLASSES:,} classes"
    ) in run.out


def test_counterfactuals_refuse_too_many_pairs(tmp_path):
    """12 names fit in the space, but the pairs of changes to try do not."""
    rules = load_unproved(_named(tmp_path, 12))
    with pytest.raises(SpaceTooLargeError) as info:
        counterfactuals({"other_conditions": []}, rules=rules)
    assert info.value.what == "counterfactuals"
    assert counterfactuals({"other_conditions": []}, rules=rules, max_changes=1)


def test_strategies_refuse_at_build_time(tmp_path):
    """profiles() and profiles_firing() raise when built, not when drawn from."""
    with pytest.raises(SpaceTooLargeError):
        profiles(load_unproved(_named(tmp_path, 17)))
    rules = load_unproved(_named(tmp_path, 16))
    profiles(rules)  # 16 names: each field's classes fit
    assert profiles_firing("red-flag-open-wounds", rules) is not None


def _warning_rules(tmp_path: Path, name: str, whens: list[str]) -> Path:
    """The technique catalogue and one warning rule per condition of ``whens``."""
    directory = tmp_path / f"{name}-{len(whens)}"
    lines = ["rules:"]
    for index, when in enumerate(whens):
        lines += [
            f"  - id: {name}-{index}",
            "    description: A warning rule.",
            f"    when: {when}",
            f"    warn: {{code: {name}-{index}, severity: info, message: Warning {index}.}}",
        ]
    return with_default_catalogue(directory, {"rules.yaml": "\n".join(lines) + "\n"})


def _many_rules(tmp_path: Path, count: int) -> Path:
    """``count`` rules on pain and diabetes, each firing for a twelfth of the space."""
    return _warning_rules(
        tmp_path, "pain", [f"pain_level == {i % 11} and diabetes" for i in range(count)]
    )


def _always_rules(tmp_path: Path, count: int) -> Path:
    """``count`` rules that all fire for everyone, each with a warning of its own."""
    return _warning_rules(tmp_path, "always", ["always"] * count)


def _lint_lines(rules) -> int:
    """How many lines of lint's own module run while linting ``rules`` (deterministic)."""
    count = 0
    module = lint_module.__file__

    def tracer(frame, event, _arg):
        nonlocal count
        if frame.f_code.co_filename != module:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        lint(rules, method="enumeration")
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("rule_set", [_many_rules, _always_rules])
def test_lint_shadowing_is_not_quadratic_in_rules(tmp_path, rule_set):
    """Doubling the rules about doubles the work of lint's own checks (lines run, not time)."""
    small = _lint_lines(load_unproved(rule_set(tmp_path, 100)))
    large = _lint_lines(load_unproved(rule_set(tmp_path, 200)))
    assert large < 2.6 * small


def test_progress_is_reported(tmp_path):
    """verify calls progress(stage, done, total) as it goes."""
    seen = []
    rules = load_rules(ROOT / "rules")
    verify(rules, progress=lambda *args: seen.append(args), method="enumeration")
    stages = [stage for stage, _, _ in seen]
    assert "evaluating rules" in stages
    assert "checking monotone-risk" in stages
    assert all(0 <= done <= total for _, done, total in seen)
    seen.clear()
    verify(rules, progress=lambda *args: seen.append(args))
    stages = [stage for stage, _, _ in seen]
    assert "proving monotone-risk" in stages
    assert f"proving invariant {rules.invariants[-1].id}" in stages


def test_terminal_progress_draws_only_on_a_terminal():
    """The CLI's progress line is drawn on a terminal and wiped at the end; never in a pipe."""
    from neurotriage.cli._progress import TerminalProgress  # noqa: PLC0415

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = TerminalProgress("verify", stream)
        progress("evaluating rules", 9, 20)
        progress.close()
    assert terminal.getvalue().startswith("\rneurotriage verify: evaluating rules 45%")
    assert terminal.getvalue().endswith("\r")
    assert pipe.getvalue() == ""

"""Rule files that used to crash or hang the loader: deep nesting and YAML aliases."""

from __future__ import annotations

import time

import pytest

from tests.rulefiles import load_error, with_default_catalogue


@pytest.mark.parametrize(
    ("text", "column"),
    [
        pytest.param("[" * 5000, 51, id="flow-lists"),
        pytest.param("a: " + "{b: " * 3000 + "1" + "}" * 3000, 197, id="flow-mappings"),
    ],
)
def test_deep_nesting_is_a_rule_error_not_a_recursion_error(tmp_path, text, column):
    """YAML nested thousands deep gives a located RuleError (it raised RecursionError)."""
    error = load_error(with_default_catalogue(tmp_path, {"rules.yaml": text}))
    assert (error.line, error.column) == (1, column)
    assert error.problems[0].message == "YAML syntax error: nested more than 50 levels deep"


def test_self_referencing_alias_is_a_rule_error(tmp_path):
    """``&a [*a]`` gives a RuleError at the alias (it raised RecursionError)."""
    error = load_error(with_default_catalogue(tmp_path, {"rules.yaml": "a: &a [*a]\n"}))
    assert (error.line, error.column) == (1, 8)
    assert error.problems[0].message == (
        "YAML syntax error: aliases (*name) are not allowed in rule files; write the value out"
    )


def test_billion_laughs_is_refused_at_once(tmp_path):
    """Nested aliases are refused before expanding (9**6 copies took ~27 s, 9**9 ate memory)."""
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
    )
    started = time.perf_counter()
    error = load_error(with_default_catalogue(tmp_path, {"rules.yaml": text}))
    assert time.perf_counter() - started < 2
    assert (error.line, error.column) == (2, 10)
    assert "aliases (*name) are not allowed" in str(error)

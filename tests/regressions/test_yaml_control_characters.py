"""A control character in a rule file is a located RuleError (PyYAML's ReaderError escaped)."""

from __future__ import annotations

import pytest

from neurotriage import RuleError, load_rules
from tests.rulefiles import with_default_catalogue


@pytest.mark.parametrize(
    ("text", "line", "column", "code"),
    [
        pytest.param("\x08null\n", 1, 1, "0008", id="first-character"),
        pytest.param("rules: []\nversion: x\x07y\n", 2, 11, "0007", id="in-a-value"),
    ],
)
def test_control_character_is_a_located_rule_error(tmp_path, text, line, column, code):
    """Found by the robustness tests: load_rules raised yaml.reader.ReaderError."""
    with_default_catalogue(tmp_path, {"rules.yaml": text})
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.problems[0].message == (
        f"YAML syntax error: unacceptable character #x{code}: special characters are not allowed"
    )

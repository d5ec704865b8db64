"""RuleError crosses process boundaries (pickle) intact."""

from __future__ import annotations

import pickle

from neurotriage import RuleError, RuleProblem


def test_rule_error_survives_pickling():
    """A pickled RuleError unpickles with the same problems, location and message."""
    problems = [
        RuleProblem("a.yaml", "unknown field 'x'", "rule-1", 3, 9, "    when: x"),
        RuleProblem("b.yaml", "no technique catalogue"),
    ]
    error = RuleError(problems)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own data
    assert type(copy) is RuleError
    assert copy.problems == error.problems
    assert (copy.file, copy.rule_id, copy.line, copy.column) == ("a.yaml", "rule-1", 3, 9)
    assert str(copy) == str(error)

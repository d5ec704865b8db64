"""What evaluate() says of a row, in evaluate_table()'s output columns: for the table tests."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from neurotriage import Decision, evaluate
from neurotriage._problems import describe_validation
from neurotriage.table import OUTPUT_COLUMNS


def expected_row(values: dict[str, Any], **options: Any) -> dict[str, Any]:
    """What evaluate() says of ``values``, in evaluate_table()'s output columns."""
    try:
        decision = evaluate(values, **options)
    except ValidationError as err:
        return {**dict.fromkeys(OUTPUT_COLUMNS), "error": describe_validation(err)}
    return row_of(decision)


def row_of(decision: Decision) -> dict[str, Any]:
    """A Decision as an output row."""
    return {
        "verdict": decision.verdict,
        "allowed": [t.technique for t in decision.allowed_techniques],
        "blocked": [t.technique for t in decision.blocked_techniques],
        "referral": decision.referral.level,
        "warnings": [w.code for w in decision.warnings],
        "questions": list(decision.questions),
        "fired_rules": list(decision.fired_rules),
        "ruleset_version": decision.ruleset_version,
        "error": None,
    }

"""Arbitrary JSON as a profile: a Decision, or ValidationError / TypeError, and nothing else.

The same for one line of ``evaluate-many``: always exactly one well-formed
record, a decision or an error naming the line.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from neurotriage import Decision, default_rules, evaluate
from neurotriage.cli._many import _compact_record, _record
from tests.conftest import available_backends
from tests.robustness._limits import time_limit

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any JSON value (what json.loads can return).
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=25,
)


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` or unknown."""
    return st.none() | strategy


#: A value each field accepts.
VALID = {
    "diabetes": nullable(st.booleans()),
    "neuropathy_severity": nullable(st.sampled_from(["mild", "moderate", "severe"])),
    "pain_level": nullable(st.integers(0, 10)),
    "symptoms_worsening": nullable(st.booleans()),
    "open_wounds": nullable(st.booleans()),
    "foot_infection": nullable(st.booleans()),
    "home_remedies_no_relief": nullable(st.booleans()),
    "other_conditions": nullable(st.lists(st.text(min_size=1, max_size=8), max_size=3)),
    "cleared_by_clinician": st.booleans(),
    "sharp_pain_during_massage": st.booleans(),
    "requested_pressure": st.sampled_from(["light", "moderate", "firm"]),
}
#: Values close to what a field expects that it refuses (or, for some fields, accepts).
NEAR_MISSES = st.sampled_from(
    [11, -1, 7.0, "7", "true", "Mild", ["  "], [1], "gout", 1e309, 0, 1, None, True, {}]
)


@st.composite
def profile_like(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON object of Profile fields: valid values, some replaced by near misses or junk."""
    keys = draw(st.sets(st.sampled_from(list(VALID))))
    profile = {key: draw(VALID[key]) for key in sorted(keys)}
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(list(VALID)) | st.text(max_size=12))
        profile[key] = draw(NEAR_MISSES | JSON)
    return profile


@st.composite
def any_input(draw: st.DrawFn) -> Any:
    """Mostly profile-like objects, sometimes any JSON value at all."""
    return draw(profile_like() if draw(st.integers(0, 3)) else JSON)


ANY_INPUT = any_input()


@SETTINGS
@given(value=ANY_INPUT, backend=st.sampled_from(available_backends()))
def test_evaluate_returns_a_decision_or_raises_validation_or_type_error(value: Any, backend: str):
    """evaluate() on any JSON value gives a valid Decision or ValidationError/TypeError."""
    try:
        with time_limit(10):
            decision = evaluate(value, backend=backend)
    except (ValidationError, TypeError):
        return
    assert isinstance(decision, Decision)
    assert Decision.model_validate_json(decision.model_dump_json()) == decision
    assert decision == evaluate(value, backend="reference")


@SETTINGS
@given(value=ANY_INPUT, number=st.integers(1, 10**9), backend=st.sampled_from(available_backends()))
def test_any_json_line_gets_exactly_one_record(value: Any, number: int, backend: str):
    """One evaluate-many line of any JSON gives one JSON record: a decision or a named error."""
    text = json.dumps(value, allow_nan=True)
    with time_limit(10):
        verdict, record = _record(default_rules(), backend, (number, text.encode()))
        compact_verdict, compact = _compact_record(
            default_rules(), backend, (number, text.encode())
        )
    assert "\n" not in record
    assert "\n" not in compact
    assert compact_verdict == verdict
    data = json.loads(record)
    assert data["line"] == number
    if verdict is not None:
        assert set(data) == {"line", "decision"}
        decision = Decision.model_validate(data["decision"])
        assert decision == evaluate(value, backend="reference")
        assert verdict == decision.verdict
        assert json.loads(compact)["fired_rules"] == list(decision.fired_rules)
    else:
        assert set(data) == {"line", "error"}
        assert data["error"].startswith(f"line {number} ")
        assert len(data["error"]) < 2000  # short, whatever the input
        assert compact == record  # --compact leaves error records as they are


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_line_get_exactly_one_record(raw: bytes):
    """Any bytes on a line (not UTF-8, not JSON) give one record, never an exception."""
    line = raw.replace(b"\n", b" ")
    with time_limit(10):
        verdict, record = _record(default_rules(), "reference", (3, line))
    data = json.loads(record)
    assert data["line"] == 3
    assert set(data) == ({"line", "decision"} if verdict is not None else {"line", "error"})

"""A huge other_conditions list is refused at once (it was accepted, in quadratic time)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from neurotriage import evaluate


@pytest.mark.parametrize(
    "conditions",
    [
        pytest.param([f"condition {index}" for index in range(1_000_000)], id="1M-items"),
        pytest.param(["x" * 10_000_000], id="10MB-item"),
    ],
)
def test_huge_other_conditions_are_refused_in_bounded_time(conditions):
    """~10 MB of condition names gives a ValidationError naming the field within a second.

    Before the limits, 40,000 distinct names took 10 s to normalise (a list
    membership test per name), so 1,000,000 would have run for hours.
    """
    started = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        evaluate({"other_conditions": conditions})
    assert time.perf_counter() - started < 1
    assert info.value.errors()[0]["loc"][0] == "other_conditions"

"""A 5,000-digit pain_level gave Python's "Exceeds the limit (4300 digits)" (issue 8, item 13).

The CLI's JSON reader converted every integer with int(), which refuses more
than 4,300 digits with a message that names no field. Such a number is now
left unconverted and refused naming its field, in evaluate and in each
evaluate-many record.
"""

from __future__ import annotations

import json

import pytest

from tests.clitools import assert_clean_failure, cli

HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("number", "digits"), [(HUGE, "5,000"), ("-" + HUGE, "5,000"), ("1" * 641, "641")]
)
def test_a_huge_pain_level_names_the_field(number: str, digits: str):
    """evaluate: a pain_level of thousands of digits is refused naming 'pain_level'."""
    run = cli("evaluate", "-", stdin='{"pain_level": ' + number + "}")
    assert_clean_failure(run)
    assert run.err == (
        "neurotriage: error: standard input is not a valid profile: field 'pain_level': "
        f"number out of range (got a number of {digits} digits)\n"
    )


def test_a_number_of_640_digits_is_still_read():
    """Up to 640 digits int() always converts: the usual range message, the value cut."""
    run = cli("evaluate", "-", stdin='{"pain_level": ' + "1" * 640 + "}")
    assert run.err == (
        "neurotriage: error: standard input is not a valid profile: field 'pain_level': "
        f"Input should be less than or equal to 10 (got {'1' * 60}...)\n"
    )


def test_a_huge_number_among_other_problems_keeps_them():
    """A huge number in a list item and another bad field are both reported, each named."""
    run = cli("evaluate", "-", stdin='{"other_conditions": [' + HUGE + '], "diabetes": 1}')
    assert run.err == (
        "neurotriage: error: standard input is not a valid profile: "
        "field 'diabetes': Input should be a valid boolean (got 1); "
        "field 'other_conditions.0': Input should be a valid string "
        "(got a number of 5,000 digits)\n"
    )


def test_a_huge_number_as_the_whole_input():
    """A JSON document that is only a huge number is refused as a number, not an object."""
    run = cli("evaluate", "-", stdin=HUGE)
    assert run.err == (
        "neurotriage: error: standard input must hold a JSON object of profile fields, "
        "not a number\n"
    )


def test_evaluate_many_names_the_field_in_the_line_record():
    """evaluate-many: the line's error record names 'pain_level'; the other lines are decided."""
    run = cli("evaluate-many", "-", "-o", "-", stdin='{}\n{"pain_level": ' + HUGE + "}\n")
    assert run.code == 1
    records = [json.loads(line) for line in run.out.splitlines()]
    assert "decision" in records[0]
    assert records[1] == {
        "line": 2,
        "error": "line 2 is not a valid profile: field 'pain_level': "
        "number out of range (got a number of 5,000 digits)",
    }

"""The condition language: parsing, rejection, semantics, negation and rendering."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage import Profile
from neurotriage.language import (
    Always,
    And,
    Compare,
    Condition,
    ConditionError,
    Contains,
    Empty,
    InSet,
    Known,
    Not,
    Or,
    ParseProblem,
    evaluate_condition,
    fields_read,
    negate,
    parse_condition,
    render,
    walk,
)
from neurotriage.profile import field_specs

SPECS = field_specs()


def parse(text: str) -> Condition:
    """Parse ``text`` against the Profile fields."""
    return parse_condition(text, SPECS)


def holds(node: Condition, **values: Any) -> bool:
    """Evaluate ``node`` on a Profile built from ``values`` (the rest unknown/default)."""
    return evaluate_condition(node, Profile(**values).model_dump(), SPECS)


def yes(name: str) -> Compare:
    """The node a bare yes/no field name parses to."""
    return Compare(name, "==", True)


# --- parser acceptance ---------------------------------------------------------

ACCEPTED = [
    pytest.param("always", Always(), id="always"),
    pytest.param("diabetes", yes("diabetes"), id="bare-bool"),
    pytest.param("  diabetes  ", yes("diabetes"), id="surrounding-space"),
    pytest.param("sharp_pain_during_massage", yes("sharp_pain_during_massage"), id="bare-session"),
    pytest.param("diabetes == true", yes("diabetes"), id="eq-true"),
    pytest.param("diabetes == false", Compare("diabetes", "==", False), id="eq-false"),
    pytest.param("diabetes != true", Compare("diabetes", "!=", True), id="ne-true"),
    pytest.param(
        "cleared_by_clinician == false",
        Compare("cleared_by_clinician", "==", False),
        id="clearance-false",
    ),
    pytest.param("pain_level >= 7", Compare("pain_level", ">=", 7), id="ge"),
    pytest.param("pain_level>7", Compare("pain_level", ">", 7), id="gt-no-spaces"),
    pytest.param("pain_level <= 0", Compare("pain_level", "<=", 0), id="le-zero"),
    pytest.param("pain_level < 10", Compare("pain_level", "<", 10), id="lt-ten"),
    pytest.param("pain_level == 5", Compare("pain_level", "==", 5), id="eq-int"),
    pytest.param("pain_level != 5", Compare("pain_level", "!=", 5), id="ne-int"),
    pytest.param(
        'neuropathy_severity == "severe"',
        Compare("neuropathy_severity", "==", "severe"),
        id="enum-double-quotes",
    ),
    pytest.param(
        "neuropathy_severity >= 'moderate'",
        Compare("neuropathy_severity", ">=", "moderate"),
        id="enum-single-quotes-ordered",
    ),
    pytest.param(
        'requested_pressure > "light"',
        Compare("requested_pressure", ">", "light"),
        id="pressure-ordered",
    ),
    pytest.param("pain_level in [7, 8]", InSet("pain_level", (7, 8)), id="in-list"),
    pytest.param(
        'neuropathy_severity in ["moderate", "severe"]',
        InSet("neuropathy_severity", ("moderate", "severe")),
        id="enum-in-list",
    ),
    pytest.param("diabetes in [true]", InSet("diabetes", (True,)), id="bool-in-list"),
    pytest.param("pain_level not in [0, 1]", Not(InSet("pain_level", (0, 1))), id="not-in-list"),
    pytest.param(
        '"asthma" in other_conditions', Contains("other_conditions", "asthma"), id="contains"
    ),
    pytest.param(
        '"  Heart \t Disease " in other_conditions',
        Contains("other_conditions", "heart disease"),
        id="contains-normalised",
    ),
    pytest.param(
        "'gout' not in other_conditions",
        Not(Contains("other_conditions", "gout")),
        id="not-contains",
    ),
    pytest.param("other_conditions is empty", Empty("other_conditions", empty=True), id="empty"),
    pytest.param(
        "other_conditions is not empty",
        Empty("other_conditions", empty=False),
        id="not-empty",
    ),
    pytest.param("pain_level is unknown", Known("pain_level", known=False), id="unknown"),
    pytest.param("diabetes is known", Known("diabetes", known=True), id="known"),
    pytest.param(
        "other_conditions is unknown", Known("other_conditions", known=False), id="list-unknown"
    ),
    pytest.param("not diabetes", Not(yes("diabetes")), id="not"),
    pytest.param("not not diabetes", Not(Not(yes("diabetes"))), id="not-not"),
    pytest.param("not always", Not(Always()), id="not-always"),
    pytest.param("diabetes and open_wounds", And((yes("diabetes"), yes("open_wounds"))), id="and"),
    pytest.param(
        "diabetes or open_wounds or foot_infection",
        Or((yes("diabetes"), yes("open_wounds"), yes("foot_infection"))),
        id="or-flattened",
    ),
    pytest.param(
        "diabetes or open_wounds and foot_infection",
        Or((yes("diabetes"), And((yes("open_wounds"), yes("foot_infection"))))),
        id="and-binds-tighter",
    ),
    pytest.param(
        "not diabetes and open_wounds",
        And((Not(yes("diabetes")), yes("open_wounds"))),
        id="not-binds-tighter",
    ),
    pytest.param(
        "not pain_level >= 7",
        Not(Compare("pain_level", ">=", 7)),
        id="comparison-binds-tighter-than-not",
    ),
    pytest.param(
        "diabetes and (open_wounds or foot_infection)",
        And((yes("diabetes"), Or((yes("open_wounds"), yes("foot_infection"))))),
        id="parentheses",
    ),
    pytest.param(
        "(diabetes and open_wounds) and foot_infection",
        And((And((yes("diabetes"), yes("open_wounds"))), yes("foot_infection"))),
        id="parentheses-kept",
    ),
    pytest.param(
        "not (diabetes or open_wounds)",
        Not(Or((yes("diabetes"), yes("open_wounds")))),
        id="not-group",
    ),
    pytest.param(
        "pain_level >= 7\nor open_wounds",
        Or((Compare("pain_level", ">=", 7), yes("open_wounds"))),
        id="multi-line",
    ),
    pytest.param(
        "cleared_by_clinician and (diabetes is unknown\n    or other_conditions is unknown)",
        And(
            (
                yes("cleared_by_clinician"),
                Or((Known("diabetes", known=False), Known("other_conditions", known=False))),
            )
        ),
        id="multi-line-indented",
    ),
    pytest.param(
        "always and diabetes", And((Always(), yes("diabetes"))), id="always-in-conjunction"
    ),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_parse_accepts(text: str, expected: Condition):
    """Each text of the language parses to the expected typed AST."""
    assert parse(text) == expected


# --- parser rejection ----------------------------------------------------------

REJECTED = [
    # code injection and other Python syntax
    pytest.param("__import__('os')", "expected a condition, found a function call", 0, id="import"),
    pytest.param(
        "__import__('os').system('rm -rf /')",
        "expected a condition, found a function call",
        0,
        id="import-system",
    ),
    pytest.param(
        "open_wounds.__class__",
        "expected a condition, found an attribute access",
        0,
        id="dunder-attribute",
    ),
    pytest.param(
        "(lambda: 1)()", "expected a condition, found a function call", 0, id="lambda-call"
    ),
    pytest.param("lambda: 1", "expected a condition, found a lambda", 0, id="lambda"),
    pytest.param(
        "pain_level if x else y",
        "expected a condition, found 'IfExp' syntax, which is not part of the language",
        0,
        id="conditional-expression",
    ),
    pytest.param(
        "f'{pain_level}'",
        "'f' before a quote is not part of the language (no r, b, u or f strings); "
        "write plain quoted text",
        0,
        id="f-string",
    ),
    pytest.param(
        'f"{diabetes}" == "True"',
        "'f' before a quote is not part of the language (no r, b, u or f strings); "
        "write plain quoted text",
        0,
        id="f-string-compared",
    ),
    pytest.param(
        "pain_level + 1 > 3",
        "expected a field name, found arithmetic",
        0,
        id="arithmetic",
    ),
    pytest.param(
        "pain_level > 2 * 3",
        "expected a value (true, false, a number or quoted text), found arithmetic",
        13,
        id="arithmetic-value",
    ),
    pytest.param(
        "other_conditions[0]", "expected a condition, found a subscript", 0, id="subscript"
    ),
    pytest.param(
        "other_conditions[0] == 'asthma'",
        "expected a field name, found a subscript",
        0,
        id="subscript-compared",
    ),
    pytest.param(
        "pain_level == open_wounds.real",
        "expected a value (true, false, a number or quoted text), found an attribute access",
        14,
        id="attribute-value",
    ),
    pytest.param(
        "pain_level == len('abc')",
        "expected a value (true, false, a number or quoted text), found a function call",
        14,
        id="call-value",
    ),
    pytest.param(
        "[diabetes]",
        "expected a condition, found 'List' syntax, which is not part of the language",
        0,
        id="list-display",
    ),
    pytest.param("None", "expected a condition, found a bare value", 0, id="none"),
    pytest.param("1", "expected a condition, found a bare value", 0, id="number"),
    pytest.param(
        "pain_level == None",
        "None is not a value; write 'FIELD is unknown'",
        14,
        id="compare-none",
    ),
    # structure
    pytest.param(
        "1 < pain_level < 5",
        "chained comparisons are not supported; join them with 'and'",
        0,
        id="chained",
    ),
    pytest.param(
        "diabetes is unknown is known",
        "chained comparisons are not supported; join them with 'and'",
        0,
        id="chained-is",
    ),
    pytest.param("", "the condition is empty", 0, id="empty"),
    pytest.param("  \n ", "the condition is empty", 0, id="blank"),
    pytest.param("(diabetes", "invalid syntax: '(' was never closed", 0, id="unclosed"),
    pytest.param("pain_level > 3)", "invalid syntax: unmatched ')'", 14, id="unmatched"),
    # fields
    pytest.param(
        "diabetis", "unknown field 'diabetis' (did you mean 'diabetes'?)", 0, id="unknown-field"
    ),
    pytest.param(
        "diabetes and pain > 3",
        "unknown field 'pain' (did you mean 'pain_level'?)",
        13,
        id="unknown-field-later",
    ),
    pytest.param("x is known", "unknown field 'x'", 0, id="unknown-field-no-hint"),
    pytest.param(
        "pain_level",
        "'pain_level' is not a yes/no field; compare it (for example 'pain_level is known')",
        0,
        id="bare-int",
    ),
    # is-tests
    pytest.param("pain_level is not known", "write 'pain_level is unknown'", 18, id="is-not-known"),
    pytest.param("diabetes is not unknown", "write 'diabetes is known'", 16, id="is-not-unknown"),
    pytest.param(
        "pain_level is empty",
        "'is empty' applies to list fields; 'pain_level' is not one",
        14,
        id="empty-on-int",
    ),
    pytest.param(
        "diabetes is not empty",
        "'is empty' applies to list fields; 'diabetes' is not one",
        16,
        id="not-empty-on-bool",
    ),
    pytest.param(
        "pain_level is high",
        "expected 'known', 'unknown' or 'empty' after 'is'",
        14,
        id="is-other-word",
    ),
    pytest.param(
        "cleared_by_clinician is unknown",
        "'cleared_by_clinician' always has a value (default False); it is never unknown",
        0,
        id="unknown-on-non-nullable",
    ),
    # types and domains
    pytest.param(
        "diabetes > true",
        "'diabetes' is yes/no; '>' does not apply to it",
        0,
        id="ordering-on-bool",
    ),
    pytest.param(
        "open_wounds <= false",
        "'open_wounds' is yes/no; '<=' does not apply to it",
        0,
        id="ordering-on-bool-le",
    ),
    pytest.param(
        "diabetes == 1",
        "'diabetes' is yes/no; compare it with true or false, not 1",
        12,
        id="bool-vs-int",
    ),
    pytest.param(
        "diabetes == 'true'",
        "'diabetes' is yes/no; compare it with true or false, not 'true'",
        12,
        id="bool-vs-text",
    ),
    pytest.param(
        'pain_level == "high"',
        "'pain_level' is a number from 0 to 10, not 'high'",
        14,
        id="int-vs-text",
    ),
    pytest.param(
        "pain_level == 7.0",
        "write numbers in plain decimal digits: 7, not '7.0'",
        14,
        id="float",
    ),
    pytest.param(
        "pain_level >= 11", "11 is outside 'pain_level' (0 to 10)", 14, id="int-above-range"
    ),
    pytest.param(
        "pain_level > -1", "-1 is outside 'pain_level' (0 to 10)", 13, id="int-below-range"
    ),
    pytest.param(
        "pain_level in [1, 11]",
        "11 is outside 'pain_level' (0 to 10)",
        18,
        id="in-list-out-of-range",
    ),
    pytest.param("pain_level in []", "the list after 'in' is empty", 14, id="in-empty-list"),
    pytest.param(
        'neuropathy_severity == "extreme"',
        "'extreme' is not a value of 'neuropathy_severity' (one of 'mild', 'moderate', 'severe')",
        23,
        id="enum-out-of-domain",
    ),
    pytest.param(
        "neuropathy_severity == mild",
        "expected a value, found the name 'mild' (quote text values)",
        23,
        id="unquoted-text",
    ),
    pytest.param(
        "requested_pressure == 'hard'",
        "'hard' is not a value of 'requested_pressure' (one of 'light', 'moderate', 'firm')",
        22,
        id="pressure-out-of-domain",
    ),
    # lists
    pytest.param(
        "other_conditions == 'asthma'",
        "'other_conditions' is a list; use 'is empty', 'is not empty' or "
        "'\"name\" in other_conditions'",
        0,
        id="compare-list",
    ),
    pytest.param(
        "other_conditions in ['asthma']",
        "'other_conditions' is a list; write '\"name\" in other_conditions'",
        0,
        id="list-in-list",
    ),
    pytest.param(
        "1 in other_conditions",
        "items of 'other_conditions' are text; quote the name",
        0,
        id="contains-number",
    ),
    pytest.param(
        "'asthma' in diabetes",
        "'in diabetes' needs a list field; 'diabetes' is not one",
        12,
        id="contains-on-bool",
    ),
]


@pytest.mark.parametrize(("text", "message", "column"), REJECTED)
def test_parse_rejects(text: str, message: str, column: int):
    """Text outside the language is rejected with one exact message and its 0-based column."""
    with pytest.raises(ConditionError) as info:
        parse(text)
    assert info.value.problems == [ParseProblem(message, column)]
    assert str(info.value) == f"col {column}: {message}"


def test_parse_reports_every_problem():
    """All problems of one condition are reported together, in text order."""
    with pytest.raises(ConditionError) as info:
        parse("pain_level == 'x' and neuropathy_severity == 'extreme' and diabetis")
    assert info.value.problems == [
        ParseProblem("'pain_level' is a number from 0 to 10, not 'x'", 14),
        ParseProblem(
            "'extreme' is not a value of 'neuropathy_severity' (one of 'mild', 'moderate', "
            "'severe')",
            45,
        ),
        ParseProblem("unknown field 'diabetis' (did you mean 'diabetes'?)", 59),
    ]


def test_leading_indentation_shifts_columns():
    """Columns count from the start of the text given, leading spaces included."""
    with pytest.raises(ConditionError) as info:
        parse("   diabetes and diabetis")
    assert info.value.problems == [
        ParseProblem("unknown field 'diabetis' (did you mean 'diabetes'?)", 16)
    ]


def test_condition_error_is_a_value_error():
    """ConditionError is a ValueError, as the built-in error for bad values."""
    assert issubclass(ConditionError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7 <= pain_level", Compare("pain_level", ">=", 7)),
        ("7 > pain_level", Compare("pain_level", "<", 7)),
        ('"severe" == neuropathy_severity', Compare("neuropathy_severity", "==", "severe")),
        ("true == diabetes", Compare("diabetes", "==", True)),
    ],
    ids=["le", "gt", "eq-text", "eq-true"],
)
def test_value_on_the_left_is_the_mirrored_comparison(text: str, expected: Condition):
    """A comparison written value-first means the same test written field-first."""
    assert parse(text) == expected


def test_comment_is_refused_rather_than_swallowing_later_lines():
    """A '#' in a condition is an error: joined lines would make it hide the rest."""
    with pytest.raises(ConditionError) as info:
        parse("open_wounds  # a red flag\nor foot_infection")
    message = "'#' comments are not allowed inside a condition; put them above 'when:'"
    assert [(p.message, p.column) for p in info.value.problems] == [(message, 13)]


def test_hash_inside_quoted_text_is_not_a_comment():
    """A '#' inside a quoted name is just a character."""
    assert parse('"type #2 diabetes" in other_conditions') == Contains(
        "other_conditions", "type #2 diabetes"
    )


@pytest.mark.parametrize("depth", [50, 99], ids=str)
def test_nesting_up_to_the_limit_parses(depth: int):
    """Up to 100 levels (99 'not's around a field) parse with every level kept."""
    result = parse("not " * depth + "diabetes")
    assert sum(isinstance(node, Not) for node in walk(result)) == depth


@pytest.mark.parametrize("depth", [100, 2000, 100_000], ids=str)
def test_nesting_beyond_the_limit_is_a_condition_error(depth: int):
    """Deeper nesting is a located ConditionError, never a RecursionError."""
    with pytest.raises(ConditionError) as info:
        parse("not " * depth + "diabetes")
    assert [p.column for p in info.value.problems] == [0]
    assert "nested" in info.value.problems[0].message


# --- semantics -----------------------------------------------------------------

SEMANTICS = [
    pytest.param("always", {}, True, id="always"),
    pytest.param("not always", {}, False, id="not-always"),
    pytest.param("diabetes", {}, False, id="bool-unknown"),
    pytest.param("not diabetes", {}, True, id="not-bool-unknown"),
    pytest.param("diabetes", {"diabetes": True}, True, id="bool-true"),
    pytest.param("diabetes", {"diabetes": False}, False, id="bool-false"),
    pytest.param("not diabetes", {"diabetes": False}, True, id="not-bool-false"),
    pytest.param("diabetes == false", {}, False, id="eq-false-unknown"),
    pytest.param("diabetes != true", {}, False, id="ne-unknown-is-false"),
    pytest.param("diabetes != true", {"diabetes": False}, True, id="ne-false"),
    pytest.param("pain_level >= 7", {}, False, id="ge-unknown"),
    pytest.param("not pain_level >= 7", {}, True, id="not-ge-unknown"),
    pytest.param("pain_level < 7", {}, False, id="lt-unknown"),
    pytest.param("pain_level != 5", {}, False, id="ne-int-unknown"),
    pytest.param("pain_level >= 7", {"pain_level": 7}, True, id="ge-at-threshold"),
    pytest.param("pain_level >= 7", {"pain_level": 6}, False, id="ge-below-threshold"),
    pytest.param("pain_level >= 0", {"pain_level": 0}, True, id="ge-zero"),
    pytest.param("pain_level < 7", {"pain_level": 6}, True, id="lt-below"),
    pytest.param("pain_level in [7, 8]", {"pain_level": 8}, True, id="in-member"),
    pytest.param("pain_level in [7, 8]", {"pain_level": 9}, False, id="in-non-member"),
    pytest.param("pain_level in [7, 8]", {}, False, id="in-unknown"),
    pytest.param("pain_level not in [7, 8]", {}, True, id="not-in-unknown"),
    pytest.param(
        "neuropathy_severity >= 'moderate'",
        {"neuropathy_severity": "mild"},
        False,
        id="enum-order-mild",
    ),
    pytest.param(
        "neuropathy_severity >= 'moderate'",
        {"neuropathy_severity": "moderate"},
        True,
        id="enum-order-moderate",
    ),
    pytest.param(
        "neuropathy_severity >= 'moderate'",
        {"neuropathy_severity": "severe"},
        True,
        id="enum-order-severe",
    ),
    pytest.param("neuropathy_severity >= 'moderate'", {}, False, id="enum-order-unknown"),
    pytest.param(
        "neuropathy_severity < 'severe'",
        {"neuropathy_severity": "moderate"},
        True,
        id="enum-lt-declared-order-not-alphabetical",
    ),
    pytest.param("requested_pressure > 'light'", {}, False, id="pressure-default"),
    pytest.param(
        "requested_pressure > 'light'", {"requested_pressure": "firm"}, True, id="pressure-firm"
    ),
    pytest.param(
        "requested_pressure <= 'moderate'",
        {"requested_pressure": "firm"},
        False,
        id="pressure-firm-above-moderate",
    ),
    pytest.param("other_conditions is empty", {}, False, id="empty-unknown"),
    pytest.param("other_conditions is not empty", {}, False, id="not-empty-unknown"),
    pytest.param("other_conditions is empty", {"other_conditions": []}, True, id="empty-on-empty"),
    pytest.param(
        "other_conditions is not empty",
        {"other_conditions": []},
        False,
        id="not-empty-on-empty",
    ),
    pytest.param(
        "other_conditions is not empty",
        {"other_conditions": ["gout"]},
        True,
        id="not-empty-on-one",
    ),
    pytest.param('"asthma" in other_conditions', {}, False, id="contains-unknown"),
    pytest.param('"asthma" not in other_conditions', {}, True, id="not-contains-unknown"),
    pytest.param(
        '"Asthma" in other_conditions',
        {"other_conditions": ["  ASTHMA"]},
        True,
        id="contains-normalised-both-sides",
    ),
    pytest.param(
        '"asthma" in other_conditions',
        {"other_conditions": ["gout"]},
        False,
        id="contains-absent",
    ),
    pytest.param("diabetes is unknown", {}, True, id="is-unknown-on-unknown"),
    pytest.param("diabetes is unknown", {"diabetes": False}, False, id="is-unknown-on-false"),
    pytest.param("diabetes is known", {"diabetes": False}, True, id="is-known-on-false"),
    pytest.param(
        "other_conditions is known", {"other_conditions": []}, True, id="is-known-on-empty-list"
    ),
    pytest.param("diabetes and open_wounds", {"diabetes": True}, False, id="and-one-unknown"),
    pytest.param("diabetes or open_wounds", {"open_wounds": True}, True, id="or-one-true"),
    pytest.param("diabetes or open_wounds", {}, False, id="or-both-unknown"),
    pytest.param("not (diabetes or open_wounds)", {}, True, id="not-or-both-unknown"),
    pytest.param("cleared_by_clinician", {}, False, id="clearance-default"),
    pytest.param("not cleared_by_clinician", {}, True, id="not-clearance-default"),
    pytest.param(
        "diabetes and not cleared_by_clinician",
        {"diabetes": True, "cleared_by_clinician": True},
        False,
        id="cleared-diabetes",
    ),
]


@pytest.mark.parametrize(("text", "values", "expected"), SEMANTICS)
def test_evaluate_condition(text: str, values: dict[str, Any], expected: bool):
    """A condition's value on a profile: tests on unknown are false, 'not' is classical."""
    assert holds(parse(text), **values) is expected


# --- negation ------------------------------------------------------------------

#: Small but complete domains: every pain threshold the conditions below use is
#: covered because every pain level is listed.
DOMAINS: dict[str, list[Any]] = {
    "diabetes": [None, False, True],
    "neuropathy_severity": [None, "mild", "moderate", "severe"],
    "pain_level": [None, *range(11)],
    "symptoms_worsening": [None, False, True],
    "open_wounds": [None, False, True],
    "foot_infection": [None, False, True],
    "home_remedies_no_relief": [None, False, True],
    "other_conditions": [None, [], ["asthma"], ["asthma", "gout"], ["gout"]],
    "cleared_by_clinician": [False, True],
    "sharp_pain_during_massage": [False, True],
    "requested_pressure": ["light", "moderate", "firm"],
}


def test_domains_cover_every_field():
    """The enumeration domains name every Profile field."""
    assert set(DOMAINS) == set(SPECS)


def assignments(fields: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Every combination of values of ``fields``; other fields stay unknown/default."""
    names = sorted(fields)
    for combo in itertools.product(*(DOMAINS[name] for name in names)):
        yield Profile(**dict(zip(names, combo, strict=True))).model_dump()


NEGATED = [
    "always",
    "not always",
    "diabetes",
    "not diabetes",
    "diabetes == false",
    "diabetes != true",
    "cleared_by_clinician",
    "not cleared_by_clinician",
    "sharp_pain_during_massage == false",
    "pain_level >= 7",
    "pain_level < 3",
    "pain_level == 0",
    "pain_level != 10",
    "pain_level <= 4",
    "pain_level > 6",
    "pain_level in [0, 5, 10]",
    "pain_level not in [3, 4]",
    "neuropathy_severity >= 'moderate'",
    "neuropathy_severity in ['mild', 'severe']",
    "requested_pressure > 'light'",
    "requested_pressure != 'firm'",
    "other_conditions is empty",
    "other_conditions is not empty",
    "'asthma' in other_conditions",
    "'asthma' not in other_conditions",
    "diabetes is unknown",
    "pain_level is known",
    "diabetes and not cleared_by_clinician",
    "open_wounds or foot_infection or pain_level >= 7 or symptoms_worsening",
    "not (diabetes is unknown or other_conditions is not empty)",
    "cleared_by_clinician and (diabetes is unknown or neuropathy_severity is unknown)",
    "(pain_level > 3 or 'gout' in other_conditions) and not (diabetes and open_wounds)",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negate_is_exact_negation(text: str):
    """negate(c) holds exactly when c does not, on every combination of the fields it reads."""
    node = parse(text)
    negated = negate(node)
    count = 0
    for values in assignments(fields_read(node)):
        expected = not evaluate_condition(node, values, SPECS)
        assert evaluate_condition(Not(node), values, SPECS) is expected, values
        assert evaluate_condition(negated, values, SPECS) is expected, values
        count += 1
    assert count >= 1


def assert_negation_normal_form(node: Condition) -> None:
    """No Not is left in ``node`` except directly over a Contains leaf."""
    for part in walk(node):
        if isinstance(part, Not):
            assert isinstance(part.item, Contains), part


@pytest.mark.parametrize("text", NEGATED)
def test_negate_gives_negation_normal_form(text: str):
    """negate pushes every Not down to the leaves (only a Contains keeps one)."""
    assert_negation_normal_form(negate(parse(text)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("always", Or(()), id="always"),
        pytest.param("not diabetes", yes("diabetes"), id="double-negation"),
        pytest.param(
            "pain_level >= 7",
            Or((Known("pain_level", known=False), Compare("pain_level", "<", 7))),
            id="compare-gains-unknown",
        ),
        pytest.param("diabetes is unknown", Known("diabetes", known=True), id="known-flips"),
        pytest.param(
            "other_conditions is empty",
            Or((Known("other_conditions", known=False), Empty("other_conditions", empty=False))),
            id="empty",
        ),
        pytest.param(
            "pain_level in [1, 2]",
            Or(
                (
                    Known("pain_level", known=False),
                    And((Compare("pain_level", "!=", 1), Compare("pain_level", "!=", 2))),
                )
            ),
            id="inset",
        ),
        pytest.param(
            "diabetes and open_wounds",
            Or(
                (
                    Or((Known("diabetes", known=False), Compare("diabetes", "!=", True))),
                    Or((Known("open_wounds", known=False), Compare("open_wounds", "!=", True))),
                )
            ),
            id="de-morgan",
        ),
    ],
)
def test_negate_shape(text: str, expected: Condition):
    """negate builds the documented shape: De Morgan, flipped operators, 'is unknown' added."""
    assert negate(parse(text)) == expected


# --- rendering -----------------------------------------------------------------

RENDERED = [
    pytest.param("always", "always", id="always"),
    pytest.param("diabetes == true", "diabetes", id="eq-true-is-bare"),
    pytest.param("diabetes == false", "diabetes == false", id="eq-false"),
    pytest.param("pain_level>=7", "pain_level >= 7", id="spacing"),
    pytest.param(
        "neuropathy_severity == 'severe'",
        'neuropathy_severity == "severe"',
        id="double-quotes",
    ),
    pytest.param("pain_level in [1,2]", "pain_level in [1, 2]", id="inset"),
    pytest.param("diabetes in [true, false]", "diabetes in [true, false]", id="inset-bools"),
    pytest.param("'Gout' in other_conditions", '"gout" in other_conditions', id="contains"),
    pytest.param(
        "'say \"hi\" twice' in other_conditions",
        "'say \"hi\" twice' in other_conditions",
        id="contains-with-quote",
    ),
    pytest.param(
        '"raynaud\'s" in other_conditions',
        '"raynaud\'s" in other_conditions',
        id="contains-with-apostrophe",
    ),
    pytest.param("'gout' not in other_conditions", 'not "gout" in other_conditions', id="not-in"),
    pytest.param("other_conditions is not empty", "other_conditions is not empty", id="not-empty"),
    pytest.param("diabetes is unknown", "diabetes is unknown", id="unknown"),
    pytest.param("not  not diabetes", "not not diabetes", id="not-not"),
    pytest.param("not (diabetes or open_wounds)", "not (diabetes or open_wounds)", id="not-group"),
    pytest.param(
        "diabetes and (open_wounds or foot_infection)",
        "diabetes and (open_wounds or foot_infection)",
        id="and-of-or",
    ),
    pytest.param(
        "diabetes or (open_wounds and foot_infection)",
        "diabetes or (open_wounds and foot_infection)",
        id="or-of-and",
    ),
    pytest.param(
        "(diabetes and open_wounds) and foot_infection",
        "(diabetes and open_wounds) and foot_infection",
        id="nested-and",
    ),
    pytest.param(
        "pain_level >= 7\n   or open_wounds", "pain_level >= 7 or open_wounds", id="multi-line"
    ),
]


@pytest.mark.parametrize(("text", "expected"), RENDERED)
def test_render_is_canonical(text: str, expected: str):
    """render gives one canonical text per condition."""
    assert render(parse(text)) == expected


ROUND_TRIP = [
    *(pytest.param(p.values[0], id=f"accepted-{p.id}") for p in ACCEPTED),
    *(pytest.param(text, id=f"negated-{text}") for text in NEGATED),
    pytest.param("'say \"hi\" twice' in other_conditions", id="contains-double-quotes"),
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_render_round_trips(text: str):
    """Parsing a condition's rendering gives back an equal condition."""
    node = parse(text)
    assert parse(render(node)) == node


# --- generated conditions --------------------------------------------------------

BOOL_FIELDS = [n for n, s in SPECS.items() if s.kind == "bool"]
INT_FIELDS = [n for n, s in SPECS.items() if s.kind == "int"]
ENUM_FIELDS = [n for n, s in SPECS.items() if s.kind == "enum"]
LIST_FIELDS = [n for n, s in SPECS.items() if s.kind == "list"]
NULLABLE_FIELDS = [n for n, s in SPECS.items() if s.nullable]
SCALAR_FIELDS = BOOL_FIELDS + INT_FIELDS + ENUM_FIELDS
ORDERING = ["<", "<=", ">", ">="]
NAMES = ["asthma", "gout", "heart disease", "raynaud's", 'say "hi" twice']


def scalar_values(name: str) -> st.SearchStrategy[Any]:
    """The values the language accepts for a scalar field."""
    spec = SPECS[name]
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "int":
        assert spec.low is not None
        assert spec.high is not None
        return st.integers(spec.low, spec.high)
    return st.sampled_from(spec.values)


def compares(name: str) -> st.SearchStrategy[Condition]:
    """A type-correct comparison on a scalar field."""
    ops = ["==", "!="] if SPECS[name].kind == "bool" else ["==", "!=", *ORDERING]
    return st.builds(Compare, st.just(name), st.sampled_from(ops), scalar_values(name))


def insets(name: str) -> st.SearchStrategy[Condition]:
    """A type-correct 'in [...]' on a scalar field."""
    return st.builds(
        InSet, st.just(name), st.lists(scalar_values(name), min_size=1, max_size=3).map(tuple)
    )


LEAVES: st.SearchStrategy[Condition] = st.one_of(
    st.just(Always()),
    st.sampled_from(SCALAR_FIELDS).flatmap(compares),
    st.sampled_from(SCALAR_FIELDS).flatmap(insets),
    st.builds(Known, st.sampled_from(NULLABLE_FIELDS), known=st.booleans()),
    st.builds(Empty, st.sampled_from(LIST_FIELDS), empty=st.booleans()),
    st.builds(Contains, st.sampled_from(LIST_FIELDS), st.sampled_from(NAMES)),
)

CONDITIONS: st.SearchStrategy[Condition] = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
    ),
    max_leaves=8,
)


def field_values(name: str) -> st.SearchStrategy[Any]:
    """Any valid Profile value of a field, unknown included where allowed."""
    spec = SPECS[name]
    if spec.kind == "list":
        known: st.SearchStrategy[Any] = st.lists(st.sampled_from(NAMES), max_size=3)
    else:
        known = scalar_values(name)
    return st.one_of(st.none(), known) if spec.nullable else known


PROFILES = st.fixed_dictionaries({name: field_values(name) for name in SPECS}).map(
    lambda values: Profile(**values).model_dump()
)


@settings(max_examples=200, deadline=None)
@given(CONDITIONS)
def test_generated_conditions_round_trip(node: Condition):
    """Every condition the parser can produce renders to text that parses back to it."""
    assert parse(render(node)) == node


@settings(max_examples=200, deadline=None)
@given(CONDITIONS, PROFILES)
def test_generated_conditions_negate_exactly(node: Condition, values: dict[str, Any]):
    """negate(c) is in negation normal form and holds exactly when c does not."""
    negated = negate(node)
    assert_negation_normal_form(negated)
    expected = not evaluate_condition(node, values, SPECS)
    assert evaluate_condition(negated, values, SPECS) is expected
    assert evaluate_condition(Not(node), values, SPECS) is expected

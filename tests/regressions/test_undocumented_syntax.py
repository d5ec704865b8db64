"""Python syntax the rule grammar does not document is refused, located, with a hint.

The parser accepted fullwidth identifiers (Python folds them to ASCII),
``in (7, 8)``, implicit string concatenation, ``\\N{...}`` escapes, ``0x7``
and ``== True``, and YAML tags on mappings and lists were silently ignored.
Columns after a non-ASCII text were off (``ast`` counts UTF-8 bytes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from neurotriage.language import (
    Compare,
    Condition,
    ConditionError,
    InSet,
    ParseProblem,
    parse_condition,
)
from neurotriage.loading import _yaml
from neurotriage.profile import field_specs
from tests.rulefiles import ONE_TECHNIQUE, write

PREFIX = (
    "'{}' before a quote is not part of the language (no r, b, u or f strings); "
    "write plain quoted text"
)
BACKSLASH = (
    "a backslash is not allowed in quoted text: there are no escapes (such as \\n or \\N{...}); "
    "to put a quote in a name, quote it with the other kind"
)
TAGS = (
    "YAML syntax error: YAML tags (such as !!str or !name) are not allowed in rule files; "
    "write the value plainly"
)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        pytest.param(
            "\uff50ain_level > 3",
            "'\uff50ain_level' has non-ASCII characters; field names and keywords are ASCII "
            "(did you mean 'pain_level'?)",
            0,
            id="fullwidth-field",
        ),
        pytest.param(
            "diabetes \uff41\uff4e\uff44 open_wounds",
            "'\uff41\uff4e\uff44' has non-ASCII characters; field names and keywords are ASCII "
            "(did you mean 'and'?)",
            9,
            id="fullwidth-keyword",
        ),
        pytest.param(
            "diab\u0435tes",  # a Cyrillic "e"
            "'diab\u0435tes' has non-ASCII characters; field names and keywords are ASCII",
            0,
            id="look-alike-field",
        ),
        pytest.param(
            "pain_level in (7, 8)",
            "write the values in square brackets: 'in [7, 8]'",
            14,
            id="tuple",
        ),
        pytest.param(
            "diabetes and pain_level not in (7,)",
            "write the values in square brackets: 'in [7]'",
            31,
            id="one-tuple",
        ),
        pytest.param(
            "'kidney' ' disease' in other_conditions",
            "two quoted texts side by side are not joined; write them as one quoted text",
            9,
            id="implicit-concatenation",
        ),
        pytest.param(
            '"kidney\\N{NO-BREAK SPACE}disease" in other_conditions',
            BACKSLASH,
            7,
            id="named-escape",
        ),
        pytest.param('"a\\nb" in other_conditions', BACKSLASH, 2, id="newline-escape"),
        pytest.param('"say \\"hi\\"" in other_conditions', BACKSLASH, 5, id="escaped-quote"),
        pytest.param('"a\\\\b" in other_conditions', BACKSLASH, 2, id="escaped-backslash"),
        pytest.param("r'gout' in other_conditions", PREFIX.format("r"), 0, id="raw-string"),
        pytest.param("b'gout' in other_conditions", PREFIX.format("b"), 0, id="bytes"),
        pytest.param("U'gout' in other_conditions", PREFIX.format("U"), 0, id="unicode-prefix"),
        pytest.param("diabetes == f'{x}'", PREFIX.format("f"), 12, id="f-string"),
        pytest.param(
            '"""gout""" in other_conditions',
            "triple quotes are not part of the language; quote text with \" or '",
            0,
            id="triple-quotes",
        ),
        pytest.param(
            "pain_level == 0x7", "write numbers in plain decimal digits: 7, not '0x7'", 14, id="hex"
        ),
        pytest.param(
            "pain_level >= 0o7",
            "write numbers in plain decimal digits: 7, not '0o7'",
            14,
            id="octal",
        ),
        pytest.param(
            "pain_level > 0b1",
            "write numbers in plain decimal digits: 1, not '0b1'",
            13,
            id="binary",
        ),
        pytest.param(
            "pain_level < 1_0",
            "write numbers in plain decimal digits: 10, not '1_0'",
            13,
            id="underscore",
        ),
        pytest.param(
            "pain_level == 07",
            "write numbers in plain decimal digits: 7, not '07'",
            14,
            id="leading-zero",
        ),
        pytest.param(
            "pain_level > -07",
            "write numbers in plain decimal digits: 7, not '07'",
            14,
            id="negative-leading-zero",
        ),
        pytest.param(
            "pain_level == 7.0",
            "write numbers in plain decimal digits: 7, not '7.0'",
            14,
            id="float",
        ),
        pytest.param(
            "pain_level <= 1e1",
            "write numbers in plain decimal digits: 10, not '1e1'",
            14,
            id="exponent",
        ),
        pytest.param(
            "pain_level == 7.5",
            "numbers are whole and written in decimal digits; '7.5' is not one",
            14,
            id="fraction",
        ),
        pytest.param(
            "pain_level == 7j",
            "numbers are whole and written in decimal digits; '7j' is not one",
            14,
            id="complex",
        ),
        pytest.param(
            "diabetes == True", "write 'true', not 'True': values are lower case", 12, id="True"
        ),
        pytest.param(
            "open_wounds in [False]",
            "write 'false', not 'False': values are lower case",
            16,
            id="False",
        ),
        pytest.param(
            "False != diabetes",
            "write 'false', not 'False': values are lower case",
            0,
            id="mirrored",
        ),
        pytest.param(
            "pain_level == None", "None is not a value; write 'FIELD is unknown'", 14, id="None"
        ),
        pytest.param(
            "diabetes and '\ud800' in other_conditions",
            "U+D800 is half of a surrogate pair, not a character",
            14,
            id="surrogate",
        ),
    ],
)
def test_undocumented_syntax_is_refused_at_its_column(text: str, message: str, column: int):
    """Each construct outside the grammar is one located problem with a hint."""
    with pytest.raises(ConditionError) as info:
        parse_condition(text, field_specs())
    assert info.value.problems == [ParseProblem(message, column)]


def test_every_lexical_problem_is_reported():
    """Several token problems in one condition are all listed, in text order."""
    with pytest.raises(ConditionError) as info:
        parse_condition(
            "pain_level == 0x7 or diabetes == True or 'a' 'b' in other_conditions", field_specs()
        )
    assert [p.column for p in info.value.problems] == [14, 33, 45]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("pain_level in [7, 8,]", InSet("pain_level", (7, 8)), id="trailing-comma"),
        pytest.param("(pain_level) > (3)", Compare("pain_level", ">", 3), id="parenthesised"),
        pytest.param("pain_level == 0", Compare("pain_level", "==", 0), id="zero"),
        pytest.param("pain_level > -0", Compare("pain_level", ">", 0), id="minus-zero"),
    ],
)
def test_documented_leniencies_parse(text: str, expected: Condition):
    """What the grammar page allows beyond the EBNF (a trailing comma, parentheses) parses."""
    assert parse_condition(text, field_specs()) == expected


def test_a_column_after_non_ascii_text_counts_characters():
    """A problem after a non-ASCII name is at its character column, not its UTF-8 byte offset."""
    with pytest.raises(ConditionError) as info:
        parse_condition(
            '"caf\u00e9 \u7cd6\u5c3f\u75c5" in other_conditions and diabetis', field_specs()
        )
    assert info.value.problems == [
        ParseProblem("unknown field 'diabetis' (did you mean 'diabetes'?)", 35)  # byte 42
    ]


def rule_dir(tmp_path: Path, text: str) -> Path:
    """A rule directory with one technique and ``text`` as its rule file."""
    return write(tmp_path / "rules", {"techniques.yaml": ONE_TECHNIQUE, "rules.yaml": text})


def test_the_caret_sits_under_the_problem_after_non_ascii_text(tmp_path: Path):
    """The rule file error's column and caret point at the unknown field, after a non-ASCII name."""
    text = (
        "rules:\n"
        "  - id: cafe\n"
        "    description: A rule.\n"
        "    when: '\"caf\u00e9 au lait\" in other_conditions or diabetis'\n"
        "    block: all\n"
    )
    with pytest.raises(RuleError) as info:
        load_rules(rule_dir(tmp_path, text))
    assert (info.value.line, info.value.column) == (4, 50)
    source, caret = str(info.value).splitlines()[-2:]
    assert source[caret.index("^") :].startswith("diabetis")


TAGGED = [
    pytest.param("rules: !!seq []\n", (1, 8), id="on-a-list"),
    pytest.param("!!map\nrules: []\n", (1, 1), id="on-the-document"),
    pytest.param(
        "rules:\n  - !rule\n    id: r\n    description: A rule.\n    when: diabetes\n",
        (2, 5),
        id="on-a-mapping",
    ),
    pytest.param(
        "rules:\n  - id: r\n    description: !!str A rule.\n    when: diabetes\n    block: all\n",
        (3, 18),
        id="on-a-value",
    ),
    pytest.param("version: !!str 2026.11\n", (1, 10), id="changing-a-type"),
    pytest.param("? !!str rules\n: []\n", (1, 3), id="on-a-key"),
    pytest.param("rules: ! []\n", (1, 8), id="non-specific"),
]


@pytest.mark.parametrize(("text", "position"), TAGGED)
def test_yaml_tags_are_refused_where_they_are(tmp_path: Path, text: str, position: tuple[int, int]):
    """A YAML tag anywhere in a rule file is a RuleError at the tag."""
    with pytest.raises(RuleError) as info:
        load_rules(rule_dir(tmp_path, text))
    [problem] = info.value.problems
    assert (problem.line, problem.column) == position
    assert problem.message == TAGS


@pytest.mark.skipif(_yaml._CLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize(("text", "position"), TAGGED)
def test_yaml_tags_are_refused_without_libyaml_too(
    monkeypatch: pytest.MonkeyPatch, text: str, position: tuple[int, int]
):
    """The pure-Python loader refuses the same tags at the same place as the libyaml path."""
    with pytest.raises(_yaml.YamlProblem) as fast:
        _yaml.load_located(text)
    monkeypatch.setattr(_yaml, "_CLoader", None)
    with pytest.raises(_yaml.YamlProblem) as pure:
        _yaml.load_located(text)
    assert fast.value == pure.value
    assert (pure.value.line, pure.value.column) == position

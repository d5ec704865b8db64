"""load_rules: every problem located and reported at once; valid rule sets load and run."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import neurotriage.pipeline.compiled
from neurotriage import (
    NeurotriageError,
    RuleError,
    RuleProblem,
    RuleSet,
    default_rules,
    evaluate,
    load_rules,
)
from neurotriage.pipeline.compiled import compiled_engine
from tests.conftest import available_backends
from tests.rulefiles import (
    DEFAULT_RULES,
    TECHNIQUES,
    THERAPIES,
    copy_rules,
    load_error,
    load_unproved,
    rule_file,
    shown,
    with_catalogue,
    write,
    write_file,
)

# --- one test per kind of error ---------------------------------------------------

ERROR_KINDS = [
    pytest.param(
        {"r.yaml": "rules:\n  - id: r1\n    description: A rule.\n    when: [open\n"},
        [
            (
                "<dir>/r.yaml:5:1: YAML syntax error: while parsing a flow sequence "
                "expected ',' or ']', but got '<stream end>'"
            )
        ],
        ("r.yaml", None, 5, 1),
        id="yaml-syntax",
    ),
    pytest.param(
        {"r.yaml": "rules:\n  - id: r1\n\tdescription: tab\n"},
        [
            (
                "<dir>/r.yaml:3:1: YAML syntax error: while scanning for the next token found "
                "character '\\t' that cannot start any token\n"
                "    \tdescription: tab\n"
                "    ^"
            )
        ],
        ("r.yaml", None, 3, 1),
        id="yaml-syntax-mid-file",
    ),
    pytest.param(
        {"r.yaml": "rulez: []\n"},
        [
            (
                "<dir>/r.yaml:1:1: unknown key 'rulez' (did you mean 'rules'?); "
                "allowed keys: version, rules, techniques, therapies, invariants\n"
                "    rulez: []\n"
                "    ^"
            )
        ],
        ("r.yaml", None, 1, 1),
        id="unknown-top-level-key",
    ),
    pytest.param(
        {"r.yaml": rule_file("diabetes", effect="    block: all\n    colour: red\n")},
        [
            (
                "<dir>/r.yaml:6:5: rule 'r1': unknown key 'colour'; allowed keys: id, description, "
                "when, block, refer, warn, ask, verdict, source\n"
                "        colour: red\n"
                "        ^"
            )
        ],
        ("r.yaml", "r1", 6, 5),
        id="unknown-rule-key",
    ),
    pytest.param(
        {"r.yaml": rule_file("diabetes", effect="    blocks: all\n")},
        [
            (
                "<dir>/r.yaml:5:5: rule 'r1': unknown key 'blocks' (did you mean 'block'?); "
                "allowed keys: id, description, when, block, refer, warn, ask, verdict, source\n"
                "        blocks: all\n"
                "        ^"
            )
        ],
        ("r.yaml", "r1", 5, 5),
        id="unknown-rule-key-did-you-mean",
    ),
    pytest.param(
        {"r.yaml": rule_file("diabetis")},
        [
            (
                "<dir>/r.yaml:4:11: rule 'r1': in 'when': unknown field 'diabetis' "
                "(did you mean 'diabetes'?)\n"
                "        when: diabetis\n"
                "              ^"
            )
        ],
        ("r.yaml", "r1", 4, 11),
        id="unknown-field",
    ),
    pytest.param(
        {"r.yaml": rule_file('pain_level == "high"')},
        [
            (
                "<dir>/r.yaml:4:25: rule 'r1': in 'when': 'pain_level' is a number from 0 to 10, "
                "not 'high'\n"
                '        when: pain_level == "high"\n'
                "                            ^"
            )
        ],
        ("r.yaml", "r1", 4, 25),
        id="type-mismatch",
    ),
    pytest.param(
        {"r.yaml": rule_file('neuropathy_severity == "extreme"')},
        [
            (
                "<dir>/r.yaml:4:34: rule 'r1': in 'when': 'extreme' is not a value of "
                "'neuropathy_severity' (one of 'mild', 'moderate', 'severe')\n"
                '        when: neuropathy_severity == "extreme"\n'
                "                                     ^"
            )
        ],
        ("r.yaml", "r1", 4, 34),
        id="enum-out-of-domain",
    ),
    pytest.param(
        {"r.yaml": rule_file("pain_level >= 11")},
        [
            (
                "<dir>/r.yaml:4:25: rule 'r1': in 'when': 11 is outside 'pain_level' (0 to 10)\n"
                "        when: pain_level >= 11\n"
                "                            ^"
            )
        ],
        ("r.yaml", "r1", 4, 25),
        id="int-out-of-range",
    ),
    pytest.param(
        {"r.yaml": rule_file("diabetes", effect="    block: [gentle_stroking, elbow_press]\n")},
        [
            (
                "<dir>/r.yaml:5:30: rule 'r1': unknown technique 'elbow_press' in 'block'\n"
                "        block: [gentle_stroking, elbow_press]\n"
                "                                 ^"
            )
        ],
        ("r.yaml", "r1", 5, 30),
        id="unknown-technique",
    ),
    pytest.param(
        {"a.yaml": rule_file("diabetes"), "b.yaml": rule_file("open_wounds")},
        [
            (
                "<dir>/b.yaml:2:5: rule 'r1': duplicate rule id (first defined at <dir>/a.yaml:2)\n"
                "      - id: r1\n"
                "        ^"
            )
        ],
        ("b.yaml", "r1", 2, 5),
        id="duplicate-rule-id-across-files",
    ),
    pytest.param(
        {"r.yaml": "rules:\n" + rule_file("diabetes")[7:] + rule_file("open_wounds")[7:]},
        [
            (
                "<dir>/r.yaml:6:5: rule 'r1': duplicate rule id (first defined at <dir>/r.yaml:2)\n"
                "      - id: r1\n"
                "        ^"
            )
        ],
        ("r.yaml", "r1", 6, 5),
        id="duplicate-rule-id-in-one-file",
    ),
    pytest.param(
        {"r.yaml": rule_file("pain_level > 3)")},
        [
            (
                "<dir>/r.yaml:4:25: rule 'r1': in 'when': invalid syntax: unmatched ')'\n"
                "        when: pain_level > 3)\n"
                "                            ^"
            )
        ],
        ("r.yaml", "r1", 4, 25),
        id="bad-syntax",
    ),
    pytest.param(
        {"r.yaml": rule_file("(diabetes or open_wounds")},
        [
            (
                "<dir>/r.yaml:4:11: rule 'r1': in 'when': invalid syntax: '(' was never closed\n"
                "        when: (diabetes or open_wounds\n"
                "              ^"
            )
        ],
        ("r.yaml", "r1", 4, 11),
        id="bad-syntax-unclosed",
    ),
    pytest.param(
        {"r.yaml": rule_file("__import__('os')")},
        [
            (
                "<dir>/r.yaml:4:11: rule 'r1': in 'when': expected a condition, "
                "found a function call\n"
                "        when: __import__('os')\n"
                "              ^"
            )
        ],
        ("r.yaml", "r1", 4, 11),
        id="code-import",
    ),
    pytest.param(
        {"r.yaml": rule_file("pain_level > __import__('os').getpid()")},
        [
            (
                "<dir>/r.yaml:4:24: rule 'r1': in 'when': expected a value (true, false, a number "
                "or quoted text), found a function call\n"
                "        when: pain_level > __import__('os').getpid()\n"
                "                           ^"
            )
        ],
        ("r.yaml", "r1", 4, 24),
        id="code-import-as-value",
    ),
    pytest.param(
        {"r.yaml": rule_file("open_wounds.__class__")},
        [
            (
                "<dir>/r.yaml:4:11: rule 'r1': in 'when': expected a condition, "
                "found an attribute access\n"
                "        when: open_wounds.__class__\n"
                "              ^"
            )
        ],
        ("r.yaml", "r1", 4, 11),
        id="code-attribute",
    ),
    pytest.param(
        {"r.yaml": rule_file("diabetes and exit()")},
        [
            (
                "<dir>/r.yaml:4:24: rule 'r1': in 'when': expected a condition, "
                "found a function call\n"
                "        when: diabetes and exit()\n"
                "                           ^"
            )
        ],
        ("r.yaml", "r1", 4, 24),
        id="code-call",
    ),
]


@pytest.mark.parametrize(("files", "expected", "first"), ERROR_KINDS)
def test_each_error_kind_is_located(
    tmp_path: Path,
    files: dict[str, str],
    expected: list[str],
    first: tuple[str, str | None, int, int],
):
    """Each kind of error names the file, line, column and rule, quoting the line with a caret."""
    error = load_error(with_catalogue(tmp_path, files))
    assert [str(p) for p in error.problems] == shown(tmp_path, expected)
    name, rule_id, line, column = first
    assert (error.file, error.rule_id, error.line, error.column) == (
        str(tmp_path / name),
        rule_id,
        line,
        column,
    )


def test_rule_error_is_a_neurotriage_error_and_a_value_error():
    """RuleError subclasses both NeurotriageError and ValueError."""
    assert issubclass(RuleError, NeurotriageError)
    assert issubclass(RuleError, ValueError)


def test_rule_error_message_lists_every_problem(tmp_path: Path):
    """str(RuleError) counts the problems and lists each one on its own lines."""
    error = load_error(
        with_catalogue(tmp_path, {"r.yaml": rule_file("diabetis and pain_level > 11")})
    )
    assert [str(error)] == shown(
        tmp_path,
        [
            (
                "2 problems in rule set:\n"
                "<dir>/r.yaml:4:11: rule 'r1': in 'when': unknown field 'diabetis' "
                "(did you mean 'diabetes'?)\n"
                "        when: diabetis and pain_level > 11\n"
                "              ^\n"
                "<dir>/r.yaml:4:37: rule 'r1': in 'when': 11 is outside 'pain_level' (0 to 10)\n"
                "        when: diabetis and pain_level > 11\n"
                "                                        ^"
            )
        ],
    )


def test_rule_error_needs_a_problem():
    """A RuleError with no problem cannot be made."""
    with pytest.raises(ValueError, match=r"^RuleError needs at least one problem$"):
        RuleError([])


def test_problem_without_a_line_shows_only_the_file():
    """A problem with no location renders as 'file: message'."""
    assert str(RuleProblem("rules/x.yaml", "something is off")) == "rules/x.yaml: something is off"


# --- several problems at once ------------------------------------------------------


def test_errors_from_several_files_are_reported_together_in_order(tmp_path: Path):
    """One RuleError lists every problem of every file, sorted by file and then line."""
    files = {
        "b.yaml": (
            "rules:\n"
            "  - id: r3\n"
            "    description: B.\n"
            "    when: diabetes\n"
            "    block: [nope]\n"
            "  - id: r2\n"
            "    description: B.\n"
            "    when: pain_level == 'x'\n"
            "    block: all\n"
        ),
        "c.yaml": "rules: [\n",
        "a.yaml": rule_file("diabetes and open_wound"),
    }
    error = load_error(with_catalogue(tmp_path, files))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/a.yaml:4:24: rule 'r1': in 'when': unknown field 'open_wound' "
                "(did you mean 'open_wounds'?)\n"
                "        when: diabetes and open_wound\n"
                "                           ^"
            ),
            (
                "<dir>/b.yaml:5:13: rule 'r3': unknown technique 'nope' in 'block'\n"
                "        block: [nope]\n"
                "                ^"
            ),
            (
                "<dir>/b.yaml:8:25: rule 'r2': in 'when': 'pain_level' is a number from 0 to 10, "
                "not 'x'\n"
                "        when: pain_level == 'x'\n"
                "                            ^"
            ),
            (
                "<dir>/c.yaml:2:1: YAML syntax error: while parsing a flow node "
                "expected the node content, but found '<stream end>'"
            ),
        ],
    )
    assert str(error).startswith("4 problems in rule set:\n")
    assert (error.file, error.rule_id, error.line, error.column) == (
        str(tmp_path / "a.yaml"),
        "r1",
        4,
        24,
    )


def test_rule_with_unknown_key_still_has_its_condition_checked(tmp_path: Path):
    """A rule with an unknown key is still type-checked, so one load lists both problems."""
    text = rule_file("pain_level == 'high'", effect="    block: all\n    colour: red\n")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:4:25: rule 'r1': in 'when': 'pain_level' is a number from 0 to 10, "
                "not 'high'\n"
                "        when: pain_level == 'high'\n"
                "                            ^"
            ),
            (
                "<dir>/r.yaml:6:5: rule 'r1': unknown key 'colour'; allowed keys: id, description, "
                "when, block, refer, warn, ask, verdict, source\n"
                "        colour: red\n"
                "        ^"
            ),
        ],
    )


# --- further checks ----------------------------------------------------------------


def test_duplicate_yaml_keys_are_rejected(tmp_path: Path):
    """A key given twice in one mapping is an error, not silently the last value."""
    text = (
        "rules:\n"
        "  - id: r1\n"
        "    description: A rule.\n"
        "    when: open_wounds\n"
        "    when: always\n"
        "    block: all\n"
    )
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:5:5: YAML syntax error: duplicate key 'when' (first at line 4)\n"
                "        when: always\n"
                "        ^"
            )
        ],
    )


def test_duplicate_technique_ids_are_rejected(tmp_path: Path):
    """A technique id defined twice, in one file or across files, is an error at the second."""
    extra = (
        "techniques:\n"
        "  - id: thumb_pressure\n"
        "    name: Thumb\n"
        "    area: foot\n"
        "    how_to: Press.\n"
        "    pressure_ceiling: light\n"
    )
    error = load_error(with_catalogue(tmp_path, {"z-more.yaml": extra}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/z-more.yaml:2:5: duplicate technique id 'thumb_pressure'\n"
                "      - id: thumb_pressure\n"
                "        ^"
            )
        ],
    )


def test_duplicate_therapy_ids_are_rejected(tmp_path: Path):
    """A therapy id defined twice is an error at the second definition."""
    error = load_error(with_catalogue(tmp_path, {"a.yaml": THERAPIES, "b.yaml": THERAPIES}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        ["<dir>/b.yaml:2:5: duplicate therapy id 'yoga'\n      - id: yoga\n        ^"],
    )


def test_unknown_technique_suggests_the_closest(tmp_path: Path):
    """An unknown technique id in 'block' names the closest catalogue id."""
    text = rule_file("diabetes", effect="    block: [thumb_presure]\n")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:5:13: rule 'r1': unknown technique 'thumb_presure' in 'block' "
                "(did you mean 'thumb_pressure'?)\n"
                "        block: [thumb_presure]\n"
                "                ^"
            )
        ],
    )


def test_ask_must_name_a_profile_field(tmp_path: Path):
    """'ask' naming something that is not a Profile field is an error at that item."""
    text = rule_file("diabetes is unknown", effect="    ask: [diabetes, diabetis]\n")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:5:21: rule 'r1': 'ask' names 'diabetis', "
                "which is not a field of Profile (did you mean 'diabetes'?)\n"
                "        ask: [diabetes, diabetis]\n"
                "                        ^"
            )
        ],
    )


def test_rule_without_effect_is_rejected(tmp_path: Path):
    """A rule that neither blocks, refers, warns, asks nor sets a verdict is an error."""
    error = load_error(with_catalogue(tmp_path, {"r.yaml": rule_file("diabetes", effect="")}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:2:5: rule 'r1': the rule has no effect; give it block, refer, warn, "
                "ask or verdict ('refer: none' and 'verdict: proceed' change nothing)\n"
                "      - id: r1\n"
                "        ^"
            )
        ],
    )


def warning_rule(rule_id: str, message: str) -> str:
    """One rule item (no 'rules:' header) that warns with code 'w1'."""
    return (
        f"  - id: {rule_id}\n"
        "    description: A rule.\n"
        "    when: diabetes\n"
        "    warn:\n"
        "      code: w1\n"
        "      severity: caution\n"
        f"      message: {message}\n"
    )


def test_warning_code_reused_with_another_message_is_rejected(tmp_path: Path):
    """One warning code must always carry the same severity and message."""
    text = "rules:\n" + warning_rule("r1", "Take care.") + warning_rule("r2", "Take more care.")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:13:7: rule 'r2': warning code 'w1' is also used by rule 'r1' with "
                "another severity or message; one code, one warning\n"
                "          code: w1\n"
                "          ^"
            )
        ],
    )


def test_warning_code_reused_with_the_same_message_loads(tmp_path: Path):
    """Two rules may share a warning code when they give the same warning."""
    text = "rules:\n" + warning_rule("r1", "Take care.") + warning_rule("r2", "Take care.")
    ruleset = load_unproved(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [r.id for r in ruleset.rules] == ["r1", "r2"]


def test_conflicting_versions_are_rejected(tmp_path: Path):
    """A file declaring another version than the first is an error at its version line."""
    files = {"a.yaml": "version: '1.0'\n", "b.yaml": "version: '2.0'\nrules: []\n"}
    error = load_error(with_catalogue(tmp_path, files))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/b.yaml:1:10: version '2.0' differs from '1.0' declared in <dir>/a.yaml; "
                "declare one version for the rule set\n"
                "    version: '2.0'\n"
                "             ^"
            )
        ],
    )


@pytest.mark.parametrize("effect", ["    refer: none\n", "    verdict: proceed\n"], ids=str.strip)
def test_rule_whose_only_effect_is_a_no_op_is_rejected(tmp_path: Path, effect: str):
    """'refer: none' or 'verdict: proceed' alone change nothing, so the rule has no effect."""
    error = load_error(with_catalogue(tmp_path, {"r.yaml": rule_file("diabetes", effect=effect)}))
    assert "the rule has no effect" in error.problems[0].message


def test_equal_versions_in_several_files_load(tmp_path: Path):
    """Several files may declare the same version; it prefixes the rule set version."""
    files = {"a.yaml": "version: '1.0'\n", "b.yaml": "version: '1.0'\n"}
    assert load_unproved(with_catalogue(tmp_path, files)).version.startswith("1.0+")


def test_empty_directory_is_rejected(tmp_path: Path):
    """A directory holding no .yaml or .yml file is an error, not an empty rule set."""
    write(tmp_path, {"notes.txt": "rules: []\n"})
    error = load_error(tmp_path)
    assert [str(p) for p in error.problems] == [
        f"{tmp_path}: the directory holds no .yaml or .yml rule files"
    ]
    assert (error.file, error.rule_id, error.line, error.column) == (
        str(tmp_path),
        None,
        None,
        None,
    )


def test_missing_path_is_rejected(tmp_path: Path):
    """A path that does not exist is a RuleError naming it."""
    missing = tmp_path / "no-such-rules"
    error = load_error(missing)
    assert [str(p) for p in error.problems] == [f"{missing}: no such file or directory"]
    assert error.file == str(missing)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- id: r1\n  when: diabetes\n", id="list"),
        pytest.param("just some text\n", id="scalar"),
        pytest.param("", id="empty-file"),
        pytest.param("# only a comment\n", id="comment-only"),
    ],
)
def test_file_must_be_a_mapping(tmp_path: Path, text: str):
    """A rule file that is a list, a scalar or empty is an error naming the file."""
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml: a rule file must be a mapping with "
                "'rules:', 'techniques:', 'therapies:' or 'invariants:'"
            )
        ],
    )


def test_rule_set_needs_a_technique_catalogue(tmp_path: Path):
    """A rule set without any technique is an error."""
    error = load_error(write(tmp_path, {"r.yaml": rule_file("diabetes")}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path, ["<dir>/r.yaml: the rule set has no technique catalogue ('techniques:')"]
    )


# --- positions in multi-line conditions ----------------------------------------------

MULTI_LINE = [
    pytest.param(
        '    when: |\n      diabetes\n      and pain_level == "high"\n',
        (6, 25),
        "'pain_level' is a number from 0 to 10, not 'high'",
        '      and pain_level == "high"',
        id="literal",
    ),
    pytest.param(
        '    when: >\n      diabetes and\n      pain_level == "high"\n',
        (6, 21),
        "'pain_level' is a number from 0 to 10, not 'high'",
        '      pain_level == "high"',
        id="folded",
    ),
    pytest.param(
        "    when: >-\n        diabetes and\n        diabetis\n",
        (6, 9),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "        diabetis",
        id="folded-strip-deeper-indent",
    ),
    pytest.param(
        "    when: diabetes and\n      diabetis\n",
        (5, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "      diabetis",
        id="plain",
    ),
    pytest.param(
        "    when: diabetes and\n      open_wounds and\n          diabetis\n",
        (6, 11),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "          diabetis",
        id="plain-three-lines",
    ),
    pytest.param(
        '    when: "diabetes and\n      diabetis"\n',
        (5, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        '      diabetis"',
        id="double-quoted",
    ),
    pytest.param(
        "    when: 'pain_level >= 7 and\n      pain_level == \"x\"'\n",
        (5, 21),
        "'pain_level' is a number from 0 to 10, not 'x'",
        '      pain_level == "x"\'',
        id="single-quoted",
    ),
    pytest.param(
        "    when: |\n      (diabetes\n      or open_wounds\n",
        (5, 7),
        "invalid syntax: '(' was never closed",
        "      (diabetes",
        id="literal-syntax-error",
    ),
    pytest.param(
        "    when: |\n      diabetes and\n\n      diabetis\n",
        (7, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "      diabetis",
        id="literal-blank-line",
    ),
    pytest.param(
        "    when: |\n      diabetes and\n          diabetis\n",
        (6, 11),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "          diabetis",
        id="literal-more-indented",
    ),
    pytest.param(
        "    when: >\n      diabetes and\n\n      diabetis\n",
        (7, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "      diabetis",
        id="folded-blank-line",
    ),
    pytest.param(
        "    when: >\n      diabetes and\n        open_wounds and\n      diabetis\n",
        (7, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "      diabetis",
        id="folded-more-indented",
    ),
    pytest.param(
        "    when: diabetes and\n\n      diabetis\n",
        (6, 7),
        "unknown field 'diabetis' (did you mean 'diabetes'?)",
        "      diabetis",
        id="plain-blank-line",
    ),
]


@pytest.mark.parametrize(("when", "where", "message", "source"), MULTI_LINE)
def test_multi_line_condition_errors_point_at_the_right_place(
    tmp_path: Path, when: str, where: tuple[int, int], message: str, source: str
):
    """An error in a multi-line 'when' gives the file line and column of the offending text."""
    line, column = where
    text = "rules:\n  - id: r1\n    description: A rule.\n" + when + "    block: all\n"
    assert text.splitlines()[line - 1] == source  # the table itself is consistent
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == [
        (
            f"{tmp_path / 'r.yaml'}:{line}:{column}: rule 'r1': in 'when': {message}\n"
            f"    {source}\n"
            f"    {' ' * (column - 1)}^"
        )
    ]


def test_flow_mapping_rule_errors_point_into_the_line(tmp_path: Path):
    """A rule written as a flow mapping gets the column of its 'when' value."""
    text = "rules:\n  - {id: r1, description: A rule., when: diabetis, block: all}\n"
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [str(p) for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/r.yaml:2:42: rule 'r1': in 'when': unknown field 'diabetis' "
                "(did you mean 'diabetes'?)\n"
                "      - {id: r1, description: A rule., when: diabetis, block: all}\n"
                "                                             ^"
            )
        ],
    )


def test_comment_in_block_condition_is_refused(tmp_path: Path):
    """A '#' inside a block 'when' is an error at the '#', never a dropped line."""
    text = rule_file("|\n      open_wounds  # a red flag\n      or foot_infection")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    assert [(p.rule_id, p.line, p.column) for p in error.problems] == [("r1", 5, 20)]
    assert "'#' comments are not allowed inside a condition" in error.problems[0].message


@pytest.mark.parametrize("depth", [1000, 5000], ids=str)
def test_deeply_nested_condition_is_a_rule_error(tmp_path: Path, depth: int):
    """An absurdly nested condition fails as a RuleError for its rule, not as a crash."""
    text = rule_file("not " * depth + "diabetes")
    error = load_error(with_catalogue(tmp_path, {"r.yaml": text}))
    problem = error.problems[0]
    assert (problem.rule_id, problem.line, problem.column) == ("r1", 4, 11)
    assert problem.message == "in 'when': the condition is nested more than 100 levels deep"


# --- valid rule sets -----------------------------------------------------------------

CUSTOM_RULES = """\
version: "3.1"
rules:
  - id: high-pain-no-thumbs
    description: With pain of 5 or more, no thumb pressure.
    when: pain_level >= 5
    block: [thumb_pressure]
    warn:
      code: mind-the-pain
      severity: caution
      message: Go gently; your pain is high.
    source: {document: test, section: pain}
  - id: wounds
    description: Open wounds need a doctor.
    when: |
      open_wounds
      or "ulcer" in other_conditions
    block: all
    refer: see_doctor
    verdict: see_doctor
  - id: ask-pain
    description: We need your pain level.
    when: pain_level is unknown
    ask: [pain_level]
"""


@pytest.fixture
def custom(tmp_path: Path) -> RuleSet:
    """A small valid rule set spread over three files."""
    return load_unproved(
        write(
            tmp_path,
            {"techniques.yaml": TECHNIQUES, "therapies.yml": THERAPIES, "rules.yaml": CUSTOM_RULES},
        )
    )


def test_custom_rule_set_loads(custom: RuleSet, tmp_path: Path):
    """A valid rule set loads with its catalogue, its rules in order and their locations."""
    assert custom.technique_ids == ("gentle_stroking", "thumb_pressure")
    assert [t.id for t in custom.therapies] == ["yoga"]
    assert [r.id for r in custom.rules] == ["high-pain-no-thumbs", "wounds", "ask-pain"]
    assert [(r.file, r.line) for r in custom.rules] == [
        (str(tmp_path / "rules.yaml"), 3),
        (str(tmp_path / "rules.yaml"), 12),
        (str(tmp_path / "rules.yaml"), 20),
    ]
    assert custom.rule("wounds").block == frozenset({"gentle_stroking", "thumb_pressure"})
    assert custom.rule("high-pain-no-thumbs").block == frozenset({"thumb_pressure"})
    assert custom.version.startswith("3.1+")
    assert custom.fields_read == frozenset({"pain_level", "open_wounds", "other_conditions"})


def outcome(
    allowed: list[str], fired: list[str], verdict: str, questions: list[str]
) -> dict[str, object]:
    """The parts of a Decision the custom rule set tests compare."""
    return {"allowed": allowed, "fired": fired, "verdict": verdict, "questions": questions}


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        pytest.param(
            {"pain_level": 6, "open_wounds": False},
            outcome(["gentle_stroking"], ["high-pain-no-thumbs"], "proceed", []),
            id="high-pain",
        ),
        pytest.param(
            {"pain_level": 2, "open_wounds": False},
            outcome(["gentle_stroking", "thumb_pressure"], [], "proceed", []),
            id="low-pain",
        ),
        pytest.param(
            {"pain_level": 2, "other_conditions": ["Ulcer"]},
            outcome([], ["wounds"], "see_doctor", []),
            id="ulcer",
        ),
        pytest.param(
            {"open_wounds": True},
            outcome([], ["ask-pain", "wounds"], "see_doctor", ["pain_level"]),
            id="wounds-pain-unknown",
        ),
    ],
)
def test_custom_rule_set_evaluates(
    custom: RuleSet, backend: str, profile: dict[str, object], expected: dict[str, object]
):
    """evaluate(..., rules=) applies a custom rule set on each backend."""
    decision = evaluate(profile, rules=custom, backend=backend)
    actual = outcome(
        [t.technique for t in decision.allowed_techniques],
        list(decision.fired_rules),
        decision.verdict,
        list(decision.questions),
    )
    assert actual == expected
    assert decision.ruleset_version == custom.version
    assert [t.therapy for t in decision.complementary_therapies] == ["yoga"]


def test_custom_rule_set_where_no_rule_fires(tmp_path: Path, backend: str):
    """A profile that fires no rule of a custom rule set proceeds with every technique allowed."""
    ruleset = load_unproved(with_catalogue(tmp_path, {"r.yaml": rule_file("open_wounds")}))
    decision = evaluate({"open_wounds": False}, rules=ruleset, backend=backend)
    assert decision.fired_rules == ()
    assert decision.verdict == "proceed"
    assert [t.technique for t in decision.allowed_techniques] == [
        "gentle_stroking",
        "thumb_pressure",
    ]
    assert decision.blocked_techniques == ()


def test_single_file_loads(tmp_path: Path, backend: str):
    """load_rules accepts a single file holding the catalogue and the rules together."""
    path = write_file(tmp_path / "all.yaml", TECHNIQUES + CUSTOM_RULES)
    ruleset = load_unproved(path)
    assert [r.id for r in ruleset.rules] == ["high-pain-no-thumbs", "wounds", "ask-pain"]
    assert {r.file for r in ruleset.rules} == {str(path)}
    decision = evaluate({"pain_level": 9, "open_wounds": False}, rules=ruleset, backend=backend)
    assert [t.technique for t in decision.blocked_techniques] == ["thumb_pressure"]


def test_single_file_errors_name_the_file(tmp_path: Path):
    """Errors in a single file loaded directly name that file."""
    path = write_file(tmp_path / "all.yaml", TECHNIQUES + rule_file("diabetis"))
    error = load_error(path)
    assert [str(p) for p in error.problems] == [
        (
            f"{path}:15:11: rule 'r1': in 'when': unknown field 'diabetis' "
            "(did you mean 'diabetes'?)\n"
            "        when: diabetis\n"
            "              ^"
        )
    ]


def test_other_files_in_the_directory_are_ignored(tmp_path: Path):
    """Only .yaml and .yml files of a directory are read."""
    write(tmp_path, {"t.yml": TECHNIQUES, "README.txt": "not yaml: [", "r.yaml.bak": "x: ["})
    assert load_unproved(tmp_path).technique_ids == ("gentle_stroking", "thumb_pressure")


# --- the default rule set ------------------------------------------------------------


def test_default_rules_load(rules: RuleSet):
    """The built-in rule set loads and has rules."""
    assert len(rules.rules) > 0


def test_default_rules_is_the_rules_directory():
    """default_rules() is the rule set in the project's rules/ directory."""
    assert default_rules().version == load_rules(DEFAULT_RULES).version


def test_default_rule_ids_are_unique(rules: RuleSet):
    """No two default rules share an id."""
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids))


def test_every_default_rule_has_a_source(rules: RuleSet):
    """Every default rule names the document and section it rests on."""
    assert [r.id for r in rules.rules if r.source is None] == []
    assert all(r.source.document and r.source.section for r in rules.rules if r.source)


def test_every_default_technique_is_light(rules: RuleSet):
    """Every technique of the default catalogue has a light pressure ceiling."""
    assert {t.id: t.pressure_ceiling for t in rules.techniques} == dict.fromkeys(
        rules.technique_ids, "light"
    )


def test_default_catalogue_is_the_contract(rules: RuleSet):
    """The default catalogue holds exactly the four contract techniques and three therapies."""
    assert sorted(rules.technique_ids) == [
        "ankle_leg_massage",
        "circular_motions",
        "gentle_stroking",
        "thumb_pressure",
    ]
    assert sorted(t.id for t in rules.therapies) == [
        "acupuncture",
        "physical_therapy",
        "yoga_stretching",
    ]


def test_ruleset_version_is_stable_and_tracks_content(tmp_path: Path):
    """The version is the same for two loads of the same files and changes when one changes."""
    copy = copy_rules(tmp_path / "rules")
    first, second = load_unproved(copy), load_unproved(copy)
    assert first.version == second.version
    assert first.version.startswith("2026.11.0+")
    assert first.version == default_rules().version
    session = copy / "session.yaml"
    write_file(session, session.read_text(encoding="utf-8") + "# a comment\n")
    changed = load_unproved(copy)
    assert changed.version != first.version
    assert changed.version.startswith("2026.11.0+")


@pytest.mark.parametrize("backend", available_backends())
def test_ruleset_pickles_as_its_content_and_recompiles(rules: RuleSet, backend: str):
    """A pickled RuleSet carries its rules and version, no engine, and decides the same."""
    compiled_engine(rules, backend)  # compiled engines (C handles, a lock) must not be pickled
    copy = pickle.loads(pickle.dumps(rules))  # noqa: S301 - our own data
    assert neurotriage.pipeline.compiled._compiled.get(copy) is None  # compiles its own
    assert (copy.techniques, copy.therapies, copy.rules) == (
        rules.techniques,
        rules.therapies,
        rules.rules,
    )
    assert (copy.version, copy.invariants) == (rules.version, rules.invariants)
    for profile in [{}, {"open_wounds": True}, {"diabetes": True, "pain_level": 3}]:
        assert evaluate(profile, rules=copy, backend=backend) == evaluate(
            profile, rules=rules, backend=backend
        )

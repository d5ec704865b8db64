"""Random and hostile rule files: load_rules() gives a RuleSet or a RuleError, nothing else.

Never another exception, never a hang (each load has a time limit), never
code run from a rule file (planted payloads would create a sentinel file).
A rule set that does load must evaluate on every backend, and the backends
must agree on it.
"""

from __future__ import annotations

import os
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from neurotriage import Decision, RuleError, RuleSet, evaluate, load_rules
from tests.conftest import CONDITION_FIELDS, SAFE, SESSION_FIELDS, available_backends
from tests.robustness._limits import time_limit
from tests.rulefiles import with_default_catalogue

#: Planted payloads create this file if anything ever runs them.
SENTINEL = Path(tempfile.gettempdir()) / f"neurotriage-robustness-sentinel-{os.getpid()}"
TOUCH = f"open({str(SENTINEL)!r}, 'w').write('ran')"
PAYLOADS = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"__import__('builtins').exec({TOUCH!r})",
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    f"(lambda: {TOUCH})()",
    f"lambda: {TOUCH}",
    f'f"{{{TOUCH}}}"',
    TOUCH,
    f"eval({TOUCH!r})",
    f"exec({TOUCH!r})",
    "breakpoint()",
    "globals()['__builtins__']",
    "diabetes.__class__",
    "pain_level.real >= 7",
    f"diabetes and {TOUCH}",
    f"pain_level >= 7 or __import__('os').system('touch {SENTINEL}')",
    f"open_wounds if {TOUCH} else foot_infection",
    f"diabetes == {TOUCH}",
    f"{TOUCH} in other_conditions",
    f"pain_level in [{TOUCH}]",
    f"other_conditions is {TOUCH}",
    "(yield)",
    "await diabetes",
    "diabetes := True",
    "*diabetes",
]
#: Conditions at the edges of the language: each loads and runs, or is a RuleError.
EXTREME = [
    "pain_level >= 1e999",
    "pain_level >= 99999999999999999999999999",
    "pain_level >= -99999999999999999999999999",
    "neuropathy_severity == '\\x00'",
    '"\\x00" in other_conditions',
    '"\\ud800" in other_conditions',
    "diabetes \x00",
    "diabetes # and open_wounds",
    "(" * 300 + "diabetes" + ")" * 300,
    "(" * 99 + "diabetes" + ")" * 99,
    " and ".join(["diabetes"] * 2000),
    " or ".join(f'"c{index}" in other_conditions' for index in range(500)),
    "not " * 500 + "diabetes",
    "not " * 98 + "diabetes",
]
#: Whole YAML documents aimed at the loader rather than the condition language.
HOSTILE_FILES = [
    f"rules: !!python/object/apply:os.system ['touch {SENTINEL}']\n",
    f"rules:\n  - !!python/object/apply:os.system ['touch {SENTINEL}']\n",
    "rules:\n  - {id: a, description: d, when: !!python/name:os.system , ask: [diabetes]}\n",
    "rules:\n  - {id: a, description: d, when: !!binary aGVsbG8=, ask: [diabetes]}\n",
    "rules:\n  - {id: a, description: d, when: 2001-12-14, ask: [diabetes]}\n",
    "rules:\n  - {id: a, description: d, when: diabetes, ask: [diabetes], ? [x] : y}\n",
    "a: &a [*a]\n",
    "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 12)),
    "rules:\n  - &r {id: a, description: d, when: diabetes, ask: [diabetes]}\n  - *r\n",
    "[" * 10_000,
    "{a: " * 10_000,
    "- " * 10_000 + "x",
    "rules: " + "[" * 60 + "]" * 60 + "\n",
    "\ufeffrules: []\n",
    "rules: []\n" * 2,
    "%YAML 1.1\n---\nrules: []\n---\nrules: []\n",
    "rules: [\x00]\n",
    "\x85\u2028rules:\u2029 []",
    "",
    "~",
    "'unterminated",
]

FIELDS = [*CONDITION_FIELDS, *SESSION_FIELDS]
BOOL_FIELDS = [
    "diabetes",
    "symptoms_worsening",
    "open_wounds",
    "foot_infection",
    "home_remedies_no_relief",
    "cleared_by_clinician",
    "sharp_pain_during_massage",
]
NULLABLE = FIELDS[:8]

#: Conditions that are valid (or nearly: misspelt names and bad values appear too).
ATOMS = st.one_of(
    st.sampled_from([*BOOL_FIELDS, "always", "diabeetes", "true", "True"]),
    st.builds(
        "{} is {}".format,
        st.sampled_from([*NULLABLE, "cleared_by_clinician", "nope"]),
        st.sampled_from(["known", "unknown", "empty", "not empty", "not known", "maybe"]),
    ),
    st.builds(
        "pain_level {} {}".format,
        st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "is"]),
        st.sampled_from(["0", "3", "7", "10", "11", "-1", "'7'", "true", "[1, 7]", "[]", "None"]),
    ),
    st.builds(
        "{} {} {!r}".format,
        st.sampled_from(["neuropathy_severity", "requested_pressure"]),
        st.sampled_from(["==", "!=", "<", ">=", "in"]),
        st.sampled_from(["mild", "moderate", "severe", "light", "firm", "Mild", "", 3]),
    ),
    st.builds(
        "{!r} {} other_conditions".format,
        st.text(string.ascii_letters + " '\"\\é", max_size=12),
        st.sampled_from(["in", "not in"]),
    ),
    st.sampled_from(PAYLOADS + EXTREME),
)
CONDITIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.builds("not {}".format, inner),
        st.builds("({})".format, inner),
        st.builds("{} and {}".format, inner, inner),
        st.builds("{} or {}".format, inner, inner),
    ),
    max_leaves=8,
)
#: Any YAML-representable value, for keys and values that should not be there.
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(PAYLOADS),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
IDS = st.sampled_from(["r1", "r2", "r-3", "R4", "1x", "", "gentle_stroking"]) | st.text(max_size=6)
TECHNIQUE_IDS = st.sampled_from(
    ["gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage", "kneading"]
)
RULE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": IDS,
    "description": st.sampled_from(["A rule.", "", "  "]) | st.text(max_size=20),
    "when": CONDITIONS,
    "block": st.sampled_from(["all", "none"]) | st.lists(TECHNIQUE_IDS, max_size=3),
    "refer": st.sampled_from(["none", "consult_before_starting", "see_doctor", "urgent", "later"]),
    "warn": st.fixed_dictionaries(
        {
            "code": IDS,
            "severity": st.sampled_from(["info", "caution", "danger", "fatal"]),
            "message": st.text(max_size=20),
        }
    ),
    "ask": st.lists(st.sampled_from([*FIELDS, "shoe_size"]), max_size=3),
    "verdict": st.sampled_from(["proceed", "needs_answers", "stop", "maybe"]),
    "source": st.fixed_dictionaries(
        {"document": st.text(max_size=8), "section": st.text(max_size=8)}
    ),
}


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    """One rule: mostly the schema's keys with plausible values, sometimes junk."""
    keys = draw(st.sets(st.sampled_from(sorted(RULE_VALUES)), min_size=2))
    rule: dict[str, Any] = {}
    for key in ["id", "description", "when", *sorted(keys)]:
        if key in rule:
            continue
        plausible = draw(st.integers(0, 4)) > 0  # values mostly from the schema
        rule[key] = draw(RULE_VALUES[key] if plausible else JUNK)
    extra = draw(
        st.dictionaries(st.sampled_from(["whne", "blocks", "notes", "x"]), JUNK, max_size=1)
    )
    return {**rule, **extra}


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    """The text of one rule file: valid YAML of rule-like data, possibly damaged."""
    document: Any = {"rules": draw(st.lists(rules(), max_size=4))}
    if draw(st.booleans()):
        document["version"] = draw(st.sampled_from(["1.0", ""]) | JUNK)
    if draw(st.integers(0, 9)) == 0:
        document = draw(JUNK)
    text = yaml.safe_dump(document, allow_unicode=draw(st.booleans()), sort_keys=False)
    damage = draw(st.sampled_from(["none", "none", "truncate", "insert", "replace"]))
    if damage != "none" and text:
        at = draw(st.integers(0, len(text) - 1))
        piece = draw(st.sampled_from(list(":-[]{}'\"&*!|>#%@`\t\n ")) | st.text(max_size=3))
        if damage == "truncate":
            text = text[:at]
        elif damage == "insert":
            text = text[:at] + piece + text[at:]
        else:
            text = text[:at] + piece + text[at + 1 :]
    return text


#: Profiles a loaded rule set is evaluated on.
PROFILES: list[dict[str, Any]] = [
    {},
    SAFE,
    {**SAFE, "open_wounds": True},
    {**SAFE, "pain_level": 9, "neuropathy_severity": "severe", "other_conditions": ["gout"]},
    {"diabetes": True, "cleared_by_clinician": True, "requested_pressure": "firm"},
]


def check_rule_directory(directory: Path) -> None:
    """Load ``directory``: a RuleSet that evaluates alike on every backend, or a RuleError."""
    try:
        with time_limit(20):
            ruleset: RuleSet | RuleError = load_rules(directory)
    except RuleError as err:
        ruleset = err
    assert not SENTINEL.exists(), "a rule file ran code"
    if isinstance(ruleset, RuleError):
        assert str(ruleset).startswith(f"{len(ruleset.problems)} problem")
        return
    assert isinstance(ruleset, RuleSet)
    for profile in PROFILES:
        with time_limit(20):
            decisions = [evaluate(profile, rules=ruleset, backend=b) for b in available_backends()]
        assert all(isinstance(d, Decision) for d in decisions)
        assert all(d == decisions[0] for d in decisions), profile


def write_rule_directory(root: Path, text: str | bytes) -> Path:
    """A directory with the default technique catalogue and ``text`` as its rule file.

    Text is written as UTF-8, lone surrogates included; bytes are written as they are.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
    return with_default_catalogue(root, {"rules.yaml": data})


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def no_sentinel():
    """No sentinel before the test, and none left after it."""
    SENTINEL.unlink(missing_ok=True)
    yield
    assert not SENTINEL.exists(), "a rule file ran code"


@SETTINGS
@given(text=rule_files())
@example(text="rules:\n  - {id: a, description: d, when: diabetes, ask: [diabetes]}\n")
def test_random_rule_files_load_or_raise_rule_error(text):
    """A random (often damaged) rule file gives a working RuleSet or a RuleError, quickly."""
    with tempfile.TemporaryDirectory() as root:
        check_rule_directory(write_rule_directory(Path(root), text))


@SETTINGS
@given(when=CONDITIONS, effect=st.sampled_from(["block: all", "ask: [diabetes]", "refer: urgent"]))
def test_random_conditions_compile_and_agree_or_raise_rule_error(when, effect):
    """A random condition in an otherwise valid rule loads and runs alike, or is a RuleError."""
    text = yaml.safe_dump({"rules": [{"id": "r", "description": "d", "when": when}]})
    with tempfile.TemporaryDirectory() as root:
        check_rule_directory(write_rule_directory(Path(root), text + "  " + effect + "\n"))


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_bytes_as_a_rule_file(data):
    """Arbitrary bytes as a rule file (not UTF-8, not YAML) give a RuleError, never a crash."""
    with tempfile.TemporaryDirectory() as root:
        check_rule_directory(write_rule_directory(Path(root), data))


@pytest.mark.parametrize("when", PAYLOADS)
def test_planted_code_in_a_condition_never_runs(tmp_path, when):
    """Each code-execution payload as a ``when`` is refused (RuleError) and never runs."""
    text = yaml.safe_dump(
        {"rules": [{"id": "r", "description": "d", "when": when, "block": "all"}]}
    )
    with pytest.raises(RuleError, match="in 'when'"), time_limit(20):
        load_rules(write_rule_directory(tmp_path, text))


@pytest.mark.parametrize("when", EXTREME)
def test_extreme_conditions_load_and_agree_or_raise_rule_error(tmp_path, when):
    """Huge literals, NULs, deep nesting, thousands of terms: a working RuleSet or a RuleError."""
    text = yaml.safe_dump(
        {"rules": [{"id": "r", "description": "d", "when": when, "block": "all"}]}
    )
    check_rule_directory(write_rule_directory(tmp_path, text))


@pytest.mark.parametrize("text", HOSTILE_FILES)
def test_hostile_yaml_runs_nothing_and_ends_quickly(tmp_path, text):
    """YAML tags, aliases, bombs and deep nesting: a RuleSet or RuleError at once, nothing run."""
    check_rule_directory(write_rule_directory(tmp_path, text))

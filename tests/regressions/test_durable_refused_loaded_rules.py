"""Rule sets that loaded but that durable-rules then refused are refused at load time.

Issue 8, item 9. Each rule set of the first tests loaded, and then
``evaluate(..., backend="durable")`` raised BackendError: durable-rules error
113 (an ``or`` of 14 ``and`` terms), 107 (129 alternatives that are one test,
1,000 mixed rules), 108 (257 rules with one condition) or, for some profiles
only, 303 (65 names a profile can list together). durable-rules' limits are in
``neurotriage.engines.durable``; each is met below (the rule set loads and runs
alike on every backend) and passed by one (refused at load, located at the rule
that passes it). The load-time refusals run everywhere, durable or not.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from neurotriage import BackendError, Profile, RuleError, RuleSet, evaluate
from neurotriage.engines import durable, durable_available
from neurotriage.engines._durable_compiler import Compiler, fact_units
from neurotriage.engines.durable import compile_rules
from neurotriage.language import Compare, Condition, Contains, Empty, Known, Not, walk
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.profile import field_specs
from neurotriage.strategies import profiles
from tests.conftest import DURABLE_EXPECTED, SAFE, available_backends, requires_durable
from tests.rulefiles import blocking_rules, load_unproved, names

if durable_available() is None or DURABLE_EXPECTED:
    import durable_rules_engine

BOOLS = ("diabetes", "symptoms_worsening", "open_wounds", "foot_infection")
OPS = ("==", "!=", "<", "<=", ">", ">=")
GROUPS = (
    "in 'when': durable-rules takes at most 15 'and'/'or' groups in one "
    "condition and this one needs {} (one for the rule itself and at most one for each 'or', "
    "'in [...]', 'and' inside an 'or' and 'not' of a field that may be unknown); split it "
    "into several rules"
)
SAME = (
    "{} rules have the same condition as this one (the same tests in the same order; the "
    "first is 'r0'); durable-rules takes at most 255 rules with "
    "one condition; merge them"
)
BRANCHES = (
    "{} 'or' branches and 'is unknown' tests, this rule's among them, follow one same test in "
    "durable-rules, which takes at most 127 after one test"
)
AT_ONCE = (
    "with the rules before it, this rule lets one profile pass {} tests at once in "
    "durable-rules, which follows at most 64 at a time; give rules "
    "that can hold together a shared first test, or fewer 'or' branches that can hold together"
)


def load(directory: Path, *whens: str) -> RuleSet:
    """The default catalogue with one blocking rule ``rN`` per condition in ``whens``."""
    return load_unproved(blocking_rules(directory, *whens))


def refused(directory: Path, *whens: str) -> list[tuple[str | None, int | None, str]]:
    """The (rule id, line, message) of every problem that refuses ``whens``."""
    with pytest.raises(RuleError) as caught:
        load(directory, *whens)
    return [(p.rule_id, p.line, p.message) for p in caught.value.problems]


def rule_line(index: int) -> int:
    """The line of rule ``rN`` in a file written by blocking_rules (keys in sorted order)."""
    return 2 + 4 * index


def when_line(index: int) -> int:
    """The line of rule ``rN``'s condition in a file written by blocking_rules."""
    return rule_line(index) + 3


def assert_runs_alike(rules: RuleSet, *extra: dict[str, object]) -> None:
    """Every backend here compiles ``rules`` and fires the same rules on testing profiles."""
    tested = {n.value for r in rules.rules for n in walk(r.condition) if isinstance(n, Contains)}
    every_name = sorted(tested)[:100]
    cases = [
        {},
        SAFE,
        {**SAFE, "pain_level": 10, "other_conditions": every_name},
        {**dict.fromkeys(BOOLS, True), "pain_level": 0, "other_conditions": every_name},
        {**dict.fromkeys(BOOLS, False), "neuropathy_severity": "severe", "pain_level": 5},
        *extra,
    ]
    engines = [compiled_engine(rules, backend) for backend in available_backends()]
    for case in cases:
        profile = Profile.model_validate(case)
        fired = [engine.fired(profile) for engine in engines]
        assert all(f == fired[0] for f in fired), case


def mixed_rules(count: int) -> list[str]:
    """``count`` conditions mixing every kind of field and test, the same everywhere."""
    severities = ["mild", "moderate", "severe"]
    whens = []
    for index in range(count):
        one, two = BOOLS[index * 3 % 4], BOOLS[index * 5 // 3 % 4]
        pain, severity = index * 7 % 11, severities[index // 5 % 3]
        whens.append(
            [
                f"{one} or {two}",
                f"pain_level >= {pain} and not {one}",
                f"neuropathy_severity in ['{severity}', 'severe'] and {one}",
                f'"c{index * 13 % 41}" in other_conditions or pain_level > {pain % 10}',
                f"{one} is unknown and requested_pressure != 'light'",
            ][index % 5]
        )
    return whens


# --- the reproductions -----------------------------------------------------------


def test_an_or_of_14_and_terms_is_refused_at_its_condition(tmp_path):
    """An ``or`` of 14 ``(pain_level == k and diabetes)`` needs 16 groups: refused (was 113)."""
    when = " or ".join(f"(pain_level == {k % 11} and diabetes)" for k in range(14))
    problems = refused(tmp_path / "rules", when)
    assert problems == [("r0", when_line(0), GROUPS.format(16))]


def test_129_alternatives_that_are_one_test_are_refused(tmp_path):
    """An ``or`` of one test 129 times hangs 129 branches on it: refused (was 107)."""
    problems = refused(tmp_path / "rules", " or ".join(["diabetes"] * 129))
    assert problems == [("r0", rule_line(0), BRANCHES.format(129))]


def test_257_rules_with_one_condition_are_refused(tmp_path):
    """257 rules with the same condition are refused at the 256th (was 108)."""
    problems = refused(tmp_path / "rules", *["diabetes"] * 257)
    assert problems == [("r255", rule_line(255), SAME.format(257))]


def test_1000_mixed_rules_are_refused_where_they_pass_a_limit(tmp_path):
    """1,000 mixed rules are refused at each rule that passes a limit (was 107)."""
    problems = refused(tmp_path / "rules", *mixed_rules(1000))
    assert problems == [
        ("r87", rule_line(87), AT_ONCE.format(66)),
        ("r477", rule_line(477), BRANCHES.format(266)),
    ]


def test_65_names_a_profile_can_list_together_are_refused(tmp_path):
    """65 rules testing a name each: a profile listing them all was refused (error 303)."""
    problems = refused(tmp_path / "rules", *names(65))
    assert problems == [("r64", rule_line(64), AT_ONCE.format(65))]


# --- each limit, met and passed ----------------------------------------------------


def test_15_groups_in_a_condition_run_everywhere(tmp_path):
    """An ``or`` of 13 ``and`` terms (15 groups with the rule's own) loads and runs alike."""
    when = " or ".join(f"(pain_level == {k % 11} and diabetes)" for k in range(13))
    assert_runs_alike(load(tmp_path / "rules", when), {"pain_level": 2, "diabetes": True})


def test_groups_count_after_nested_groups_merge(tmp_path):
    """Parenthesised ``and`` inside ``and`` (and ``or`` in ``or``) costs no extra group."""
    when = " or ".join(f"(pain_level == {k} and (diabetes and (open_wounds)))" for k in range(11))
    nested = f"({when}) or ((foot_infection or (symptoms_worsening)))"
    rules = load(tmp_path / "rules", nested)
    assert_runs_alike(rules, {"pain_level": 4, "diabetes": True, "open_wounds": True})
    deeper = " or ".join(f"(pain_level == {k} and (diabetes or open_wounds))" for k in range(7))
    assert refused(tmp_path / "more", deeper) == [("r0", when_line(0), GROUPS.format(16))]


def test_255_rules_with_one_condition_run_everywhere(tmp_path):
    """255 rules with the same condition load, and every one of them fires on every backend."""
    rules = load(tmp_path / "rules", *["diabetes"] * 255)
    assert_runs_alike(rules)
    for backend in available_backends():
        assert len(compiled_engine(rules, backend).fired(Profile(diabetes=True))) == 255


def test_256_rules_with_one_condition_are_refused(tmp_path):
    """At 256 durable fired a rule that does not hold (backends disagreed): refused."""
    problems = refused(tmp_path / "rules", *["diabetes"] * 256, "open_wounds")
    assert problems == [("r255", rule_line(255), SAME.format(256))]


def test_64_tests_a_profile_passes_at_once_run_everywhere(tmp_path):
    """64 names one profile lists together, or one test 64 times over: loads and runs alike."""
    assert_runs_alike(load(tmp_path / "names", *names(64)))
    repeated = load(tmp_path / "repeated", " or ".join(["diabetes"] * 64))
    assert_runs_alike(repeated, {"diabetes": True})


def test_65_tests_a_profile_passes_at_once_are_refused(tmp_path):
    """One test 65 times over in an ``or`` makes a profile with it pass 65 at once: refused."""
    problems = refused(tmp_path / "rules", " or ".join(["diabetes"] * 65))
    assert problems == [("r0", rule_line(0), AT_ONCE.format(65))]


def test_tests_no_profile_passes_together_do_not_add_up(tmp_path):
    """64 names after each of two exclusive tests load: a profile passes only one of them."""
    rules = load(
        tmp_path / "rules",
        "pain_level <= 5 and (" + " or ".join(names(64)) + ")",
        "pain_level > 5 and (" + " or ".join(names(64, 64)) + ")",
    )
    assert_runs_alike(
        rules, {"pain_level": 6, "other_conditions": [f"c{i}" for i in range(28, 128)]}
    )
    problems = refused(
        tmp_path / "more",
        "pain_level <= 5 and (" + " or ".join(names(64)) + ")",
        "pain_level < 7 and (" + " or ".join(names(64, 64)) + ")",
    )
    assert problems == [("r1", rule_line(1), AT_ONCE.format(65))]


def test_127_branches_after_one_test_are_refused_for_the_profiles_that_pass_it(tmp_path):
    """The 127 branches durable compiles are all followed at once: the 64 limit comes first."""
    problems = refused(tmp_path / "rules", " or ".join(["diabetes"] * 127))
    assert problems == [("r0", rule_line(0), AT_ONCE.format(127))]
    problems = refused(tmp_path / "more", " or ".join(["diabetes"] * 128))
    assert problems == [("r0", rule_line(0), BRANCHES.format(128))]


@pytest.mark.slow
def test_4095_rules_run_everywhere_and_4096_are_refused(tmp_path):
    """durable takes 4096 rules and neurotriage uses one: 4095 load and run, 4096 are refused."""
    whens = [
        f'pain_level == {i % 11} and "c{(i // 11) % 64}" in other_conditions'
        for i in range(durable.MAX_RULES)
    ]
    rules = load(tmp_path / "rules", *whens)
    assert_runs_alike(rules, {"pain_level": 3, "other_conditions": [f"c{i}" for i in range(64)]})
    problems = refused(tmp_path / "more", *whens, "pain_level == 0")
    count = durable.MAX_RULES + 1
    message = f"the rule set has {count} rules; durable-rules takes at most {durable.MAX_RULES}"
    assert problems == [(f"r{durable.MAX_RULES}", rule_line(durable.MAX_RULES), message)]


def test_the_language_cannot_reach_the_other_limits():
    """No test can be followed by 512 different ones, and no fact has 254 properties."""
    compiler = Compiler(dict(field_specs()))
    leaves: list[Condition] = [Empty("other_conditions", empty=e) for e in (True, False)]
    for index in range(durable.MAX_MEMBERSHIP_TESTS):
        name = Contains("other_conditions", f"c{index}")
        leaves += [name, Not(name)]
    for spec in field_specs().values():
        leaves.append(Known(spec.name, known=True))
        if spec.kind == "bool":
            leaves += [Compare(spec.name, op, v) for op in ("==", "!=") for v in (True, False)]
        elif spec.kind != "list":
            values = spec.values or range(spec.low or 0, (spec.high or 0) + 1)
            leaves += [Compare(spec.name, op, v) for op in OPS for v in values]
    tests = {json.dumps(compiler.expression(leaf), sort_keys=True) for leaf in leaves}
    assert len(tests) + 2 <= durable.MAX_TESTS_PER_TEST  # and the marker: true, or never
    units = fact_units(compiler.membership, field_specs())  # the domain check_capacity uses
    widest = sum(max(len({*c.fixed, *c.free}) for c in unit.choices) for unit in units)
    assert widest + 1 <= durable.MAX_FACT_PROPERTIES  # the marker is a unit; and sid


def test_every_property_the_compiler_can_send_has_its_own_durable_hash():
    """durable tells properties apart by their 32-bit FNV-1a hash only: none may collide."""

    def fnv1a(name: str) -> int:
        value = 2166136261
        for byte in name.encode():
            value = (value ^ byte) * 16777619 % 2**32
        return value

    assert fnv1a("$forward") == 739185624  # durable's own HASH_FORWARD: the same function
    units = fact_units(
        {
            ("other_conditions", f"c{i}"): f"other_conditions__has__{i}"
            for i in range(durable.MAX_MEMBERSHIP_TESTS)
        },
        field_specs(),
    )
    properties = {prop for unit in units for prop in unit.properties} | {"sid", "id", "$forward"}
    assert len({fnv1a(prop) for prop in properties}) == len(properties)


# --- the limits are durable-rules' own --------------------------------------------


@pytest.fixture
def raw() -> Iterator[Callable[[list[dict[str, object]]], int]]:
    """Make durable rulesets of one rule per expression, shaped as compile_rules shapes them."""
    handles: list[int] = []

    def make(expressions: list[dict[str, object]]) -> int:
        definition = {
            f"r{i}": {"all": [{"m": {"$and": [{durable.MARKER: 1}, e]}}]}
            for i, e in enumerate(expressions)
        }
        definition[durable.HANDLED] = {"all": [{"m": {durable.MARKER: 1}}]}
        name = f"raw_{len(handles)}_{id(handles):x}"
        handles.append(durable_rules_engine.create_ruleset(name, json.dumps(definition)))
        return handles[-1]

    yield make
    for handle in handles:
        durable_rules_engine.delete_ruleset(handle)


def fired(handle: int, fact: dict[str, object]) -> list[str]:
    """The rules one fact fires in ``handle``, repeats kept."""
    sid = str(id(fact))
    status, state = durable_rules_engine.assert_fact(
        handle, json.dumps({durable.MARKER: 1, "sid": sid, **fact})
    )
    assert status == 0
    found = []
    started = durable_rules_engine.start_action_for_state(handle, state)
    message = started[1] if started else None
    while message:
        found.append(next(iter(json.loads(message))))
        message = durable_rules_engine.complete_and_start_action(handle, state)
    durable_rules_engine.delete_state(handle, sid)
    return found


def refuses(code: int, action: Callable[..., object], *args: object) -> None:
    """``action(*args)`` raises durable's own error ``code``."""
    with pytest.raises(durable_rules_engine.error, match=rf"error code: {code}$"):
        action(*args)


@requires_durable
def test_durable_rules_itself_fails_one_past_each_limit(raw):
    """The installed durable-rules takes each limit and refuses, or answers wrongly, past it."""
    groups = durable.MAX_GROUPS - 2  # the rule's own 'and' and the 'or' take two
    terms = [{"$and": [{"p": k}, {"d": True}]} for k in range(groups + 1)]
    assert fired(raw([{"$or": terms[:groups]}]), {"p": 1, "d": True}) == ["r0", durable.HANDLED]
    refuses(113, raw, [{"$or": terms}])

    spread = [{"$and": [{"p": i % 11}, {f"k{i // 11 % 64}": True}]} for i in range(4096)]
    fact = {"p": 3, **{f"k{i}": True for i in range(64)}}
    assert len(fired(raw(spread[: durable.MAX_RULES]), fact)) == 373  # 372 rules hold
    refuses(106, raw, spread)

    # A full table has no end marker, so durable reads the next table on: the
    # rule after one test's tables (here 'e') is what it reads, so it is known.
    same, other = [{"d": True}] * durable.MAX_RULES_PER_CONDITION, {"e": True}
    assert "r255" not in fired(raw([*same, other]), {"d": True})
    assert "r256" in fired(raw([*same, {"d": True}, other]), {"d": True})  # a wrong answer
    refuses(108, raw, [*same, other, {"d": True}, {"d": True}])

    branches = durable.MAX_BRANCHES_PER_TEST + 1
    tail = [{"$or": [{"d": True}, {f"z{i}": True}]} for i in range(branches)]
    refuses(107, raw, [{"$or": [{"d": True}, other]}, *tail])

    once = durable.MAX_MATCHED_AT_ONCE
    wide = raw([{f"k{i}": True} for i in range(once + 1)])
    assert len(fired(wide, {f"k{i}": True for i in range(once)})) == once + 1
    refuses(303, fired, wide, {f"k{i}": True for i in range(once + 1)})

    width = durable.MAX_FACT_PROPERTIES - 2  # the marker and sid are two
    one = raw([{"k0": True}])
    assert fired(one, {f"k{i}": True for i in range(width)}) == ["r0", durable.HANDLED]
    refuses(302, fired, one, {f"k{i}": True for i in range(width + 1)})


@requires_durable
def test_a_rule_set_made_by_hand_past_a_limit_is_a_backend_error(tmp_path):
    """A RuleSet that never went through the loader is checked when durable compiles it."""
    base = load(tmp_path / "rules", *["diabetes"] * durable.MAX_RULES_PER_CONDITION)
    extra = dataclasses.replace(base.rules[0], id="extra")
    by_hand = RuleSet(base.techniques, base.therapies, (*base.rules, extra), base.version)
    with pytest.raises(BackendError) as caught:
        evaluate({"diabetes": True}, rules=by_hand, backend="durable")
    assert str(caught.value) == (
        "durable-rules cannot take this rule set: rule 'extra': " + SAME.format(256)
    )


def test_the_limits_hold_where_durable_rules_does_not_import(tmp_path):
    """Without the C module the limits, the check and the loader's refusal work the same."""
    directory = blocking_rules(tmp_path / "rules", *["diabetes"] * 256)
    script = (
        "import sys\n"
        "sys.modules['durable_rules_engine'] = None\n"
        "sys.modules['durable'] = None\n"
        "from neurotriage import RuleError, default_rules, load_rules\n"
        "from neurotriage.engines import durable_available\n"
        "from neurotriage.engines.durable import check_capacity\n"
        "assert durable_available() is not None\n"
        "assert check_capacity(default_rules()) == []\n"
        "try:\n"
        "    load_rules(sys.argv[1], verify=False)\n"
        "except RuleError as err:\n"
        "    print(err.problems[0].rule_id, err.problems[0].message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(directory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout == f"r255 {SAME.format(256)}\n"


# --- any rule set: refused, or it runs alike everywhere ----------------------------

LEAVES = (
    *BOOLS,
    *(f"not {b}" for b in BOOLS),
    *(f"pain_level {op} {v}" for op in ("==", "<", ">=", "!=") for v in (0, 3, 7, 10)),
    "neuropathy_severity >= 'moderate'",
    "neuropathy_severity in ['mild', 'severe']",
    "requested_pressure != 'light'",
    "diabetes is unknown",
    "pain_level is known",
    "other_conditions is empty",
    "cleared_by_clinician",
)


@st.composite
def conditions(draw: st.DrawFn, depth: int = 2) -> str:
    """A random condition; ``or``s sometimes wide or repeating one test."""
    leaf = st.one_of(
        st.sampled_from(LEAVES),
        st.integers(0, 139).map(lambda n: f'"c{n}" in other_conditions'),
    )
    if depth == 0 or draw(st.booleans()):
        return draw(leaf)
    shape = draw(st.sampled_from(["and", "or", "wide", "repeat", "not"]))
    if shape == "not":
        return f"not ({draw(conditions(depth - 1))})"
    if shape == "repeat":
        return "(" + " or ".join([draw(leaf)] * draw(st.integers(55, 70))) + ")"
    width = draw(st.integers(2, 4)) if shape != "wide" else draw(st.integers(10, 16))
    items = [draw(conditions(depth - 1)) for _ in range(width)]
    return "(" + f" {'and' if shape == 'and' else 'or'} ".join(items) + ")"


@st.composite
def rule_sets(draw: st.DrawFn) -> list[str]:
    """Conditions of rule sets near durable's limits: many copies, many names, wide ``or``s."""
    whens: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["random", "copies", "names", "groups"]))
        if kind == "copies":
            whens += [draw(conditions(1))] * draw(st.integers(250, 260))
        elif kind == "names":
            whens += names(draw(st.integers(55, 70)), draw(st.integers(0, 70)))
        elif kind == "groups":
            count = draw(st.integers(11, 15))
            whens.append(
                " or ".join(f"(pain_level == {k % 11} and diabetes)" for k in range(count))
            )
        else:
            whens += draw(st.lists(conditions(), min_size=1, max_size=30))
    return whens


@pytest.mark.slow
@requires_durable
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(whens=rule_sets(), data=st.data())
def test_every_rule_set_is_refused_at_load_or_runs_alike_on_durable(whens, data):
    """Near the limits a rule set is refused by load_rules, or durable fires what reference does."""
    with tempfile.TemporaryDirectory() as directory:
        try:
            rules = load(Path(directory) / "rules", *whens)
        except RuleError:
            event("refused")
            return
    event("loaded")
    tested = {n.value for r in rules.rules for n in walk(r.condition) if isinstance(n, Contains)}
    some = st.fixed_dictionaries(
        {
            **{name: st.sampled_from([None, True, False]) for name in BOOLS},
            "pain_level": st.one_of(st.none(), st.integers(0, 10)),
            "neuropathy_severity": st.sampled_from([None, "mild", "moderate", "severe"]),
            "other_conditions": st.one_of(
                st.none(), st.lists(st.sampled_from(sorted(tested) or ["c0"]), max_size=100)
            ),
        }
    )
    assert_runs_alike(rules, *data.draw(st.lists(some, max_size=4)))


@pytest.fixture(scope="module")
def every_field(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A rule set that reads every Profile field and tests three names."""
    whens = [f"{spec.name} is known" for spec in field_specs().values() if spec.nullable]
    whens += ["cleared_by_clinician", "sharp_pain_during_massage", "requested_pressure > 'light'"]
    return load(tmp_path_factory.mktemp("every") / "rules", *whens, *names(3))


@requires_durable
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_facts_the_check_assumes_are_the_facts_durable_gets(every_field, data):
    """Each field's part of a fact durable gets is one of the ways fact_units lists."""
    profile = data.draw(profiles(every_field))
    fact = compiled_engine(every_field, "durable").fact(profile)
    count = "other_conditions__count"
    if count in fact:  # only ever compared with 0: 1 stands for every other count
        fact[count] = min(fact[count], 1)
    for unit in fact_units(compile_rules(every_field)[1], field_specs()):
        part = {prop: value for prop, value in fact.items() if prop in unit.properties}
        assert any(
            {prop: part.get(prop) for prop in choice.fixed} == dict(choice.fixed)
            and set(part) <= {*choice.fixed, *choice.free}
            and all(part.get(prop) in values for prop, values in choice.free.items())
            for choice in unit.choices
        ), (unit.properties, part)

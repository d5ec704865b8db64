"""A rule naming the "some other condition" placeholder hid the class of every unnamed condition.

The input space stood for "a condition no rule names" with the literal
``"some other condition"``. A rule that named that literal merged the class of
unnamed conditions into a named one, so verify, lint and diff never saw a
person with, say, asthma: a red flag that spared them passed every check while
``evaluate`` allowed massage on open wounds.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurotriage import Profile, default_rules, evaluate
from neurotriage.analysis import diff, input_space, verify
from neurotriage.analysis._space import OTHER_ITEM
from tests.conftest import available_backends
from tests.rulefiles import copy_rules, load_unproved, with_default_catalogue, write_file

#: Names every red flag, but only for people with no other condition, an
#: unknown list, or exactly the placeholder's name.
DODGING_RED_FLAG = """\
rules:
  - id: red-flags
    description: A red flag needs a doctor.
    when: >-
      (open_wounds or foot_infection or symptoms_worsening or pain_level >= 7)
      and (other_conditions is unknown or other_conditions is empty
      or "some other condition" in other_conditions)
    block: all
    refer: see_doctor
    verdict: see_doctor
"""

REPRO = {
    "open_wounds": True,
    "foot_infection": False,
    "symptoms_worsening": False,
    "pain_level": 2,
    "other_conditions": ["asthma"],
}


def _dodging_rules(tmp_path: Path) -> Path:
    return with_default_catalogue(tmp_path, {"red-flags.yaml": DODGING_RED_FLAG})


def test_the_repro_is_allowed_by_the_dodging_rule(tmp_path):
    """The rule set really allows massage on open wounds for someone with asthma."""
    rules = load_unproved(_dodging_rules(tmp_path))
    for backend in available_backends():
        decision = evaluate(REPRO, rules=rules, backend=backend)
        assert decision.verdict == "proceed"
        assert "gentle_stroking" in [t.technique for t in decision.allowed_techniques]


def test_verify_finds_the_unnamed_condition_class(tmp_path):
    """verify fails the red-flag property, with a counterexample that has an unnamed condition."""
    report = verify(load_unproved(_dodging_rules(tmp_path)))
    failed = {result.id: result for result in report.failed}
    assert "red-flags" in failed
    example = failed["red-flags"].counterexample
    assert example is not None
    (profile,) = example.profiles
    conditions = profile.other_conditions
    assert conditions is not None
    assert conditions
    assert OTHER_ITEM not in conditions
    # the counterexample really is one: evaluate() allows something there
    assert evaluate(profile, rules=load_unproved(_dodging_rules(tmp_path))).allowed_techniques


def test_diff_sees_the_unnamed_condition_class(tmp_path):
    """diff against the built-in red flags reports the dodge as less safe."""
    old = copy_rules(tmp_path / "old")
    new = copy_rules(tmp_path / "new")
    text = (new / "red-flags.yaml").read_text(encoding="utf-8")
    dodge = (
        ' and (other_conditions is unknown or other_conditions is empty or "some other '
        'condition" in other_conditions)'
    )
    text = text.replace("when: open_wounds\n", f"when: open_wounds{dodge}\n", 1)
    write_file(new / "red-flags.yaml", text)
    result = diff(load_unproved(old), load_unproved(new))
    assert result.less_safe
    assert result.changed > 0


def test_unknowns_dodge_is_found(tmp_path):
    """The same trick on the unknown-red-flag rules fails the built-in invariant."""
    rules_dir = copy_rules(tmp_path / "rules")
    path = rules_dir / "unknowns.yaml"
    text = path.read_text(encoding="utf-8")
    dodge = (
        ' and (other_conditions is unknown or other_conditions is empty or "some other '
        'condition" in other_conditions)'
    )
    for field in ("open_wounds", "foot_infection", "pain_level", "symptoms_worsening"):
        text = text.replace(f"when: {field} is unknown\n", f"when: {field} is unknown{dodge}\n")
    write_file(path, text)
    rules = load_unproved(rules_dir)
    person = {"cleared_by_clinician": True, "other_conditions": ["asthma"]}
    person |= {"diabetes": False, "neuropathy_severity": "mild", "home_remedies_no_relief": False}
    assert evaluate(person, rules=rules).verdict == "proceed"  # every red flag unknown
    failed = {result.id for result in verify(rules).failed}
    assert "unknown-red-flag-allows-nothing" in failed


def test_default_space_keeps_its_placeholder():
    """No built-in rule names the placeholder, so the default space is unchanged."""
    space = input_space(default_rules())
    assert space.others["other_conditions"] == OTHER_ITEM
    assert space.size == 104_976


_NAMES = st.sampled_from(
    [
        OTHER_ITEM,
        f"{OTHER_ITEM} 2",
        f"{OTHER_ITEM} 3",
        "asthma",
        "kidney disease",
        "gout",
    ]
) | st.text(alphabet="abcdefgh ", min_size=1, max_size=8).filter(str.strip)


def _rule_set(directory: Path, named: list[str]) -> Path:
    techniques = ["gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage"]
    lines = ["rules:"]
    for index, name in enumerate(named):
        lines += [
            f"  - id: named-{index}",
            "    description: A named condition.",
            f"    when: '\"{name}\" in other_conditions'",
            f"    block: [{techniques[index % len(techniques)]}]",
            f"    warn: {{code: named-{index}, severity: caution, message: Named {index}.}}",
        ]
    return with_default_catalogue(directory, {"named.yaml": "\n".join(lines) + "\n"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_named_items_never_hide_a_class(tmp_path_factory, data):
    """Whatever items the rules name, every profile decides like its class representative."""
    named = data.draw(st.lists(_NAMES, min_size=1, max_size=4, unique_by=str.strip))
    named = sorted({" ".join(n.split()) for n in named})
    rules = load_unproved(_rule_set(tmp_path_factory.mktemp("named") / "rules", named))
    space = input_space(rules)
    options = space.values["other_conditions"]
    # every class is distinct: the placeholder is never one of the named items
    assert len({repr(o) for o in options}) == len(options) == 1 + 2 + 2 ** len(named) - 1
    assert space.others["other_conditions"] not in named
    items = data.draw(st.lists(_NAMES, max_size=4))
    profile = Profile(other_conditions=items)
    representative = space.representative(profile)
    at_index = space.profile_at(space.index_of(profile))
    assert at_index == representative
    for backend in available_backends():
        expected = evaluate(profile, rules=rules, backend=backend)
        assert evaluate(representative, rules=rules, backend=backend).fired_rules == (
            expected.fired_rules
        )

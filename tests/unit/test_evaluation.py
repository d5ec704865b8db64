"""evaluate(): what it accepts, what it refuses, and the Decision it returns."""

from __future__ import annotations

import copy
import importlib
import json
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import neurotriage
from neurotriage import (
    Decision,
    NeurotriageError,
    Profile,
    RuleError,
    default_rules,
    evaluate,
    load_rules,
)
from tests.conftest import ROOT, SAFE, available_backends

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
EXAMPLE_IDS = [path.stem for path in EXAMPLES]

#: Names the design document promises in the public API.
CONTRACT_NAMES = {
    "Decision",
    "NeurotriageError",
    "Profile",
    "RuleError",
    "default_rules",
    "evaluate",
    "load_rules",
}


def example(path: Path) -> dict[str, Any]:
    """The example profile as a dict."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- what evaluate() accepts --------------------------------------------------------------


def test_the_callers_dict_is_never_mutated(backend):
    """evaluate() leaves the caller's dict, and the list inside it, exactly as it was."""
    conditions = ["  Arthritis ", "arthritis", "Raynaud's"]  # normalised by Profile
    profile = {**SAFE, "other_conditions": conditions, "cleared_by_clinician": True}
    before = copy.deepcopy(profile)
    decision = evaluate(profile, backend=backend)
    assert profile == before
    assert profile["other_conditions"] is conditions
    assert conditions == ["  Arthritis ", "arthritis", "Raynaud's"]
    assert list(profile) == list(before)  # not even reordered
    assert decision.verdict == "proceed"


def test_mutating_the_dict_afterwards_does_not_change_the_decision():
    """A decision does not alias the caller's data: changing the dict later changes nothing."""
    profile = {**SAFE, "other_conditions": []}
    decision = evaluate(profile)
    snapshot = decision.model_dump_json()
    profile["open_wounds"] = True
    profile["other_conditions"].append("gout")
    assert decision.model_dump_json() == snapshot


def test_a_profile_is_accepted_as_is(backend):
    """A Profile instance gives the same decision as the dict it was built from."""
    data = {**SAFE, "pain_level": 8}
    assert evaluate(Profile(**data), backend=backend) == evaluate(data, backend=backend)


def test_any_mapping_is_accepted():
    """A read-only mapping (not a dict) is accepted like a dict."""
    assert evaluate(types.MappingProxyType(SAFE)) == evaluate(dict(SAFE))


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_dict_and_profile_give_the_same_decision_for_every_example(path):
    """Each example gives the same decision as a dict and as a validated Profile."""
    data = example(path)
    assert evaluate(data) == evaluate(Profile.model_validate(data))


NOT_PROFILES = [
    pytest.param(
        '{"open_wounds": true}',
        "a profile must be a Profile or a mapping of its fields, not str; for JSON text use"
        " Profile.from_json()",
        id="str",
    ),
    pytest.param(
        b'{"open_wounds": true}',
        "a profile must be a Profile or a mapping of its fields, not bytes; for JSON text use"
        " Profile.from_json()",
        id="bytes",
    ),
    pytest.param(
        [("open_wounds", True)],
        "a profile must be a Profile or a mapping of its fields, not list",
        id="list",
    ),
    pytest.param(
        None, "a profile must be a Profile or a mapping of its fields, not NoneType", id="None"
    ),
    pytest.param(7, "a profile must be a Profile or a mapping of its fields, not int", id="int"),
    pytest.param(
        ({"open_wounds": True},),
        "a profile must be a Profile or a mapping of its fields, not tuple",
        id="tuple",
    ),
]


@pytest.mark.parametrize(("value", "message"), NOT_PROFILES)
def test_anything_but_a_mapping_or_profile_is_a_type_error(value, message):
    """A value that is neither a mapping nor a Profile raises TypeError naming its type."""
    with pytest.raises(TypeError) as caught:
        evaluate(value)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"diabetis": True}, "diabetis", id="unknown-field"),
        pytest.param({"pain_level": "7"}, "pain_level", id="pain-as-string"),
        pytest.param({"pain_level": 11}, "pain_level", id="pain-too-high"),
        pytest.param({"open_wounds": "no"}, "open_wounds", id="bool-as-string"),
        pytest.param({"open_wounds": 0}, "open_wounds", id="bool-as-int"),
        pytest.param({"neuropathy_severity": "Severe"}, "neuropathy_severity", id="enum-case"),
        pytest.param({"other_conditions": "gout"}, "other_conditions", id="list-as-string"),
        pytest.param({"other_conditions": ["  "]}, "other_conditions", id="blank-condition"),
        pytest.param({"cleared_by_clinician": None}, "cleared_by_clinician", id="null-clearance"),
    ],
)
def test_a_bad_field_raises_validation_error_naming_it(data, field):
    """A bad value in the mapping raises pydantic's ValidationError located at its field."""
    with pytest.raises(ValidationError) as caught:
        evaluate(data)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(str(ROOT / "rules"), id="str"),
        pytest.param(ROOT / "rules", id="path"),
        pytest.param(list(default_rules().rules), id="list-of-rules"),
        pytest.param({}, id="dict"),
    ],
)
def test_rules_must_be_a_ruleset(rules):
    """``rules=`` anything but a RuleSet raises TypeError saying to use load_rules()."""
    with pytest.raises(TypeError) as caught:
        evaluate(SAFE, rules=rules)
    assert str(caught.value) == (
        f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}"
    )


def test_rules_from_load_rules_are_used(backend):
    """``rules=load_rules(DIR)`` evaluates against that rule set."""
    ruleset = load_rules(ROOT / "rules")
    assert evaluate(SAFE, rules=ruleset, backend=backend) == evaluate(SAFE, backend=backend)
    assert evaluate(SAFE, rules=ruleset).ruleset_version == ruleset.version


@pytest.mark.parametrize("name", ["fast", "", "Reference", "DURABLE", " durable"])
def test_unknown_backend_is_a_value_error(name):
    """An unknown backend name raises ValueError listing the real ones."""
    with pytest.raises(ValueError, match="unknown backend") as caught:
        evaluate(SAFE, backend=name)
    assert str(caught.value) == f"unknown backend {name!r}; choose 'durable' or 'reference'"


def test_backends_agree_on_every_example():
    """Each available backend returns the same decision for every example."""
    for path in EXAMPLES:
        decisions = {b: evaluate(example(path), backend=b) for b in available_backends()}
        assert len(set(map(Decision.model_dump_json, decisions.values()))) == 1, path.name


# --- the Decision -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=EXAMPLE_IDS)
def test_decision_json_round_trips(path, backend):
    """``model_dump_json`` then ``Decision.model_validate_json`` gives an equal Decision."""
    decision = evaluate(example(path), backend=backend)
    again = Decision.model_validate_json(decision.model_dump_json())
    assert again == decision
    assert again.model_dump_json() == decision.model_dump_json()


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        pytest.param("verdict", "proceed", id="verdict"),
        pytest.param("allowed_techniques", [], id="allowed"),
        pytest.param("fired_rules", [], id="fired-rules"),
    ],
)
def test_decision_is_frozen(attribute, value):
    """Assigning to a Decision's field raises instead of changing it."""
    decision = evaluate({"open_wounds": True})
    with pytest.raises(ValidationError, match="frozen"):
        setattr(decision, attribute, value)
    assert decision.verdict == "see_doctor"


def test_decision_parts_are_frozen():
    """The parts of a Decision (referral, warnings, techniques) are frozen too."""
    decision = evaluate({**SAFE, "open_wounds": True})
    with pytest.raises(ValidationError, match="frozen"):
        decision.referral.level = "none"
    with pytest.raises(ValidationError, match="frozen"):
        decision.warnings[0].severity = "info"
    with pytest.raises(ValidationError, match="frozen"):
        decision.blocked_techniques[0].technique = "x"
    with pytest.raises(ValidationError, match="frozen"):
        decision.complementary_therapies[0].note = "x"


def test_decisions_share_no_mutable_state():
    """A decision cannot be tampered with, so no later decision can see tampering."""
    profile = {**SAFE, "open_wounds": True}
    expected = evaluate(profile).model_dump_json()
    tampered = evaluate(profile)
    sequences = [
        tampered.blocked_techniques[0].reasons,
        tampered.blocked_techniques,
        tampered.referral.reasons,
        tampered.warnings,
        tampered.questions,
        tampered.complementary_therapies,
        tampered.fired_rules,
        evaluate(SAFE).allowed_techniques,
    ]
    for sequence in sequences:
        for change in ("clear", "append", "extend", "pop", "remove", "sort", "__setitem__"):
            assert not hasattr(sequence, change), (sequence, change)
    with pytest.raises(ValidationError, match="frozen"):
        tampered.referral.level = "none"  # type: ignore[misc]
    assert evaluate(profile).model_dump_json() == expected
    assert evaluate(SAFE).allowed_techniques != ()


# --- the public API -----------------------------------------------------------------------


def test_all_is_sorted_and_unique():
    """``neurotriage.__all__`` is sorted and names each export once."""
    assert neurotriage.__all__ == sorted(neurotriage.__all__)
    assert len(set(neurotriage.__all__)) == len(neurotriage.__all__)


def test_every_name_in_all_is_importable():
    """Each name in ``__all__`` exists on the package and comes with ``import *``."""
    namespace: dict[str, Any] = {}
    exec("from neurotriage import *", namespace)  # noqa: S102 - fixed text, testing import *
    for name in neurotriage.__all__:
        assert getattr(importlib.import_module("neurotriage"), name) is namespace[name]


def test_all_holds_the_contract_names():
    """The public API promised by the design is exported."""
    assert set(neurotriage.__all__) >= CONTRACT_NAMES


def test_rule_error_is_a_neurotriage_error_and_a_value_error():
    """RuleError subclasses both NeurotriageError and ValueError."""
    assert issubclass(RuleError, NeurotriageError)
    assert issubclass(RuleError, ValueError)

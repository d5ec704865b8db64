"""Profile: the input model is frozen, strict, closed, and treats None as unknown."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import ValidationError

from neurotriage import Profile, evaluate
from neurotriage.profile import MAX_CONDITION_LENGTH, MAX_CONDITIONS, FieldSpec, field_specs
from tests.conftest import CONDITION_FIELDS


def error_summary(err: ValidationError) -> list[tuple[str, tuple[int | str, ...], str]]:
    """The (type, location, message) of each error: what a user reads."""
    return [(e["type"], e["loc"], e["msg"]) for e in err.errors()]


def test_condition_fields_default_to_unknown():
    """Every condition field defaults to None, which means not known."""
    profile = Profile()
    assert {name: getattr(profile, name) for name in CONDITION_FIELDS} == dict.fromkeys(
        CONDITION_FIELDS
    )


def test_session_fields_have_safe_defaults():
    """Clearance and sharp pain default to False and the requested pressure to light."""
    profile = Profile()
    assert profile.cleared_by_clinician is False
    assert profile.sharp_pain_during_massage is False
    assert profile.requested_pressure == "light"


def test_field_names_are_the_contract():
    """The Profile fields are exactly the contract fields, in declaration order."""
    assert list(Profile.model_fields) == [
        *CONDITION_FIELDS,
        "cleared_by_clinician",
        "sharp_pain_during_massage",
        "requested_pressure",
    ]


def test_profile_is_frozen():
    """Assigning to a field of a Profile raises a ValidationError naming the field."""
    profile = Profile(diabetes=False)
    with pytest.raises(ValidationError) as info:
        profile.diabetes = True  # type: ignore[misc]
    assert error_summary(info.value) == [("frozen_instance", ("diabetes",), "Instance is frozen")]
    assert profile.diabetes is False


@pytest.mark.parametrize(
    "misspelt",
    [
        pytest.param("diabetis", id="diabetis"),
        pytest.param("open_wound", id="open_wound"),
        pytest.param("painLevel", id="painLevel"),
        pytest.param("cleared", id="cleared"),
    ],
)
def test_misspelt_field_is_an_error_naming_it(misspelt: str):
    """A misspelt field is rejected, never ignored, and the error names it."""
    with pytest.raises(ValidationError) as info:
        Profile.model_validate({misspelt: True})
    assert error_summary(info.value) == [
        ("extra_forbidden", (misspelt,), "Extra inputs are not permitted")
    ]
    assert f"\n{misspelt}\n  Extra inputs are not permitted" in str(info.value)


def test_evaluate_rejects_a_misspelt_field():
    """evaluate() given a mapping with a misspelt field raises a ValidationError naming it."""
    with pytest.raises(ValidationError) as info:
        evaluate({"open_wounds": False, "foot_infecton": False})
    assert error_summary(info.value) == [
        ("extra_forbidden", ("foot_infecton",), "Extra inputs are not permitted")
    ]


@pytest.mark.parametrize(
    ("field", "value", "kind", "message"),
    [
        pytest.param("diabetes", "yes", "bool_type", "Input should be a valid boolean", id="yes"),
        pytest.param("diabetes", "true", "bool_type", "Input should be a valid boolean", id="true"),
        pytest.param("diabetes", 1, "bool_type", "Input should be a valid boolean", id="one"),
        pytest.param(
            "open_wounds", 0, "bool_type", "Input should be a valid boolean", id="zero-wounds"
        ),
        pytest.param(
            "cleared_by_clinician",
            None,
            "bool_type",
            "Input should be a valid boolean",
            id="clearance-none",
        ),
        pytest.param(
            "sharp_pain_during_massage",
            None,
            "bool_type",
            "Input should be a valid boolean",
            id="sharp-pain-none",
        ),
        pytest.param("pain_level", "7", "int_type", "Input should be a valid integer", id="str-7"),
        pytest.param("pain_level", 7.0, "int_type", "Input should be a valid integer", id="7.0"),
        pytest.param("pain_level", True, "int_type", "Input should be a valid integer", id="True"),
        pytest.param(
            "other_conditions",
            ("asthma",),
            "list_type",
            "Input should be a valid list",
            id="tuple-conditions",
        ),
        pytest.param(
            "other_conditions",
            "asthma",
            "list_type",
            "Input should be a valid list",
            id="str-conditions",
        ),
    ],
)
def test_strict_types(field: str, value: Any, kind: str, message: str):
    """Values are never coerced: a string is not a bool and a float or bool is not a pain level."""
    with pytest.raises(ValidationError) as info:
        Profile.model_validate({field: value})
    assert error_summary(info.value) == [(kind, (field,), message)]


def test_condition_names_must_be_text():
    """A non-text item in other_conditions is rejected with its index."""
    with pytest.raises(ValidationError) as info:
        Profile.model_validate({"other_conditions": ["asthma", 3]})
    assert error_summary(info.value) == [
        ("string_type", ("other_conditions", 1), "Input should be a valid string")
    ]


@pytest.mark.parametrize("level", [0, 1, 6, 7, 10], ids=str)
def test_pain_level_in_bounds_is_accepted(level: int):
    """Pain levels from 0 to 10 inclusive are accepted unchanged."""
    assert Profile(pain_level=level).pain_level == level


@pytest.mark.parametrize(
    ("level", "kind", "message"),
    [
        pytest.param(
            -1, "greater_than_equal", "Input should be greater than or equal to 0", id="-1"
        ),
        pytest.param(11, "less_than_equal", "Input should be less than or equal to 10", id="11"),
        pytest.param(100, "less_than_equal", "Input should be less than or equal to 10", id="100"),
    ],
)
def test_pain_level_out_of_bounds_is_rejected(level: int, kind: str, message: str):
    """Pain levels below 0 or above 10 are rejected."""
    with pytest.raises(ValidationError) as info:
        Profile(pain_level=level)
    assert error_summary(info.value) == [(kind, ("pain_level",), message)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("neuropathy_severity", "mild", id="mild"),
        pytest.param("neuropathy_severity", "moderate", id="moderate"),
        pytest.param("neuropathy_severity", "severe", id="severe"),
        pytest.param("requested_pressure", "light", id="light"),
        pytest.param("requested_pressure", "moderate", id="moderate-pressure"),
        pytest.param("requested_pressure", "firm", id="firm"),
    ],
)
def test_enum_values_are_accepted(field: str, value: str):
    """Each declared value of an enum field is accepted."""
    assert getattr(Profile.model_validate({field: value}), field) == value


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param(
            "neuropathy_severity",
            "extreme",
            "Input should be 'mild', 'moderate' or 'severe'",
            id="extreme",
        ),
        pytest.param(
            "neuropathy_severity",
            "Severe",
            "Input should be 'mild', 'moderate' or 'severe'",
            id="capitalised",
        ),
        pytest.param(
            "requested_pressure",
            "hard",
            "Input should be 'light', 'moderate' or 'firm'",
            id="hard",
        ),
        pytest.param(
            "requested_pressure",
            None,
            "Input should be 'light', 'moderate' or 'firm'",
            id="pressure-none",
        ),
    ],
)
def test_enum_values_outside_the_domain_are_rejected(field: str, value: Any, message: str):
    """A value outside an enum field's domain is rejected, listing the allowed values."""
    with pytest.raises(ValidationError) as info:
        Profile.model_validate({field: value})
    assert error_summary(info.value) == [("literal_error", (field,), message)]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        pytest.param(None, None, id="unknown"),
        pytest.param([], [], id="none-known"),
        pytest.param(["Asthma"], ["asthma"], id="lower-case"),
        pytest.param(["  Heart \t  Disease "], ["heart disease"], id="whitespace"),
        pytest.param(["b", "a", "c"], ["a", "b", "c"], id="sorted"),
        pytest.param(["Asthma", "asthma", " ASTHMA "], ["asthma"], id="deduplicated"),
        pytest.param(
            ["Raynaud's", "heart disease", "Heart  disease", "asthma"],
            ["asthma", "heart disease", "raynaud's"],
            id="all-at-once",
        ),
    ],
)
def test_other_conditions_are_normalised(given: list[str] | None, stored: list[str] | None):
    """Condition names are lower-cased, whitespace-collapsed, deduplicated and sorted."""
    assert Profile(other_conditions=given).other_conditions == stored


@pytest.mark.parametrize(
    ("given", "index"),
    [
        pytest.param([""], 0, id="empty"),
        pytest.param(["asthma", "   "], 1, id="spaces"),
        pytest.param(["asthma", "gout", "\t\n"], 2, id="tab-newline"),
    ],
)
def test_blank_condition_names_are_rejected(given: list[str], index: int):
    """A blank item in other_conditions is an error naming its position."""
    with pytest.raises(ValidationError) as info:
        Profile(other_conditions=given)
    assert error_summary(info.value) == [
        (
            "value_error",
            ("other_conditions",),
            f"Value error, item {index} is blank; name the condition or leave it out",
        )
    ]


def test_other_conditions_at_their_limits_are_accepted():
    """100 distinct condition names of 200 characters each are accepted and kept."""
    names = [f"{index:03d}".ljust(MAX_CONDITION_LENGTH, "x") for index in range(MAX_CONDITIONS)]
    assert Profile(other_conditions=names).other_conditions == names


def test_too_many_other_conditions_are_rejected():
    """A 101st condition name is an error naming the field and the limit."""
    with pytest.raises(ValidationError) as info:
        Profile(other_conditions=[f"c{index}" for index in range(MAX_CONDITIONS + 1)])
    assert error_summary(info.value) == [
        (
            "too_long",
            ("other_conditions",),
            "List should have at most 100 items after validation, not 101",
        )
    ]


def test_too_long_condition_name_is_rejected():
    """A condition name over 200 characters is an error naming its position."""
    with pytest.raises(ValidationError) as info:
        Profile(other_conditions=["asthma", "x" * (MAX_CONDITION_LENGTH + 1)])
    assert error_summary(info.value) == [
        (
            "string_too_long",
            ("other_conditions", 1),
            "String should have at most 200 characters",
        )
    ]


def test_json_round_trip():
    """A Profile survives model_dump_json and model_validate_json unchanged."""
    profile = Profile(
        diabetes=True,
        neuropathy_severity="moderate",
        pain_level=4,
        symptoms_worsening=False,
        open_wounds=False,
        foot_infection=None,
        home_remedies_no_relief=True,
        other_conditions=["Gout", "asthma"],
        cleared_by_clinician=True,
        sharp_pain_during_massage=False,
        requested_pressure="firm",
    )
    text = profile.model_dump_json()
    assert text == (
        '{"diabetes":true,"neuropathy_severity":"moderate","pain_level":4,'
        '"symptoms_worsening":false,"open_wounds":false,"foot_infection":null,'
        '"home_remedies_no_relief":true,"other_conditions":["asthma","gout"],'
        '"cleared_by_clinician":true,"sharp_pain_during_massage":false,'
        '"requested_pressure":"firm"}'
    )
    assert Profile.model_validate_json(text) == profile


def test_json_input_is_strict():
    """JSON text with a quoted number for pain_level is rejected."""
    with pytest.raises(ValidationError) as info:
        Profile.model_validate_json('{"pain_level": "7"}')
    assert error_summary(info.value) == [
        ("int_type", ("pain_level",), "Input should be a valid integer")
    ]


#: Each field's question, as the summaries and the JSON Schema show it.
QUESTIONS = {
    "diabetes": "Do you have diabetes?",
    "neuropathy_severity": "How severe is your neuropathy: mild, moderate or severe?",
    "pain_level": "How much pain are you in, from 0 (none) to 10 (the worst)?",
    "symptoms_worsening": "Are your neuropathy symptoms getting worse?",
    "open_wounds": "Do you have any open wounds on your feet?",
    "foot_infection": "Do you have an infection on your feet?",
    "home_remedies_no_relief": "Have home remedies failed to bring you relief?",
    "other_conditions": "Which other health conditions do you have (if any)?",
    "cleared_by_clinician": (
        "Has a doctor or physical therapist agreed that you may use foot massage?"
    ),
    "sharp_pain_during_massage": "Do you feel sharp pain or more discomfort during the massage?",
    "requested_pressure": "How firm a pressure would you like: light, moderate or firm?",
}

EXPECTED_SPECS = {
    "diabetes": FieldSpec("diabetes", "bool", nullable=True, default=None),
    "neuropathy_severity": FieldSpec(
        "neuropathy_severity",
        "enum",
        nullable=True,
        default=None,
        values=("mild", "moderate", "severe"),
    ),
    "pain_level": FieldSpec("pain_level", "int", nullable=True, default=None, low=0, high=10),
    "symptoms_worsening": FieldSpec("symptoms_worsening", "bool", nullable=True, default=None),
    "open_wounds": FieldSpec("open_wounds", "bool", nullable=True, default=None),
    "foot_infection": FieldSpec("foot_infection", "bool", nullable=True, default=None),
    "home_remedies_no_relief": FieldSpec(
        "home_remedies_no_relief", "bool", nullable=True, default=None
    ),
    "other_conditions": FieldSpec(
        "other_conditions", "list", nullable=True, default=None, max_items=MAX_CONDITIONS
    ),
    "cleared_by_clinician": FieldSpec(
        "cleared_by_clinician",
        "bool",
        nullable=False,
        default=False,
        relaxing=True,
        actionable=True,
        action="get a doctor or physical therapist to agree to foot massage",
    ),
    "sharp_pain_during_massage": FieldSpec(
        "sharp_pain_during_massage", "bool", nullable=False, default=False
    ),
    "requested_pressure": FieldSpec(
        "requested_pressure",
        "enum",
        nullable=False,
        default="light",
        values=("light", "moderate", "firm"),
        actionable=True,
        action="ask for {value} pressure",
    ),
}
EXPECTED_SPECS = {
    name: dataclasses.replace(
        spec, question=QUESTIONS[name], description=Profile.model_fields[name].description or ""
    )
    for name, spec in EXPECTED_SPECS.items()
}


def test_each_question_is_in_the_json_schema():
    """The JSON Schema carries each field's question, from the one place it is written."""
    properties = Profile.model_json_schema()["properties"]
    assert {name: prop["question"] for name, prop in properties.items()} == QUESTIONS


@pytest.mark.parametrize("name", list(EXPECTED_SPECS))
def test_field_spec_describes_the_field(name: str):
    """field_specs() gives each field's kind, nullability, default, domain and bounds."""
    assert field_specs()[name] == EXPECTED_SPECS[name]


def test_field_specs_cover_every_field_in_order():
    """field_specs() has one entry per Profile field, in declaration order."""
    assert list(field_specs()) == list(Profile.model_fields)


def test_field_specs_are_read_only():
    """The mapping field_specs() returns cannot be changed by a caller."""
    specs = field_specs()
    with pytest.raises(TypeError, match="does not support item assignment"):
        specs["diabetes"] = EXPECTED_SPECS["open_wounds"]  # type: ignore[index]
    assert specs["diabetes"] == EXPECTED_SPECS["diabetes"]

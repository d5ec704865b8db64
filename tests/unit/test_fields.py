"""fields: reading any input model into FieldSpecs, and building a model from them."""

from __future__ import annotations

import pickle
from typing import Annotated, Literal

import pytest
from pydantic import Field, ValidationError

from neurotriage._conformance import conforms
from neurotriage.fields import (
    FieldSpec,
    NameList,
    PackModel,
    build_model,
    generated_specs,
    specs_of,
)
from neurotriage.profile import Profile

CALF_SPECS = (
    FieldSpec("calf_swelling", "bool", nullable=True, default=None, question="Swollen?"),
    FieldSpec("age", "int", nullable=True, default=None, low=0, high=120, description="Age."),
    FieldSpec("mobility", "enum", nullable=True, default=None, values=("independent", "bedbound")),
    FieldSpec("medications", "list", nullable=True, default=None, max_items=3),
    FieldSpec("sensation", "int", nullable=True, default=None, low=0, high=5, risk="falling"),
    FieldSpec("cleared", "bool", nullable=False, default=False, relaxing=True, actionable=True),
)


def test_a_built_model_reads_back_as_its_specs():
    """specs_of(build_model(specs)) gives back exactly the specs, in order."""
    model = build_model("CalfProfile", CALF_SPECS)
    assert tuple(specs_of(model).values()) == CALF_SPECS
    assert generated_specs(model) == CALF_SPECS
    assert generated_specs(Profile) is None


def test_profile_round_trips_through_build_model():
    """Profile's own specs build a model that reads back as the same specs."""
    specs = tuple(specs_of(Profile).values())
    assert tuple(specs_of(build_model("Copy", specs)).values()) == specs


def test_a_built_model_is_as_strict_as_profile():
    """Frozen, closed and strict; list items normalised and bounded; unknown is None."""
    model = build_model("CalfProfile", CALF_SPECS)
    empty = model()
    assert empty.calf_swelling is None
    assert empty.cleared is False
    made = model(medications=["  Warfarin ", "warfarin"])
    assert made.medications == ["warfarin"]  # type: ignore[attr-defined]
    for bad in (
        {"calf_swelling": "yes"},
        {"age": "7"},
        {"age": 121},
        {"mobility": "walking"},
        {"medications": ["a", "b", "c", "d"]},
        {"cleared": None},
        {"calf_sweling": True},
    ):
        with pytest.raises(ValidationError):
            model(**bad)
    with pytest.raises(ValidationError):
        made.age = 3  # type: ignore[attr-defined]


def test_the_json_schema_carries_description_and_question():
    schema = build_model("CalfProfile", CALF_SPECS).model_json_schema()
    assert schema["properties"]["calf_swelling"]["question"] == "Swollen?"
    assert schema["properties"]["age"]["description"] == "Age."
    assert schema["additionalProperties"] is False


def test_built_models_and_their_instances_pickle():
    """A built model is not importable; it and its instances pickle as their specs."""
    model = build_model("CalfProfile", CALF_SPECS)
    instance = model(age=40, medications=["heparin"])
    copy = pickle.loads(pickle.dumps(instance))  # noqa: S301 - our own bytes
    assert type(copy) is model
    assert copy == instance
    assert build_model("CalfProfile", CALF_SPECS) is model  # the same class, rebuilt


def test_conforms_checks_each_value_against_its_domain():
    model = build_model("CalfProfile", CALF_SPECS)
    good = model(age=40, medications=["heparin"]).__dict__
    assert conforms(good, model)
    assert not conforms({**good, "age": 500}, model)
    assert not conforms({**good, "age": True}, model)
    assert not conforms({**good, "medications": ["B", "a"]}, model)
    assert not conforms({**good, "extra": 1}, model)


def test_risk_rank_follows_the_declared_order():
    specs = dict(specs_of(build_model("CalfProfile", CALF_SPECS)))
    assert specs["mobility"].risk_rank("bedbound") > specs["mobility"].risk_rank("independent")
    assert specs["age"].risk_rank(80) > specs["age"].risk_rank(20)
    assert specs["sensation"].risk_rank(1) > specs["sensation"].risk_rank(4)  # falling
    assert specs["medications"].risk_rank(["a", "b"]) > specs["medications"].risk_rank([])


class AppProfile(PackModel):
    """An app's own model, with its semantics in json_schema_extra."""

    swollen: bool | None = Field(default=None, json_schema_extra={"question": "Swollen?"})
    score: Annotated[int, Field(ge=0, le=4)] | None = Field(
        default=None, json_schema_extra={"risk": "falling"}
    )
    drugs: Annotated[NameList, Field(max_length=5)] | None = None
    level: Literal["low", "high"] = "low"


def test_an_apps_model_is_read_with_its_semantics():
    specs = specs_of(AppProfile)
    assert specs["score"].risk == "falling"
    assert specs["swollen"].question == "Swollen?"
    assert specs["drugs"].kind == "list"
    assert specs["drugs"].max_items == 5
    assert specs["level"].values == ("low", "high")
    assert not specs["level"].nullable


@pytest.mark.parametrize(
    ("annotation", "default", "message"),
    [
        (float, 0.0, "unsupported type"),
        (int, 0, "needs ge= and le= bounds"),
        (bool | int, None, "unsupported union"),
        (Literal[1, 2], 1, "values must be text"),
        (list[int], None, "unsupported type"),
    ],
)
def test_fields_rules_cannot_read_are_refused(annotation, default, message):
    from pydantic import create_model  # noqa: PLC0415

    model = create_model("Bad", __base__=PackModel, field=(annotation, default))
    with pytest.raises(TypeError, match=message) as info:
        specs_of(model)
    assert "Bad.field" in str(info.value)


def test_a_required_field_is_refused():
    class Required(PackModel):
        swollen: bool

    with pytest.raises(TypeError, match=r"Required\.swollen: every field needs a default"):
        specs_of(Required)


def test_only_a_bool_field_can_be_relaxing():
    class Wrong(PackModel):
        level: Literal["a", "b"] = Field(default="a", json_schema_extra={"relaxing": True})

    with pytest.raises(TypeError, match="only a bool field can be relaxing"):
        specs_of(Wrong)


def test_a_field_name_the_engines_use_is_refused():
    """'sid' and names with '__' are keys of durable's facts; a field may not take them."""

    class Clash(PackModel):
        sid: bool | None = None

    with pytest.raises(TypeError, match=r"Clash\.sid: 'sid' is kept for the engines' own keys"):
        specs_of(Clash)


def test_a_list_that_is_not_normalised_is_refused():
    """A plain list[str] keeps "Warfarin" as typed, so "warfarin" in it would never match."""

    class Plain(PackModel):
        medications: list[str] | None = None

    with pytest.raises(TypeError, match=r"Plain\.medications: a list field must normalise"):
        specs_of(Plain)


def test_a_model_defined_in_a_function_is_read():
    """Annotations that name local types (this module defers them) are read from pydantic."""
    Level = Literal["low", "high"]  # noqa: N806 - a local type alias

    class Local(PackModel):
        level: Level = "low"
        score: Annotated[int, Field(ge=0, le=3)] | None = None

    specs = specs_of(Local)
    assert specs["level"].values == ("low", "high")
    assert (specs["score"].low, specs["score"].high) == (0, 3)

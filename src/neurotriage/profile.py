"""The input model: what is known about a person's feet and their session."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from neurotriage._names import MAX_CONDITION_LENGTH, normalise_name
from neurotriage.decision import Pressure

__all__ = [
    "MAX_CONDITIONS",
    "MAX_CONDITION_LENGTH",
    "FieldKind",
    "FieldSpec",
    "NeuropathySeverity",
    "Profile",
    "conforms",
    "field_specs",
]

#: At most this many ``other_conditions``, each at most ``MAX_CONDITION_LENGTH``
#: characters (200; defined in ``_names``, which rules share): far more than any
#: person lists, small enough that a runaway input (a 10 MB list) is refused at
#: once instead of being normalised and evaluated.
MAX_CONDITIONS = 100

#: How severe the neuropathy is (a warning's severity is ``decision.Severity``).
NeuropathySeverity = Literal["mild", "moderate", "severe"]

#: Each field's question, as a person is asked it. The JSON Schema carries it
#: (``json_schema_extra``), and the summaries print it for open questions.
_Q = {
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


class Profile(BaseModel):
    """A person's condition. Every condition field defaults to ``None``: not known.

    Unknown is a value of its own, never read as ``False``. The model is frozen,
    rejects unknown keys (a misspelt safety field is an error, not ignored) and
    is strict: ``"yes"`` is not a boolean and ``"7"`` is not a pain level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    diabetes: bool | None = Field(
        default=None, description="Has diabetes.", json_schema_extra={"question": _Q["diabetes"]}
    )
    neuropathy_severity: NeuropathySeverity | None = Field(
        default=None,
        description="How severe the neuropathy is.",
        json_schema_extra={"question": _Q["neuropathy_severity"]},
    )
    pain_level: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None,
        description="Pain on a 0-10 scale.",
        json_schema_extra={"question": _Q["pain_level"]},
    )
    symptoms_worsening: bool | None = Field(
        default=None,
        description="Neuropathy symptoms are getting worse.",
        json_schema_extra={"question": _Q["symptoms_worsening"]},
    )
    open_wounds: bool | None = Field(
        default=None,
        description="Open wounds on the feet.",
        json_schema_extra={"question": _Q["open_wounds"]},
    )
    foot_infection: bool | None = Field(
        default=None,
        description="An infection on the feet.",
        json_schema_extra={"question": _Q["foot_infection"]},
    )
    home_remedies_no_relief: bool | None = Field(
        default=None,
        description="Home remedies have given no relief.",
        json_schema_extra={"question": _Q["home_remedies_no_relief"]},
    )
    other_conditions: (
        Annotated[
            list[Annotated[str, Field(max_length=MAX_CONDITION_LENGTH)]],
            Field(max_length=MAX_CONDITIONS),
        ]
        | None
    ) = Field(
        default=None,
        description="Other health conditions, by name (normalised: case, width, invisible "
        "characters and surrounding punctuation do not count); "
        f"at most {MAX_CONDITIONS}, each at most {MAX_CONDITION_LENGTH} characters.",
        json_schema_extra={"question": _Q["other_conditions"]},
    )
    cleared_by_clinician: bool = Field(
        default=False,
        description="A clinician has cleared this person for foot massage.",
        json_schema_extra={
            "question": _Q["cleared_by_clinician"],
            "relaxing": True,
            "actionable": True,
            "action": "get a doctor or physical therapist to agree to foot massage",
        },
    )
    sharp_pain_during_massage: bool = Field(
        default=False,
        description="Sharp pain or increased discomfort during the massage.",
        json_schema_extra={"question": _Q["sharp_pain_during_massage"]},
    )
    requested_pressure: Pressure = Field(
        default="light",
        description="The pressure the person asks for.",
        json_schema_extra={
            "question": _Q["requested_pressure"],
            "actionable": True,
            "action": "ask for {value} pressure",
        },
    )

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> Profile:
        """The profile in JSON ``data``; every problem is a ``pydantic.ValidationError``.

        Unlike ``model_validate_json``, a key given twice is refused (where
        JSON parsers let the last one win silently, ``"open_wounds": true,
        "open_wounds": false`` would read as no open wounds), and a number
        too long to read is an error naming its field.
        """
        try:
            parsed = json.loads(
                data, object_pairs_hook=_pairs, parse_int=_integer, parse_constant=_constant
            )
        except _DuplicateKeyError as duplicate:
            error = PydanticCustomError(
                "json_duplicate_key",
                "the key '{key}' is given more than once; give each field once",
                {"key": duplicate.key},
            )
            raise ValidationError.from_exception_data(
                cls.__name__,
                [{"type": error, "loc": (duplicate.key,), "input": duplicate.value}],
                input_type="json",
            ) from None
        except (ValueError, RecursionError, TypeError):
            # not JSON, too deep, or not text: pydantic's own JSON parser says what
            return cls.model_validate_json(data)
        return cls.model_validate(parsed)

    @field_validator("other_conditions")
    @classmethod
    def _normalise_conditions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        # each item is at most MAX_CONDITION_LENGTH characters already (checked
        # before this validator runs), so a runaway input is never normalised
        return sorted(
            {normalise_name(item, subject=f"item {index}") for index, item in enumerate(value)}
        )


FieldKind = Literal["bool", "int", "enum", "list"]


@dataclass(frozen=True)
class FieldSpec:
    """What the rule language needs to know about one Profile field.

    ``values`` is the ordered domain of an ``enum`` field (its declared order is
    its risk order); ``low``/``high`` bound an ``int`` field. ``relaxing`` marks a
    field whose ``True`` lowers risk (clearance) rather than raising it. The
    field's ``json_schema_extra`` gives ``relaxing``, ``question``,
    ``actionable`` and ``action``: the one place each field's semantics live.
    """

    name: str
    kind: FieldKind
    nullable: bool
    default: Any
    values: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    relaxing: bool = False
    #: the question a person is asked for this field
    question: str = ""
    #: whether the person can change it themselves (counterfactuals say what they can do)
    actionable: bool = False
    #: what to do, for an actionable field (``{value}``: the value it changes to)
    action: str = ""


def _bounds(annotation: Any) -> tuple[Any, int | None, int | None]:
    """The type inside ``Annotated[...]``, and its ``ge``/``le`` bounds if it has them."""
    low = high = None
    if typing.get_origin(annotation) is not Annotated:
        return annotation, low, high
    base, *meta = typing.get_args(annotation)
    for item in meta:
        for bound in getattr(item, "metadata", [item]):
            if isinstance(bound, annotated_types.Ge):
                low = int(bound.ge)  # type: ignore[call-overload]
            elif isinstance(bound, annotated_types.Le):
                high = int(bound.le)  # type: ignore[call-overload]
    return base, low, high


def _spec_for(name: str, annotation: Any, default: Any, extra: Mapping[str, Any]) -> FieldSpec:
    args = typing.get_args(annotation)
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"Profile.{name}: unsupported union {annotation!r}")
        annotation = rest[0]
    annotation, low, high = _bounds(annotation)
    if annotation is bool:
        spec = FieldSpec(name, "bool", nullable, default)
    elif annotation is int:
        if low is None or high is None:
            raise TypeError(f"Profile.{name}: an int field needs ge= and le= bounds")
        spec = FieldSpec(name, "int", nullable, default, low=low, high=high)
    elif typing.get_origin(annotation) is Literal:
        spec = FieldSpec(name, "enum", nullable, default, values=typing.get_args(annotation))
    elif typing.get_origin(annotation) is list:
        spec = FieldSpec(name, "list", nullable, default)
    else:
        raise TypeError(f"Profile.{name}: unsupported type {annotation!r}")
    return dataclasses.replace(
        spec,
        relaxing=bool(extra.get("relaxing", False)),
        question=str(extra.get("question", "")),
        actionable=bool(extra.get("actionable", False)),
        action=str(extra.get("action", "")),
    )


def _build_specs() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    hints = typing.get_type_hints(Profile, include_extras=True)
    for name, info in Profile.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        specs[name] = _spec_for(name, hints[name], info.default, extra)
    return specs


_SPECS = types.MappingProxyType(_build_specs())


def field_specs() -> types.MappingProxyType[str, FieldSpec]:
    """Every Profile field the rule language can read, in declaration order."""
    return _SPECS


class _DuplicateKeyError(Exception):
    def __init__(self, key: str, value: Any) -> None:
        super().__init__(key)
        self.key, self.value = key, value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key, value)
        result[key] = value
    return result


class _LongNumber:
    """A JSON integer too long to convert (Python refuses over 4,300 digits)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {self.digits:,} digits"


#: Longer integers stay unconverted: no field's bounds reach that far.
_MAX_DIGITS = 100


def _integer(text: str) -> int | _LongNumber:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= _MAX_DIGITS else _LongNumber(digits)


def _constant(text: str) -> None:
    raise ValueError(f"{text} is not JSON")  # NaN, Infinity: pydantic reports it


# --- checking a Profile that may not have been validated --------------------------------------
#
# ``model_construct`` and ``model_copy(update=...)`` make a Profile without
# validating it, so evaluate() cannot trust a Profile just because of its type.
# Each field's value is checked against its domain, exactly (``True`` is not a
# pain level, ``1`` is not a yes), before any engine sees it.


def _value_check(spec: FieldSpec) -> Callable[[Any], bool]:
    nullable = spec.nullable
    if spec.kind == "bool":
        return lambda value: value is True or value is False or (nullable and value is None)
    if spec.kind == "enum":
        allowed = frozenset(spec.values)
        return lambda value: (
            (type(value) is str and value in allowed) or (nullable and value is None)
        )
    if spec.kind == "int":
        low, high = spec.low, spec.high
        if low is None or high is None:  # pragma: no cover - _spec_for refuses such fields
            raise TypeError(f"Profile.{spec.name}: an int field needs bounds")
        return lambda value: (
            (type(value) is int and low <= value <= high) or (nullable and value is None)
        )
    return lambda value: (
        (nullable and value is None) or (type(value) is list and _normal_names(value))
    )


def _normal_names(items: list[Any]) -> bool:
    """Whether ``items`` is what validation makes of a list of names: normalised, sorted, unique."""
    if not items:
        return True
    if len(items) > MAX_CONDITIONS or any(type(item) is not str for item in items):
        return False
    try:
        return Profile._normalise_conditions(items) == items
    except ValueError:
        return False


_CHECKS: tuple[tuple[str, Callable[[Any], bool]], ...] = tuple(
    (name, _value_check(spec)) for name, spec in _SPECS.items()
)
_MISSING = object()


def conforms(values: Mapping[str, Any]) -> bool:
    """Whether ``values`` (a Profile's ``__dict__``) are exactly what validation gives.

    Each field's value must be of its type and domain (a Profile made with
    ``model_construct`` or ``model_copy(update=...)`` may hold anything), and
    no other key may be present.
    """
    if len(values) != len(_CHECKS):
        return False
    return all(check(values.get(name, _MISSING)) for name, check in _CHECKS)

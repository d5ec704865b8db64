"""The input model: what is known about a person's feet and their session."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, field_validator

from neurotriage._names import MAX_CONDITION_LENGTH, normalise_name

__all__ = [
    "MAX_CONDITIONS",
    "MAX_CONDITION_LENGTH",
    "FieldKind",
    "FieldSpec",
    "Profile",
    "field_specs",
]

#: At most this many ``other_conditions``, each at most ``MAX_CONDITION_LENGTH``
#: characters (200; defined in ``_names``, which rules share): far more than any
#: person lists, small enough that a runaway input (a 10 MB list) is refused at
#: once instead of being normalised and evaluated.
MAX_CONDITIONS = 100

Severity = Literal["mild", "moderate", "severe"]
Pressure = Literal["light", "moderate", "firm"]


class Profile(BaseModel):
    """A person's condition. Every condition field defaults to ``None``: not known.

    Unknown is a value of its own, never read as ``False``. The model is frozen,
    rejects unknown keys (a misspelt safety field is an error, not ignored) and
    is strict: ``"yes"`` is not a boolean and ``"7"`` is not a pain level.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    diabetes: bool | None = Field(default=None, description="Has diabetes.")
    neuropathy_severity: Severity | None = Field(
        default=None, description="How severe the neuropathy is."
    )
    pain_level: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="Pain on a 0-10 scale."
    )
    symptoms_worsening: bool | None = Field(
        default=None, description="Neuropathy symptoms are getting worse."
    )
    open_wounds: bool | None = Field(default=None, description="Open wounds on the feet.")
    foot_infection: bool | None = Field(default=None, description="An infection on the feet.")
    home_remedies_no_relief: bool | None = Field(
        default=None, description="Home remedies have given no relief."
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
    )
    cleared_by_clinician: bool = Field(
        default=False, description="A clinician has cleared this person for foot massage."
    )
    sharp_pain_during_massage: bool = Field(
        default=False, description="Sharp pain or increased discomfort during the massage."
    )
    requested_pressure: Pressure = Field(
        default="light", description="The pressure the person asks for."
    )

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
    field whose ``True`` lowers risk (clearance) rather than raising it.
    """

    name: str
    kind: FieldKind
    nullable: bool
    default: Any
    values: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    relaxing: bool = False


_RELAXING = frozenset({"cleared_by_clinician"})


def _spec_for(name: str, annotation: Any, default: Any) -> FieldSpec:
    args = typing.get_args(annotation)
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"Profile.{name}: unsupported union {annotation!r}")
        annotation = rest[0]
    low = high = None
    if typing.get_origin(annotation) is Annotated:
        base, *meta = typing.get_args(annotation)
        for item in meta:
            for bound in getattr(item, "metadata", [item]):
                if isinstance(bound, annotated_types.Ge):
                    low = int(bound.ge)  # type: ignore[call-overload]
                elif isinstance(bound, annotated_types.Le):
                    high = int(bound.le)  # type: ignore[call-overload]
        annotation = base
    relaxing = name in _RELAXING
    if annotation is bool:
        return FieldSpec(name, "bool", nullable, default, relaxing=relaxing)
    if annotation is int:
        if low is None or high is None:
            raise TypeError(f"Profile.{name}: an int field needs ge= and le= bounds")
        return FieldSpec(name, "int", nullable, default, low=low, high=high)
    if typing.get_origin(annotation) is Literal:
        return FieldSpec(name, "enum", nullable, default, values=typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        return FieldSpec(name, "list", nullable, default)
    raise TypeError(f"Profile.{name}: unsupported type {annotation!r}")


def _build_specs() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    hints = typing.get_type_hints(Profile, include_extras=True)
    for name, info in Profile.model_fields.items():
        specs[name] = _spec_for(name, hints[name], info.default)
    return specs


_SPECS = types.MappingProxyType(_build_specs())


def field_specs() -> types.MappingProxyType[str, FieldSpec]:
    """Every Profile field the rule language can read, in declaration order."""
    return _SPECS

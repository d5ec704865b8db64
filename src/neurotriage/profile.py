"""The built-in pack's input model: what is known about a person's feet and their session."""

from __future__ import annotations

import types
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from neurotriage._names import MAX_CONDITION_LENGTH
from neurotriage.decision import Pressure
from neurotriage.fields import FieldKind, FieldSpec, PackModel, normalised_names, specs_of

__all__ = [
    "MAX_CONDITIONS",
    "MAX_CONDITION_LENGTH",
    "FieldKind",
    "FieldSpec",
    "NeuropathySeverity",
    "Profile",
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


class Profile(PackModel):
    """A person's condition. Every condition field defaults to ``None``: not known.

    Unknown is a value of its own, never read as ``False``. The model is frozen,
    rejects unknown keys (a misspelt safety field is an error, not ignored) and
    is strict: ``"yes"`` is not a boolean and ``"7"`` is not a pain level.
    """

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
            AfterValidator(normalised_names),
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


def field_specs() -> types.MappingProxyType[str, FieldSpec]:
    """Every Profile field the rule language can read, in declaration order."""
    return specs_of(Profile)

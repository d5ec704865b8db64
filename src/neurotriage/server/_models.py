"""The CDS Hooks 2.0 messages the service reads and writes, as pydantic models.

They are what the OpenAPI document at ``/docs`` shows. Requests are read
leniently where the specification allows more (extensions, fields this
service does not use are ignored) and strictly where a safe answer depends
on it: the hook, the hook instance and the patient.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "HOOK",
    "SERVICE_ID",
    "Card",
    "CardSource",
    "CdsResponse",
    "Coding",
    "DiscoveryResponse",
    "ErrorBody",
    "Feedback",
    "FeedbackRequest",
    "HookRequest",
    "Indicator",
    "OverrideReason",
    "PatientViewContext",
    "PrefetchMissing",
    "Service",
    "Suggestion",
    "SuggestionAction",
]

#: The service's id in discovery and in its URL (contract).
SERVICE_ID = "foot-massage-triage"
#: The one hook the service answers (contract).
HOOK = "patient-view"

Indicator = Literal["info", "warning", "critical"]


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Reply):
    """One CDS Service in the discovery document."""

    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]


class DiscoveryResponse(_Reply):
    """``GET /cds-services``: the services offered."""

    services: tuple[Service, ...]


class PatientViewContext(_Message):
    """The context of the ``patient-view`` hook: whose record is open."""

    patientId: str = Field(min_length=1)  # noqa: N815 - the CDS Hooks name
    userId: str | None = None  # noqa: N815 - required by the hook, not needed to decide
    encounterId: str | None = None  # noqa: N815


class HookRequest(_Message):
    """``POST /cds-services/foot-massage-triage``: a CDS Hooks call.

    ``prefetch`` maps each key of the discovery document's templates to the
    FHIR resource (or searchset Bundle) the EHR fetched, or to ``null`` where
    it could not.
    """

    hook: str
    hookInstance: str = Field(min_length=1)  # noqa: N815 - the CDS Hooks name
    fhirServer: str | None = None  # noqa: N815
    fhirAuthorization: dict[str, Any] | None = None  # noqa: N815
    context: PatientViewContext
    prefetch: dict[str, dict[str, Any] | None] = Field(default_factory=dict)

    @field_validator("hook")
    @classmethod
    def _patient_view(cls, hook: str) -> str:
        if hook != HOOK:
            raise ValueError(f"this service answers the {HOOK!r} hook, not {hook!r}")
        return hook


class CardSource(_Reply):
    """Where a card's advice comes from: the pack."""

    label: str
    url: str | None = None


class SuggestionAction(_Reply):
    """One action of a suggestion: a resource for the EHR to create."""

    type: Literal["create"]
    description: str
    resource: dict[str, Any]


class Suggestion(_Reply):
    """Something the clinician can accept from a card."""

    label: str
    uuid: str
    actions: tuple[SuggestionAction, ...]


class Card(_Reply):
    """One card: the decision, in at most 140 characters and then in Markdown."""

    uuid: str
    summary: str = Field(max_length=140)
    indicator: Indicator
    detail: str
    source: CardSource
    suggestions: tuple[Suggestion, ...] | None = None
    selectionBehavior: Literal["at-most-one"] | None = None  # noqa: N815 - the CDS Hooks name


class CdsResponse(_Reply):
    """The answer to a hook call: one card."""

    cards: tuple[Card, ...]


class Coding(_Message):
    """A FHIR Coding (the override reason's)."""

    code: str | None = None
    system: str | None = None
    display: str | None = None


class OverrideReason(_Message):
    """Why the clinician overrode a card: a coding, and free text this service never stores."""

    reason: Coding | None = None
    userComment: str | None = None  # noqa: N815 - the CDS Hooks name


class AcceptedSuggestion(_Message):
    """A suggestion the clinician accepted."""

    id: str


class Feedback(_Message):
    """One piece of feedback about one card."""

    card: str
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: tuple[AcceptedSuggestion, ...] = ()  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: str | None = None  # noqa: N815

    @field_validator("card")
    @classmethod
    def _a_uuid(cls, card: str) -> str:
        try:
            uuid.UUID(card)
        except ValueError:
            raise ValueError(
                f"a card's id is the uuid of a card this service made, not {card!r}"
            ) from None
        return card


class FeedbackRequest(_Message):
    """``POST /cds-services/foot-massage-triage/feedback``."""

    feedback: tuple[Feedback, ...]

    @field_validator("feedback")
    @classmethod
    def _some(cls, feedback: tuple[Feedback, ...]) -> tuple[Feedback, ...]:
        if not feedback:
            raise ValueError("feedback lists no card")
        return feedback


class ErrorBody(_Reply):
    """Every error answer: what went wrong, in a sentence, and the details where there are any."""

    error: str
    details: tuple[dict[str, Any], ...] = ()


class PrefetchMissing(_Reply):
    """412: the prefetch keys the service needs that the request did not bring."""

    error: str
    missing_prefetch: tuple[str, ...]

"""The rule-file schema: pydantic models of what a YAML rule file may hold.

Every model forbids unknown keys and is strict, so a misspelt key or a value
of the wrong type is reported, never ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from neurotriage.decision import Pressure, ReferralLevel, Severity, Verdict

__all__ = [
    "EXPECTATIONS",
    "ITEM_MODELS",
    "FieldDecl",
    "FileSpec",
    "InvariantSpec",
    "PackSpec",
    "RuleSpec",
    "SourceSpec",
    "Spec",
    "TechniqueSpec",
    "TherapySpec",
    "WarnSpec",
]

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SourceSpec(Spec):
    document: Text
    section: Text


class WarnSpec(Spec):
    code: Id
    severity: Severity
    message: Text
    #: advice on how to massage: the summary shows it only when some technique is allowed
    advice: bool = False


class RuleSpec(Spec):
    id: Id
    description: Text
    when: Text
    block: Literal["all"] | list[Id] | None = None
    refer: ReferralLevel | None = None
    warn: WarnSpec | None = None
    ask: list[Id] = Field(default_factory=list)
    verdict: Verdict | None = None
    source: SourceSpec | None = None


class TechniqueSpec(Spec):
    id: Id
    name: Text
    area: Text
    how_to: Text
    pressure_ceiling: Pressure
    source: SourceSpec | None = None


class TherapySpec(Spec):
    id: Id
    name: Text
    description: Text
    note: Text
    source: SourceSpec | None = None


class InvariantSpec(Spec):
    """A property every decision must have wherever ``when`` holds."""

    id: Id
    description: Text
    when: Text
    allowed: Literal["none"] | None = None
    allowed_only: list[Id] | None = None
    not_allowed: list[Id] | None = None
    referral_at_least: ReferralLevel | None = None
    verdict_in: list[Verdict] | None = Field(default=None, min_length=1)
    warns: Id | list[Id] | None = None
    source: SourceSpec | None = None


#: The keys of an invariant that state what is expected.
EXPECTATIONS = (
    "allowed",
    "allowed_only",
    "not_allowed",
    "referral_at_least",
    "verdict_in",
    "warns",
)


class FileSpec(Spec):
    version: Text | None = None
    rules: list[dict[str, Any]] = Field(default_factory=list)
    techniques: list[dict[str, Any]] = Field(default_factory=list)
    therapies: list[dict[str, Any]] = Field(default_factory=list)
    invariants: list[dict[str, Any]] = Field(default_factory=list)


ITEM_MODELS: dict[str, type[Spec]] = {
    "rules": RuleSpec,
    "techniques": TechniqueSpec,
    "therapies": TherapySpec,
    "invariants": InvariantSpec,
}


# --- pack.yaml ------------------------------------------------------------------------------

#: A field name: a lower-case identifier the condition language can read
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class FieldDecl(Spec):
    """One field of a pack's input model, as ``pack.yaml`` declares it."""

    type: Literal["bool", "int", "enum", "list"]
    description: Text | None = None
    question: Text | None = None
    #: absent (or null): the field may be unknown, and is until answered
    default: bool | int | str | list[str] | None = None
    min: int | None = None
    max: int | None = None
    values: list[Text] | None = None
    max_items: Annotated[int, Field(ge=1, le=10_000)] | None = None
    risk: Literal["rising", "falling"] = "rising"
    relaxing: bool = False
    actionable: bool = False


class PackSpec(Spec):
    """The top level of ``pack.yaml``: the pack's identity, fields and red flags."""

    id: Id
    version: Text
    title: Text
    url: Text | None = None
    fields: dict[str, Any] | None = None
    red_flags: Text | None = None

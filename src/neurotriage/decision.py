"""The output model: a decision and its parts, immutable and JSON round-trippable.

Every part is frozen and every sequence in it is a tuple, so a Decision can be
shared: the pipeline decides each class of profile once and hands every caller
the same object. Setting an attribute raises ``pydantic.ValidationError``;
tuples have no methods that change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "REFERRAL_LEVELS",
    "SEVERITIES",
    "STARTING_VERDICTS",
    "VERDICTS",
    "AllowedTechnique",
    "BlockedTechnique",
    "Decision",
    "DecisionWarning",
    "Outcome",
    "Pressure",
    "Reason",
    "Referral",
    "ReferralLevel",
    "ReferralReason",
    "Severity",
    "TherapySuggestion",
    "Verdict",
]

Verdict = Literal[
    "proceed", "consult_first", "needs_answers", "needs_clearance", "see_doctor", "stop"
]
ReferralLevel = Literal["none", "consult_before_starting", "see_doctor", "urgent"]
Severity = Literal["info", "caution", "danger"]
Pressure = Literal["light", "moderate", "firm"]

#: Verdicts from least to most serious; the decision takes the most serious.
VERDICTS: tuple[Verdict, ...] = (
    "proceed",
    "consult_first",
    "needs_answers",
    "needs_clearance",
    "see_doctor",
    "stop",
)
#: The verdicts that invite the person to start: a decision has one of them
#: exactly when at least one technique is allowed (``verify`` proves it).
STARTING_VERDICTS: frozenset[Verdict] = frozenset({"proceed", "consult_first"})
#: Referral levels in increasing order.
REFERRAL_LEVELS: tuple[ReferralLevel, ...] = (
    "none",
    "consult_before_starting",
    "see_doctor",
    "urgent",
)
#: Warning severities in increasing order.
SEVERITIES: tuple[Severity, ...] = ("info", "caution", "danger")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reason(_Part):
    """Why something was decided: the rule and its message."""

    rule_id: str
    message: str


class AllowedTechnique(_Part):
    """A technique the person may do, with how to do it and how hard to press."""

    technique: str
    name: str
    area: str
    pressure_ceiling: Pressure
    how_to: str


class BlockedTechnique(_Part):
    """A technique the person must not do now, with every reason."""

    technique: str
    name: str
    reasons: tuple[Reason, ...] = Field(min_length=1)


class ReferralReason(_Part):
    """One rule's referral: its level and message."""

    rule_id: str
    level: ReferralLevel
    message: str


class Referral(_Part):
    """Who to see: the highest level any rule asked for, and every reason."""

    level: ReferralLevel
    reasons: tuple[ReferralReason, ...]


class DecisionWarning(_Part):
    """A warning to show the person."""

    code: str
    severity: Severity
    message: str
    rule_id: str


class TherapySuggestion(_Part):
    """A complementary therapy to consider, with a note."""

    therapy: str
    name: str
    description: str
    note: str


class Decision(_Part):
    """What the rule set decided for one profile, with every reason.

    ``verdict`` is one of ``proceed`` (cleared, nothing in the way),
    ``consult_first`` (nothing blocked, but a clinician must agree first),
    ``needs_answers``, ``needs_clearance``, ``see_doctor`` and ``stop``.
    ``questions`` names the Profile fields still unknown whose answer could
    change the decision.
    """

    verdict: Verdict
    allowed_techniques: tuple[AllowedTechnique, ...]
    blocked_techniques: tuple[BlockedTechnique, ...]
    referral: Referral
    warnings: tuple[DecisionWarning, ...]
    questions: tuple[str, ...]
    complementary_therapies: tuple[TherapySuggestion, ...]
    fired_rules: tuple[str, ...]
    ruleset_version: str
    #: ``False`` only for a rule set loaded with ``load_rules(..., verify=False)``,
    #: whose safety properties were not proved
    verified: bool = True


@dataclass(frozen=True)
class Outcome:
    """What a decision means for safety, without its wording.

    The verdict, the allowed technique ids, the referral level and the warning
    codes: the parts that safety properties, invariants and diffs compare.
    """

    verdict: Verdict
    allowed: frozenset[str]
    referral: ReferralLevel
    warnings: frozenset[str]

    @classmethod
    def of(cls, decision: Decision) -> Outcome:
        """The outcome of a full decision."""
        return cls(
            verdict=decision.verdict,
            allowed=frozenset(t.technique for t in decision.allowed_techniques),
            referral=decision.referral.level,
            warnings=frozenset(w.code for w in decision.warnings),
        )

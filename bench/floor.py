"""The practical floor: the default rule set's semantics as plain Python ``if``s.

No rule engine, no Decision model: just what the built-in rules decide (the
verdict, the allowed technique ids, the referral level, the warning codes in
Decision order, the questions), written out by hand. The benchmark first
checks that it agrees with ``evaluate()`` on its whole corpus, so the floor is
honest, and then reports every backend's time as a multiple of it.

It knows the rule files in ``rules/`` by heart: change those and this must
change too (the agreement check says so).
"""

from __future__ import annotations

from typing import NamedTuple

from neurotriage import Decision, Profile

__all__ = ["FloorDecision", "decide", "summary"]

TECHNIQUES = ("gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage")
NOTHING: tuple[str, ...] = ()


class FloorDecision(NamedTuple):
    """The content of a Decision that the floor reproduces."""

    verdict: str
    allowed: tuple[str, ...]
    referral: str
    warnings: tuple[str, ...]
    questions: tuple[str, ...]


def summary(decision: Decision) -> FloorDecision:
    """The floor's view of a full Decision, to compare the two."""
    return FloorDecision(
        decision.verdict,
        tuple(t.technique for t in decision.allowed_techniques),
        decision.referral.level,
        tuple(w.code for w in decision.warnings),
        tuple(decision.questions),
    )


def decide(profile: Profile) -> FloorDecision:  # noqa: PLR0912, PLR0915 - one if per rule is the point
    """What the built-in rule set decides for ``profile``, by hand."""
    diabetes = profile.diabetes
    severity = profile.neuropathy_severity
    pain = profile.pain_level
    worsening = profile.symptoms_worsening
    wounds = profile.open_wounds
    infection = profile.foot_infection
    no_relief = profile.home_remedies_no_relief
    conditions = profile.other_conditions
    cleared = profile.cleared_by_clinician
    sharp = profile.sharp_pain_during_massage
    pressure = profile.requested_pressure

    # verdict ranks: 0 proceed, 1 consult_first, 2 needs_answers, 3 needs_clearance,
    # 4 see_doctor, 5 stop. clearance.yaml: not cleared means consult first.
    verdict = 0 if cleared else 1
    # referral ranks: 0 none, 1 consult_before_starting, 2 see_doctor
    referral = 0 if cleared else 1
    blocked = False

    # unknowns.yaml: an unknown red flag blocks; so does an unknown clearance
    # condition before clearance. Every unknown condition field is a question.
    if wounds is None or infection is None or pain is None or worsening is None:
        blocked, verdict = True, 2
    if not cleared and (diabetes is None or severity is None or conditions is None):
        blocked, verdict = True, 2

    # clearance.yaml: known conditions that need a clinician first
    if not cleared and (diabetes or severity == "severe" or conditions):
        blocked, verdict = True, 3

    # red-flags.yaml
    danger: list[str] = []
    if infection:
        danger.append("foot-infection")
    if wounds:
        danger.append("open-wounds")
    if pressure == "firm":
        danger.append("pressure-firm-harmful")  # session.yaml, sorted in among the codes
    if pain is not None and pain >= 7:
        danger.append("severe-pain")
    if sharp:
        danger.append("sharp-pain-stop")
    if worsening:
        danger.append("symptoms-worsening")
    if wounds or infection or worsening or (pain is not None and pain >= 7):
        blocked, verdict, referral = True, 4, 2
    if no_relief:
        referral = 2

    # session.yaml: sharp pain stops everything
    if sharp:
        blocked, verdict = True, 5

    caution: list[str] = []
    if diabetes and cleared:
        caution.append("diabetes-extra-precautions")
    caution.append("gentle-pressure")
    if no_relief:
        caution.append("home-remedies-no-relief")
    if conditions and cleared:
        caution.append("other-conditions-cleared")
    if pressure != "light":
        caution.append("pressure-keep-gentle")
    if severity == "severe" and cleared:
        caution.append("severe-neuropathy-cleared")
    caution.append("stop-on-discomfort")

    questions = []
    if diabetes is None:
        questions.append("diabetes")
    if severity is None:
        questions.append("neuropathy_severity")
    if pain is None:
        questions.append("pain_level")
    if worsening is None:
        questions.append("symptoms_worsening")
    if wounds is None:
        questions.append("open_wounds")
    if infection is None:
        questions.append("foot_infection")
    if no_relief is None:
        questions.append("home_remedies_no_relief")
    if conditions is None:
        questions.append("other_conditions")

    return FloorDecision(
        _VERDICTS[verdict],
        NOTHING if blocked else TECHNIQUES,
        _REFERRALS[referral],
        (*danger, *caution, "not-a-replacement", "qualified-therapist"),
        tuple(questions),
    )


_VERDICTS = ("proceed", "consult_first", "needs_answers", "needs_clearance", "see_doctor", "stop")
_REFERRALS = ("none", "consult_before_starting", "see_doctor")

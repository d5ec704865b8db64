"""A decision in plain words: the wording every reader of a decision shares.

The command line's summary (``neurotriage evaluate``) and the CDS Hooks card
(``neurotriage serve``) lay a decision out differently (terminal lines,
Markdown), but say the same things in the same words, all from here:

* each verdict in plain words (:data:`VERDICT_TEXT`, :data:`URGENT_TEXT`);
* each open question as the pack's field asks it (:func:`question_text`);
* a reason that blocks every technique is said once (:func:`shared_reasons`);
* advice on how to massage (warnings marked ``advice``) is shown only when
  some technique is allowed (:func:`shown_warnings`);
* the warning that a decision comes from an unproved rule set (:data:`UNVERIFIED`).
"""

from __future__ import annotations

from collections.abc import Mapping

from neurotriage.decision import BlockedTechnique, Decision, DecisionWarning, Reason, Verdict
from neurotriage.fields import FieldSpec
from neurotriage.ruleset import RuleSet

__all__ = [
    "UNVERIFIED",
    "URGENT_TEXT",
    "VERDICT_TEXT",
    "blocked_reasons",
    "is_advice",
    "question_text",
    "shown_warnings",
]

#: Each verdict in plain words.
VERDICT_TEXT: Mapping[Verdict, str] = {
    "proceed": "you may go ahead with the allowed techniques",
    "consult_first": (
        "check with your doctor or physical therapist first; once they agree, "
        "the techniques below are the suitable ones"
    ),
    "needs_answers": "some answers are missing; nothing is allowed until they are given",
    "needs_clearance": "ask your doctor before starting; nothing is allowed until you are cleared",
    "see_doctor": "see a doctor; no massage for now",
    "stop": "stop the massage now",
}

#: The verdict in plain words when the referral is urgent (a red flag that cannot wait).
URGENT_TEXT = "get medical help today; no massage"

#: The first line of the summary of a decision from a rule set loaded unproved.
UNVERIFIED = (
    "NOT VERIFIED: this rule set was loaded with verify=False; its safety properties "
    "were not proved, so this decision may be unsafe"
)


def question_text(name: str, specs: Mapping[str, FieldSpec]) -> str:
    """The question that asks for field ``name``, as the pack words it (else its name)."""
    question = specs[name].question if name in specs else ""
    return question or name


def shared_reasons(decision: Decision, rules: RuleSet) -> list[Reason]:
    """The reasons that block every technique of the catalogue, when every one is blocked.

    Said once, not once per technique; empty when some technique is not blocked.
    """
    blocked = decision.blocked_techniques
    if not blocked or len(blocked) != len(rules.technique_ids):
        return []
    common = set.intersection(*({reason_key(r) for r in b.reasons} for b in blocked))
    return [r for r in blocked[0].reasons if reason_key(r) in common]


def blocked_reasons(
    decision: Decision, rules: RuleSet
) -> tuple[list[Reason], list[tuple[BlockedTechnique, list[Reason]]]]:
    """The blocked techniques' reasons as they are said: the reasons shared by every
    technique (:func:`shared_reasons`, said once), then each technique with the reasons
    of its own, left out when it has none beyond the shared ones. No reason is lost.
    """
    shared = shared_reasons(decision, rules)
    said = {reason_key(r) for r in shared}
    own = [
        (item, [r for r in item.reasons if reason_key(r) not in said])
        for item in decision.blocked_techniques
    ]
    return shared, [(item, reasons) for item, reasons in own if reasons or not shared]


def reason_key(reason: Reason) -> tuple[str, str]:
    """What tells two reasons apart (cheaper to compare than the models)."""
    return reason.rule_id, reason.message


def is_advice(warning: DecisionWarning, rules: RuleSet) -> bool:
    """Whether ``warning`` is advice on how to massage (its rule's ``warn`` says ``advice``)."""
    try:
        rule = rules.rule(warning.rule_id)
    except KeyError:
        return False
    return rule.warn is not None and rule.warn.advice


def shown_warnings(decision: Decision, rules: RuleSet) -> tuple[list[DecisionWarning], int]:
    """The warnings to show, and how many pieces of advice were left out.

    With nothing allowed, advice on how to massage only gets in the way.
    """
    shown = list(decision.warnings)
    if decision.allowed_techniques:
        return shown, 0
    kept = [w for w in shown if not is_advice(w, rules)]
    return kept, len(shown) - len(kept)

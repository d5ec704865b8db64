"""Decisions as a person reads them: the text of ``evaluate`` and ``explain``.

The JSON Decision holds everything; these summaries choose what a person
needs to read, in the order they need it:

* open questions are asked in plain words (each field's question, from its
  metadata), not by field name;
* a reason that blocks every technique is said once, not once per technique;
* advice on how to massage (warnings marked ``advice``) is shown only when
  some technique is allowed: with nothing allowed, it only gets in the way;
* each allowed technique shows where on the foot it goes, with its how-to;
* what would change the verdict comes in two parts: what the person can do,
  and what-ifs about health facts, which are for clinicians and never advice.

The words (each verdict's, each question's, which reasons and warnings are
shown) are :mod:`neurotriage._plain`'s, shared with the CDS Hooks card of
``neurotriage serve``; only the layout is this module's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from neurotriage._plain import (
    UNVERIFIED,
    VERDICT_TEXT,
    blocked_reasons,
    question_text,
    shown_warnings,
)
from neurotriage.analysis import Counterfactual, Counterfactuals, FieldChange, SpaceTooLargeError
from neurotriage.decision import Decision, Reason
from neurotriage.fields import FieldSpec
from neurotriage.ruleset import Rule, RuleSet

__all__ = [
    "VERDICT_TEXT",
    "counterfactuals_left_out",
    "counterfactuals_text",
    "explanation",
    "summary",
]


def _verdict_line(decision: Decision) -> str:
    return f"Verdict: {decision.verdict} ({VERDICT_TEXT[decision.verdict]})"


def _questions(decision: Decision, specs: Mapping[str, FieldSpec]) -> list[str]:
    if not decision.questions:
        return []
    lines = ["Questions still to answer:"]
    lines += [f"  - {question_text(name, specs)} [{name}]" for name in decision.questions]
    return lines


def _reason(reason: Reason, indent: str) -> str:
    return f"{indent}- {reason.message} [{reason.rule_id}]"


def _blocked(decision: Decision, ruleset: RuleSet) -> list[str]:
    """Blocked techniques; a reason shared by every technique of the catalogue is said once."""
    blocked = decision.blocked_techniques
    if not blocked:
        return []
    shared, own_reasons = blocked_reasons(decision, ruleset)
    lines = ["Blocked techniques:"]
    if shared:
        lines.append(f"  Every technique ({len(blocked)}) is blocked, because:")
        lines += [_reason(reason, "    ") for reason in shared]
    for item, own in own_reasons:
        also = " is also blocked, because:" if shared else ""
        lines.append(f"  - {item.name} ({item.technique}){also}")
        lines += [_reason(reason, "      ") for reason in own]
    return lines


def _allowed(decision: Decision) -> list[str]:
    if not decision.allowed_techniques:
        return ["Allowed techniques: none"]
    lines = ["Allowed techniques:"]
    for item in decision.allowed_techniques:
        lines.append(
            f"  - {item.name} ({item.technique}): {item.area}, "
            f"{item.pressure_ceiling} pressure at most"
        )
        lines.append(f"      {item.how_to}")
    return lines


def _warnings(decision: Decision, ruleset: RuleSet) -> list[str]:
    shown, left_out = shown_warnings(decision, ruleset)
    lines = ["Warnings:"] if shown else []
    lines += [f"  - {w.severity.upper()}: {w.message} [{w.code}]" for w in shown]
    if left_out:
        noun = "piece" if left_out == 1 else "pieces"
        lines.append(
            f"  ({left_out} {noun} of advice on how to massage will be shown once a "
            "technique is allowed; --json lists every warning)"
        )
    return lines


def summary(decision: Decision, ruleset: RuleSet) -> str:
    """The ``evaluate`` summary of ``decision`` (made with ``ruleset``)."""
    lines = [_verdict_line(decision), f"Referral: {decision.referral.level}"]
    if not decision.verified:
        lines.insert(0, UNVERIFIED)
    lines += [f"  - {r.message} [{r.rule_id}]" for r in decision.referral.reasons]
    lines += _allowed(decision)
    lines += _blocked(decision, ruleset)
    lines += _warnings(decision, ruleset)
    lines += _questions(decision, ruleset.pack.fields)
    if decision.complementary_therapies:  # a pack's catalogue may hold none
        lines.append("Complementary therapies to discuss with a clinician:")
        lines += [f"  - {t.name}: {t.note}" for t in decision.complementary_therapies]
    lines.append(f"Rule set: {decision.ruleset_version}")
    return "\n".join(lines) + "\n"


def _effects(rule: Rule, ruleset: RuleSet) -> str:
    effects = []
    if rule.block:
        everything = rule.block == frozenset(ruleset.technique_ids)
        effects.append(
            "block " + ("all techniques" if everything else ", ".join(sorted(rule.block)))
        )
    if rule.refer:
        effects.append(f"refer {rule.refer}")
    if rule.verdict:
        effects.append(f"verdict {rule.verdict}")
    if rule.warn:
        effects.append(f"warn {rule.warn.severity} '{rule.warn.code}'")
    if rule.ask:
        effects.append("ask " + ", ".join(rule.ask))
    return "; ".join(effects)


def explanation(decision: Decision, ruleset: RuleSet) -> str:
    """The ``explain`` text: the decision in short, then every fired rule."""
    lines = [_verdict_line(decision), f"Referral: {decision.referral.level}"]
    allowed = ", ".join(t.technique for t in decision.allowed_techniques) or "none"
    lines.append(f"Allowed techniques: {allowed}")
    lines += _questions(decision, ruleset.pack.fields)
    lines.append(f"Fired rules ({len(decision.fired_rules)}):")
    for rule_id in decision.fired_rules:
        rule = ruleset.rule(rule_id)
        lines.append(f"  {rule.id}  ({rule.file}:{rule.line})")
        lines.append(f"    {rule.description}")
        lines.append(f"    when:    {' '.join(rule.when.split())}")
        lines.append(f"    effects: {_effects(rule, ruleset)}")
        source = f"{rule.source.document}, {rule.source.section}" if rule.source else "(none given)"
        lines.append(f"    source:  {source}")
    lines.append(f"Rule set: {decision.ruleset_version}")
    return "\n".join(lines) + "\n"


# --- what would change the verdict ------------------------------------------------------------


def _action_text(change: FieldChange, specs: Mapping[str, FieldSpec]) -> str:
    spec = specs[change.field]
    value = change.after if not isinstance(change.after, bool) else str(change.after).lower()
    return (spec.action or f"set {change.field} to {{value}}").format(value=value)


def _what_if(changes: Sequence[FieldChange]) -> str:
    parts = [f"{c.field} were {c.after_text} instead of {c.before_text}" for c in changes]
    return "if " + " and ".join(parts)


def counterfactuals_text(
    found: Counterfactuals | Sequence[Counterfactual], specs: Mapping[str, FieldSpec]
) -> list[str]:
    """The two 'what would change the verdict' sections of ``explain`` (``specs``: the pack's)."""
    actions = [c for c in found if c.kind == "action"]
    facts = [c for c in found if c.kind == "health"]
    lines = ["What you can do:"]
    questions: list[str] = []
    for item in actions:
        answers = [c for c in item.changes if c.is_answer]
        for change in answers:
            if change.field not in questions:
                questions.append(change.field)
        others = [c for c in item.changes if not c.is_answer]
        if others and not answers:
            lines.append(
                "  - "
                + ", and ".join(_action_text(c, specs) for c in others)
                + f" => {item.verdict}"
            )
    lines += [
        f"  - answer: {specs[name].question or name} [{name}] (your answer can change the verdict)"
        for name in questions
    ]
    if len(lines) == 1:
        lines.append("  nothing you can do yourself would change the verdict")
    lines.append("What would change this (for clinicians: health facts, not things to do):")
    lines += [f"  - {_what_if(item.changes)} => {item.verdict}" for item in facts]
    if not facts:
        lines.append("  no change of one or two health facts changes the verdict")
    return lines


def counterfactuals_left_out(reason: SpaceTooLargeError) -> list[str]:
    """The 'what would change the verdict' part of ``explain`` when there are too many to try."""
    return ["What would change the verdict:", f"  left out: {reason}"]

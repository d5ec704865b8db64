"""A Decision as a CDS Hooks card: summary, indicator, Markdown detail, source.

The words are :mod:`neurotriage._plain`'s, the same as ``neurotriage
evaluate`` prints; only the layout (Markdown) is this module's.

* ``summary``: the verdict in plain words, at most 140 characters (the CDS
  Hooks limit), whatever the pack;
* ``indicator``: ``critical`` for ``stop`` and ``see_doctor`` and for any
  urgent referral, ``warning`` for ``needs_clearance``, ``needs_answers``
  and ``consult_first``, ``info`` for ``proceed``;
* ``detail``: who to see and why, the allowed techniques with their how-to,
  the blocked ones with every reason, the warnings, the open questions as the
  pack asks them, where the records disagreed, complementary therapies;
* ``source``: the pack's title and version, and its ``url`` where it has one.

Every text that comes from outside the code (a pack's messages, a FHIR
record's words in a conflict) is escaped, so it shows as written and can add
no link, image or HTML to the card.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from neurotriage._plain import (
    UNVERIFIED,
    URGENT_TEXT,
    VERDICT_TEXT,
    blocked_reasons,
    question_text,
    shown_warnings,
)
from neurotriage.decision import Decision, Reason, Verdict
from neurotriage.ruleset import RuleSet
from neurotriage.server._models import Card, CardSource, Indicator, Suggestion

__all__ = ["INDICATORS", "MAX_SUMMARY", "card", "detail", "indicator", "summary"]

#: The CDS Hooks limit on a card's summary.
MAX_SUMMARY = 140

#: The card indicator of each verdict (an urgent referral is always critical).
INDICATORS: Mapping[Verdict, Indicator] = {
    "stop": "critical",
    "see_doctor": "critical",
    "needs_clearance": "warning",
    "needs_answers": "warning",
    "consult_first": "warning",
    "proceed": "info",
}

_UNVERIFIED_PREFIX = "UNVERIFIED RULES: "
#: The characters that could make text emphasis, code, a link, an image, HTML or a table.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>&|~])")


@functools.lru_cache(maxsize=4096)  # a pack's texts repeat from card to card
def _escaped(text: str) -> str:
    """``text`` as literal Markdown: special characters escaped, one line."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def _code(text: str) -> str:
    """An identifier (rule id, field name) as inline code."""
    return "`" + text.replace("`", "'") + "`"


def indicator(decision: Decision) -> Indicator:
    """The card's indicator for ``decision``."""
    if decision.referral.level == "urgent":
        return "critical"
    return INDICATORS[decision.verdict]


def summary(decision: Decision) -> str:
    """The verdict in plain words, capitalised: at most 140 characters."""
    words = URGENT_TEXT if decision.referral.level == "urgent" else VERDICT_TEXT[decision.verdict]
    text = words[0].upper() + words[1:] + "."
    if not decision.verified:
        text = _UNVERIFIED_PREFIX + text
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 3] + "..."


def _reason(reason: Reason) -> str:
    return f"{_escaped(reason.message)} ({_code(reason.rule_id)})"


def _referral(decision: Decision) -> list[str]:
    if not decision.referral.reasons:
        return []
    lines = [f"**Who to see** (referral {_code(decision.referral.level)})", ""]
    lines += [
        f"- {_escaped(r.message)} ({_code(r.rule_id)}, {_code(r.level)})"
        for r in decision.referral.reasons
    ]
    return [*lines, ""]


def _allowed(decision: Decision) -> list[str]:
    if not decision.allowed_techniques:
        return ["**Allowed techniques:** none", ""]
    lines = ["**Allowed techniques**", ""]
    lines += [
        f"- **{_escaped(item.name)}** ({_code(item.technique)}): {_escaped(item.area)}, "
        f"{item.pressure_ceiling} pressure at most. {_escaped(item.how_to)}"
        for item in decision.allowed_techniques
    ]
    return [*lines, ""]


def _blocked(decision: Decision, rules: RuleSet) -> list[str]:
    blocked = decision.blocked_techniques
    if not blocked:
        return []
    shared, own_reasons = blocked_reasons(decision, rules)
    lines = ["**Blocked techniques**", ""]
    if shared:
        lines.append(f"Every technique ({len(blocked)}) is blocked, because:")
        lines.append("")
        lines += [f"- {_reason(reason)}" for reason in shared]
    for item, own in own_reasons:
        also = " is also blocked, because:" if shared else ""
        lines.append(f"- **{_escaped(item.name)}** ({_code(item.technique)}){also}")
        lines += [f"  - {_reason(reason)}" for reason in own]
    return [*lines, ""]


def _warnings(decision: Decision, rules: RuleSet) -> list[str]:
    shown, left_out = shown_warnings(decision, rules)
    if not shown:
        return []
    lines = ["**Warnings**", ""]
    lines += [f"- **{w.severity.upper()}**: {_escaped(w.message)} ({_code(w.code)})" for w in shown]
    if left_out:
        noun = "piece" if left_out == 1 else "pieces"
        lines.append(
            f"- ({left_out} {noun} of advice on how to massage left out until a technique "
            "is allowed)"
        )
    return [*lines, ""]


def _questions(decision: Decision, rules: RuleSet) -> list[str]:
    if not decision.questions:
        return []
    lines = ["**Open questions** (each answer can change the decision)", ""]
    lines += [
        f"- {_escaped(question_text(name, rules.pack.fields))} ({_code(name)})"
        for name in decision.questions
    ]
    return [*lines, ""]


def _conflicts(conflicts: Sequence[str]) -> list[str]:
    if not conflicts:
        return []
    lines = ["**The records disagree** (the riskier reading was taken)", ""]
    lines += [f"- {_escaped(conflict)}" for conflict in conflicts]
    return [*lines, ""]


def _therapies(decision: Decision) -> list[str]:
    if not decision.complementary_therapies:
        return []
    lines = ["**Complementary therapies to discuss**", ""]
    lines += [
        f"- **{_escaped(t.name)}**: {_escaped(t.note)}" for t in decision.complementary_therapies
    ]
    return [*lines, ""]


def detail(decision: Decision, rules: RuleSet, conflicts: Sequence[str] = ()) -> str:
    """The card's Markdown: everything a clinician needs to read, in the order they need it."""
    words = VERDICT_TEXT[decision.verdict]
    lines = []
    if not decision.verified:
        lines += [f"**{_escaped(UNVERIFIED)}**", ""]
    lines += [f"**Verdict: {_code(decision.verdict)}**: {words}.", ""]
    lines += _referral(decision)
    lines += _allowed(decision)
    lines += _blocked(decision, rules)
    lines += _warnings(decision, rules)
    lines += _questions(decision, rules)
    lines += _conflicts(conflicts)
    lines += _therapies(decision)
    lines.append(f"Rules: {_code(decision.ruleset_version)}")
    return "\n".join(lines) + "\n"


def card(
    decision: Decision,
    rules: RuleSet,
    *,
    card_id: str,
    conflicts: Sequence[str] = (),
    suggestions: Sequence[Suggestion] = (),
) -> Card:
    """The one card of ``decision`` (``card_id``: its uuid, also the decision log's id)."""
    pack = rules.pack
    source: dict[str, Any] = {"label": f"{pack.title} {pack.version}"}
    if pack.url:
        source["url"] = pack.url
    return Card(
        uuid=card_id,
        summary=summary(decision),
        indicator=indicator(decision),
        detail=detail(decision, rules, conflicts),
        source=CardSource(**source),
        suggestions=tuple(suggestions) or None,
        selectionBehavior="at-most-one" if suggestions else None,
    )

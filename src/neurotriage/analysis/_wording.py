"""The wording two rule sets differ in: every text and catalogue entry, compared once.

What people read (how-tos, therapies, warning messages, the rule descriptions
that become reasons and referral messages, sources) and the invariants change
no class of the input space, so the class-by-class diff cannot see them. They
are compared here item by item, each shown with its old and new text and
never judged: only a person can tell whether a text got less safe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from neurotriage.language import render
from neurotriage.ruleset import RuleSet, Source

__all__ = ["WordingChange", "wording"]


@dataclass(frozen=True)
class WordingChange:
    """A text or catalogue entry that differs: ``item`` went from ``before`` to ``after``.

    ``before`` is None for an entry the new rule set adds, ``after`` None for
    one it removes. diff cannot judge text, so no wording change is less safe
    by itself: a person must read every one.
    """

    item: str
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        """``"added"``, ``"removed"`` or ``"changed"``."""
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.item}: added {_quoted(self.after)}"
        if self.after is None:
            return f"{self.item}: removed {_quoted(self.before)}"
        return f"{self.item}: {_quoted(self.before)} -> {_quoted(self.after)}"

    def as_dict(self) -> dict[str, str | None]:
        """The change as JSON-ready data (null for the side where the entry is missing)."""
        return {"item": self.item, "before": self.before, "after": self.after}


def _quoted(text: str | None) -> str:
    """``text`` in double quotes, with every space and line break it holds visible."""
    return json.dumps(text, ensure_ascii=False)


#: Attributes the class-by-class diff already shows where a decision can show them,
#: by the aspect it names them with.
_PER_CLASS = {"pressure_ceiling": "pressure ceiling", "severity": "severity"}

#: A rule set's texts: sections, each {entity: {attribute: text}}, in report order.
_Texts = tuple[dict[str, dict[str, str]], ...]


def _declared(version: str) -> str:
    """The version a rule set declares, without the digest of its files load_rules() adds."""
    declared, plus, _ = version.rpartition("+")
    return declared if plus else version


def _listed(ids: frozenset[str]) -> str:
    """Ids in sorted order, comma-separated."""
    return ", ".join(sorted(ids))


def _with_source(texts: dict[str, str], source: Source | None) -> dict[str, str]:
    """``texts`` with the document and section of ``source`` (if there is one) added."""
    if source is not None:
        texts["source document"] = source.document
        texts["source section"] = source.section
    return texts


def _texts(rules: RuleSet) -> _Texts:
    """Everything of ``rules`` that no class shows, section by section.

    Its declared version, the catalogue's texts, each warning code's message
    and severity, each rule's description, each invariant, and every source.
    """
    techniques = {
        f"technique {t.id}": _with_source(
            {
                "name": t.name,
                "area": t.area,
                "how_to": t.how_to,
                "pressure_ceiling": t.pressure_ceiling,
            },
            t.source,
        )
        for t in rules.techniques
    }
    therapies = {
        f"therapy {t.id}": _with_source(
            {"name": t.name, "description": t.description, "note": t.note}, t.source
        )
        for t in rules.therapies
    }
    warnings: dict[str, dict[str, str]] = {}
    for rule in rules.rules:  # the loader holds every code to one message and severity
        if rule.warn is not None:
            warnings.setdefault(
                f"warning {rule.warn.code}",
                {"message": rule.warn.message, "severity": rule.warn.severity},
            )
    descriptions = {
        f"rule {rule.id}": _with_source({"description": rule.description}, rule.source)
        for rule in rules.rules
    }
    invariants = {}
    for invariant in rules.invariants:
        texts = {"description": invariant.description, "when": render(invariant.condition)}
        if invariant.allowed_only is not None:
            only = invariant.allowed_only
            texts["allowed"] = f"only {_listed(only)}" if only else "none"
        if invariant.not_allowed:
            texts["not_allowed"] = _listed(invariant.not_allowed)
        if invariant.referral_at_least is not None:
            texts["referral_at_least"] = invariant.referral_at_least
        if invariant.verdict_in is not None:
            texts["verdict_in"] = _listed(invariant.verdict_in)
        if invariant.warns:
            texts["warns"] = _listed(invariant.warns)
        invariants[f"invariant {invariant.id}"] = _with_source(texts, invariant.source)
    version = {"version": {"": _declared(rules.version)}}
    pack = rules.pack
    declared = {"pack": {"id": pack.id, "version": pack.version, "title": pack.title}}
    if pack.url is not None:
        declared["pack"]["url"] = pack.url
    for name, spec in pack.fields.items():  # red flags, risk and relaxing: see _pack_diff
        declared[f"field {name}"] = {
            "description": spec.description,
            "question": spec.question,
            "actionable": str(spec.actionable).lower(),
        }
    return version, declared, techniques, therapies, warnings, descriptions, invariants


def wording(old: RuleSet, new: RuleSet, shown: set[str]) -> tuple[WordingChange, ...]:
    """Every text that differs, old entries in their order and then the new ones.

    ``shown`` holds the aspects some class already shows (a pressure ceiling or
    a severity that changed where a decision can show it); they are not repeated.
    """
    found = []
    for was, now in zip(_texts(old), _texts(new), strict=True):
        for entity in [*was, *(e for e in now if e not in was)]:
            before, after = was.get(entity, {}), now.get(entity, {})
            for attribute in [*before, *(a for a in after if a not in before)]:
                if attribute in _PER_CLASS and f"{entity} {_PER_CLASS[attribute]}" in shown:
                    continue
                text, then = before.get(attribute), after.get(attribute)
                if text != then:
                    item = f"{entity} {attribute}" if attribute else entity
                    found.append(WordingChange(item, text, then))
    return tuple(found)

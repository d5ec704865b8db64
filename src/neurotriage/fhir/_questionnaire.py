"""questionnaire(): an R4 Questionnaire (SDC style) for the questions a decision still has open.

Each item's ``linkId`` is the field name, its ``text`` the field's question,
its ``type`` from the field's kind: ``boolean``, ``integer`` (with SDC
``minValue``/``maxValue``), ``choice`` with one ``answerOption`` per value of
the pack, and, for a list of names, a repeating ``open-choice`` whose one
option is ``none`` (the names themselves are typed, as ``valueString``).
A QuestionnaireResponse to it comes back through ``profile_from_fhir``.
"""

from __future__ import annotations

import re
from typing import Any

from neurotriage.decision import Decision
from neurotriage.fhir._evidence import NONE_CODE
from neurotriage.fhir._profile import questionnaire_url
from neurotriage.fields import FieldSpec
from neurotriage.loading import default_rules
from neurotriage.ruleset import RuleSet

__all__ = ["questionnaire"]

_SDC_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_SDC_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"


def _computable_name(pack_id: str) -> str:
    """A FHIR computable name (``[A-Z][A-Za-z0-9_]*``) from a pack id."""
    words = [word for word in re.split(r"[^A-Za-z0-9]+", pack_id) if word]
    name = "".join(word[:1].upper() + word[1:] for word in words)
    return name if name[:1].isalpha() else f"Pack{name}"


def _item(spec: FieldSpec) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": spec.name,
        "text": spec.question or spec.description or spec.name,
    }
    if spec.kind == "bool":
        item["type"] = "boolean"
    elif spec.kind == "int":
        item["type"] = "integer"
        bounds = [(_SDC_MIN, spec.low), (_SDC_MAX, spec.high)]
        extensions = [{"url": url, "valueInteger": v} for url, v in bounds if v is not None]
        if extensions:
            item["extension"] = extensions
    elif spec.kind == "enum":
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": {"code": value, "display": value.replace("_", " ")}}
            for value in spec.values
        ]
    else:
        item["type"] = "open-choice"
        item["repeats"] = True
        item["answerOption"] = [{"valueCoding": {"code": NONE_CODE, "display": "None"}}]
    return item


def questionnaire(
    decision_or_rules: Decision | RuleSet, *, rules: RuleSet | None = None
) -> dict[str, Any]:
    """An R4 Questionnaire, as a JSON-able dict, for the questions still open.

    Given a :class:`~neurotriage.Decision`, it asks ``decision.questions``,
    read from ``rules`` (default: the built-in pack), which must be the rule
    set that made the decision. Given a :class:`~neurotriage.RuleSet`, it
    asks every field that has a question. ``url`` and ``name`` come from the
    pack's id, ``version`` is the pack's version.
    """
    if isinstance(decision_or_rules, RuleSet):
        if rules is not None and rules is not decision_or_rules:
            raise ValueError("questionnaire(rules_a, rules=rules_b): give the rule set once")
        rules = decision_or_rules
        asked = [name for name, spec in rules.pack.fields.items() if spec.question]
    elif isinstance(decision_or_rules, Decision):
        if rules is None:
            rules = default_rules()
        elif not isinstance(rules, RuleSet):
            raise TypeError(f"rules must be a RuleSet, not {type(rules).__name__}")
        if decision_or_rules.ruleset_version != rules.version:
            raise ValueError(
                f"the decision was made by the rule set {decision_or_rules.ruleset_version}, "
                f"not by {rules.version}: pass the rules that made it as rules="
            )
        asked = list(decision_or_rules.questions)
    else:
        raise TypeError(
            f"questionnaire() takes a Decision or a RuleSet, not {type(decision_or_rules).__name__}"
        )
    pack = rules.pack
    result: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": questionnaire_url(rules),
        "version": pack.version,
        "name": _computable_name(pack.id),
        "title": pack.title,
        "status": "active",
        "subjectType": ["Patient"],
    }
    items = [_item(pack.fields[name]) for name in asked]
    if items:  # FHIR JSON has no empty arrays
        result["item"] = items
    return result

"""profile_from_fhir(): the pack's profile from FHIR resources, with its sources and conflicts.

The safety rule: a field no resource answers stays unknown (``None``, or
its default for a field that always has a value), so it is asked. Only an
explicit answer, or a refuted or resolved Condition whose code covers the
whole field, says no. Where resources disagree, the riskier value is taken
and a sentence in ``conflicts`` says so.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from neurotriage.fhir._errors import FhirError
from neurotriage.fhir._evidence import Evidence, evidence_of, name_key
from neurotriage.fhir._resources import read_resources
from neurotriage.fhir._subject import check_one_subject
from neurotriage.fields import FieldSpec
from neurotriage.loading import default_rules
from neurotriage.ruleset import RuleSet

__all__ = ["FhirProfile", "profile_from_fhir", "questionnaire_url"]


@dataclass(frozen=True)
class FhirProfile:
    """A profile read from FHIR, and where each of its answers came from.

    ``profile`` is an instance of the pack's model, validated. ``sources``
    maps each answered field to the references of the resources its value
    came from (``"Condition/c1"``); a field nothing answered is absent.
    ``conflicts`` holds one sentence per field where the resources disagreed,
    saying which value was taken (the riskier one) and from what.
    """

    profile: BaseModel
    sources: Mapping[str, tuple[str, ...]]
    conflicts: tuple[str, ...] = ()


def questionnaire_url(rules: RuleSet) -> str:
    """The canonical URL of the pack's Questionnaire (and of the answers to it)."""
    return f"urn:neurotriage:questionnaire:{rules.pack.id}"


def _shown(value: Any) -> str:
    """A value as a sentence says it: yes or no, a number, a name, a list of names."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return str(value)


def _riskiest(spec: FieldSpec, values: Sequence[Any]) -> Any:
    """The riskiest of known ``values``: the union of lists, False for a relaxing field."""
    if spec.kind == "list":
        union: dict[str, str] = {}
        for value in values:
            for name in value:
                union.setdefault(name_key(name), name)
        return list(union.values())
    if spec.relaxing:
        return min(values, key=bool)
    return max(values, key=spec.risk_rank)


def _same(spec: FieldSpec, one: Any, other: Any) -> bool:
    if spec.kind == "list":
        return {name_key(n) for n in one} == {name_key(n) for n in other}
    return bool(one == other)


def _latest(found: list[Evidence]) -> list[Evidence]:
    """Observations: only the newest count (and any undated one, which cannot be placed)."""
    dated = [e.when for e in found if e.observed and e.when is not None]
    newest = max(dated) if dated else None
    return [e for e in found if not e.observed or e.when is None or e.when == newest]


def _decided(spec: FieldSpec, found: list[Evidence]) -> tuple[Any, tuple[str, ...], str | None]:
    """The value taken for one field, the resources it came from, and the conflict sentence."""
    found = _latest(found)
    taken = _riskiest(spec, [e.value for e in found])
    agreeing = [e for e in found if spec.kind == "list" or _same(spec, e.value, taken)]
    sources = tuple(dict.fromkeys(e.ref for e in agreeing))
    if all(_same(spec, e.value, found[0].value) for e in found):
        return taken, sources, None
    said = ", ".join(f"{e.ref} ({e.how}) says {_shown(e.value)}" for e in found)
    why = "all of them together, the riskier value" if spec.kind == "list" else "the riskier value"
    sentence = (
        f"The records disagree about {spec.name}: {said}. "
        f"Taken: {_shown(taken)} (from {', '.join(sources)}), because it is {why}."
    )
    return taken, sources, sentence


def profile_from_fhir(resources: object, *, rules: RuleSet | None = None) -> FhirProfile:
    """The pack's profile from a FHIR R4 Bundle (or an iterable of resources).

    ``resources`` is a Bundle (a dict of FHIR JSON, or a fhir.resources
    model), one resource, or an iterable of resources (dicts or models).
    ``rules`` picks the pack (default: the built-in one, whose model is
    :class:`~neurotriage.Profile`). Active Conditions answer fields through
    the code tables, the newest final pain Observation answers
    ``pain_level``, and a completed QuestionnaireResponse answers any field
    by ``linkId`` = field name. Patient resources, and resources of other
    types, are read for validity only. Bad FHIR raises :class:`FhirError`
    naming the resource and the element.
    """
    if rules is None:
        rules = default_rules()
    elif not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    fields = rules.pack.fields
    url = questionnaire_url(rules)
    by_field: dict[str, list[Evidence]] = {}
    read = read_resources(resources)
    check_one_subject(read)
    for resource in read:
        for evidence in evidence_of(resource, fields, url):
            by_field.setdefault(evidence.field, []).append(evidence)
    values: dict[str, Any] = {}
    sources: dict[str, tuple[str, ...]] = {}
    conflicts: list[str] = []
    for name, spec in fields.items():  # in field order
        if name not in by_field:
            continue
        values[name], sources[name], conflict = _decided(spec, by_field[name])
        if conflict is not None:
            conflicts.append(conflict)
    try:
        profile = rules.pack.validate(values)
    except ValidationError as error:
        # every value was checked against its field already; what is left is the model's
        # own check of a value (a list's items, say): name the resources that gave it
        first = error.errors(include_url=False)[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        where = ", ".join(sources.get(name, ())) or "the input"
        raise FhirError(where, [(name or None, first["msg"])]) from None
    return FhirProfile(profile, types.MappingProxyType(sources), tuple(conflicts))

"""What each resource says about the pack's fields: one piece of evidence per field it answers.

Conditions answer through the code table (``_codes``), pain Observations
through the Observation table, a QuestionnaireResponse by ``linkId`` = field
name. The elements read here are checked strictly (JSON types, the field's
domain), since fhir.resources' models coerce (``"8"`` passes as an integer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from neurotriage._names import normalise_name
from neurotriage.fhir._codes import (
    SEVERITY,
    applies,
    condition_codes,
    matches,
    observation_codes,
)
from neurotriage.fhir._errors import problem
from neurotriage.fhir._resources import Resource
from neurotriage.fields import FieldSpec

__all__ = ["Evidence", "evidence_of", "name_key"]

SNOMED = "http://snomed.info/sct"
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_GONE = frozenset({"inactive", "remission", "resolved"})
_VERIFIED = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
#: Observation statuses whose value counts (the others are not a result yet, or withdrawn).
_RESULT = frozenset({"final", "amended", "corrected"})
#: QuestionnaireResponse statuses whose answers count.
_ANSWERED = frozenset({"completed", "amended"})
#: The one coded answer to a list question: "none" (the empty list).
NONE_CODE = "none"


@dataclass(frozen=True)
class Evidence:
    """One resource's answer for one field."""

    field: str
    value: Any
    ref: str
    #: what the resource is, for the conflict sentence ("an active Condition")
    how: str
    #: an Observation's time (``None``: not an Observation, or undated)
    when: dt.datetime | None = None
    observed: bool = False


def name_key(name: str) -> str:
    """A list item as compared: its normal form, where it has one."""
    try:
        return normalise_name(name)
    except ValueError:
        return name


def _coded(concept: object) -> list[tuple[int, str | None, str]]:
    """The ``(index, system, code)`` of each coding of a CodeableConcept that has a code."""
    if not isinstance(concept, Mapping):
        return []
    codings = concept.get("coding") or []
    return [
        (index, coding.get("system"), coding["code"])
        for index, coding in enumerate(codings)
        if isinstance(coding, Mapping) and isinstance(coding.get("code"), str)
    ]


def _status(resource: Resource, element: str, system: str, allowed: frozenset[str]) -> str | None:
    """The code of a Condition's clinicalStatus or verificationStatus (``None``: not coded)."""
    codes = [
        (index, code)
        for index, coding_system, code in _coded(resource.data.get(element))
        if coding_system in (system, None)
    ]
    for index, code in codes:
        if code not in allowed:
            raise problem(
                resource.ref,
                f"{element}.coding[{index}].code",
                f"{code!r} is not a code of {system} (one of {', '.join(sorted(allowed))})",
            )
    if len({code for _, code in codes}) > 1:
        raise problem(
            resource.ref, element, f"gives two codes at once: {', '.join(c for _, c in codes)}"
        )
    return codes[0][1] if codes else None


def _severity(resource: Resource, spec: FieldSpec) -> str | None:
    """Condition.severity as one of the field's values, when it says one by SNOMED CT code."""
    found = {
        SEVERITY[code]
        for _, system, code in _coded(resource.data.get("severity"))
        if system == SNOMED and code in SEVERITY and SEVERITY[code] in spec.values
    }
    if len(found) > 1:
        raise problem(resource.ref, "severity", f"gives two severities at once: {sorted(found)}")
    return found.pop() if found else None


def _condition(resource: Resource, fields: Mapping[str, FieldSpec]) -> Iterator[Evidence]:
    verification = _status(resource, "verificationStatus", _VERIFICATION, _VERIFIED)
    clinical = _status(resource, "clinicalStatus", _CLINICAL, _ACTIVE | _GONE)
    if verification == "entered-in-error":
        return
    codings = _coded(resource.data.get("code"))
    rows = [
        row
        for row in condition_codes()
        if applies(fields.get(row.field))
        and any(matches(row, system, code) for _, system, code in codings)
    ]
    done: set[str] = set()
    for row in rows:
        if row.field in done:
            continue
        spec = fields[row.field]
        same = [r for r in rows if r.field == row.field]
        done.add(row.field)
        # a record says no only if every coding of it that names the field covers the whole
        # field: the codings of one concept are translations, and the narrowest one counts
        if verification == "refuted":
            if spec.kind == "bool" and all(r.says_no != "never" for r in same):
                yield Evidence(row.field, False, resource.ref, "a refuted Condition")
        elif clinical in _GONE:
            if spec.kind == "bool" and all(r.says_no == "refuted-or-resolved" for r in same):
                yield Evidence(row.field, False, resource.ref, _HOW[clinical])
        elif spec.kind == "bool":
            # active, recurrence, relapse, or no clinicalStatus at all: the riskier reading
            yield Evidence(row.field, True, resource.ref, _condition_how(clinical, verification))
        elif (severity := _severity(resource, spec)) is not None:
            yield Evidence(
                row.field, severity, resource.ref, _condition_how(clinical, verification)
            )


_HOW = {
    "active": "an active Condition",
    "recurrence": "a recurring Condition",
    "relapse": "a relapsed Condition",
    "inactive": "an inactive Condition",
    "remission": "a Condition in remission",
    "resolved": "a resolved Condition",
    None: "a Condition with no clinicalStatus",
}


def _condition_how(clinical: str | None, verification: str | None) -> str:
    shown = f" ({verification})" if verification and verification != "confirmed" else ""
    return _HOW[clinical] + shown


def _datetime(resource: Resource, element: str, text: object) -> dt.datetime | None:
    """A FHIR date, dateTime or instant as an aware datetime (the start of a partial one)."""
    if not isinstance(text, str):
        return None
    padded = text
    if len(text) == 4:
        padded = f"{text}-01-01"
    elif len(text) == 7:
        padded = f"{text}-01"
    try:
        moment = dt.datetime.fromisoformat(padded.replace("Z", "+00:00"))
    except ValueError:
        raise problem(resource.ref, element, f"{text!r} is not a FHIR dateTime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _observed_at(resource: Resource) -> dt.datetime | None:
    data = resource.data
    for element in ("effectiveDateTime", "effectiveInstant"):
        if element in data:
            return _datetime(resource, element, data[element])
    period = data.get("effectivePeriod")
    if isinstance(period, Mapping):
        for end in ("end", "start"):
            if end in period:
                return _datetime(resource, f"effectivePeriod.{end}", period[end])
    if "issued" in data:
        return _datetime(resource, "issued", data["issued"])
    return None


def _in_bounds(ref: str, element: str, value: int, spec: FieldSpec) -> int:
    if spec.low is not None and value < spec.low:
        raise problem(ref, element, f"{value} is below {spec.low}")
    if spec.high is not None and value > spec.high:
        raise problem(ref, element, f"{value} is above {spec.high}")
    return value


def _observation_value(resource: Resource, spec: FieldSpec) -> int | None:
    data = resource.data
    if "valueInteger" in data:
        value = data["valueInteger"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise problem(resource.ref, "valueInteger", f"{value!r} is not an integer")
        return _in_bounds(resource.ref, "valueInteger", value, spec)
    if "valueQuantity" in data:
        quantity = data["valueQuantity"]
        if not isinstance(quantity, Mapping):
            raise problem(resource.ref, "valueQuantity", "a Quantity is an object")
        if "comparator" in quantity:  # "> 4" is no score of its own
            raise problem(
                resource.ref, "valueQuantity.comparator", "a score is a value, not a bound"
            )
        number = quantity.get("value")
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise problem(resource.ref, "valueQuantity.value", f"{number!r} is not a whole number")
        if not float(number).is_integer():
            raise problem(resource.ref, "valueQuantity.value", f"{number!r} is not a whole number")
        return _in_bounds(resource.ref, "valueQuantity.value", int(number), spec)
    other = next((key for key in data if key.startswith("value")), None)
    if other is not None:
        raise problem(
            resource.ref, other, f"a {spec.name} score is a valueInteger (or valueQuantity)"
        )
    return None  # no value (dataAbsentReason): it says nothing


def _observation(resource: Resource, fields: Mapping[str, FieldSpec]) -> Iterator[Evidence]:
    if resource.data.get("status") not in _RESULT:
        return
    codings = _coded(resource.data.get("code"))
    for row in observation_codes():
        spec = fields.get(row.field)
        if spec is None or spec.kind != "int":
            continue
        if not any(system == row.system and code == row.code for _, system, code in codings):
            continue
        value = _observation_value(resource, spec)
        if value is not None:
            when = _observed_at(resource)
            how = "a pain Observation" if row.field == "pain_level" else "an Observation"
            yield Evidence(row.field, value, resource.ref, how, when, observed=True)


def _answer_value(ref: str, element: str, answer: Mapping[str, Any], spec: FieldSpec) -> Any:
    """One answer as a value of the field; FhirError when it cannot be one."""
    given = [key for key in answer if key.startswith("value")]
    if len(given) != 1:
        raise problem(ref, element, "an answer holds exactly one value[x]")
    key = given[0]
    value = answer[key]
    where = f"{element}.{key}"
    if spec.kind == "bool" and key == "valueBoolean" and isinstance(value, bool):
        return value
    if spec.kind == "int" and key == "valueInteger":
        if isinstance(value, int) and not isinstance(value, bool):
            return _in_bounds(ref, where, value, spec)
        raise problem(ref, where, f"{value!r} is not an integer")
    if spec.kind in ("enum", "list") and key in ("valueCoding", "valueString"):
        text = value.get("code") if key == "valueCoding" and isinstance(value, Mapping) else value
        where = f"{where}.code" if key == "valueCoding" else where
        if not isinstance(text, str):
            raise problem(ref, where, "a choice is answered by a code or a string")
        if spec.kind == "enum":
            if text not in spec.values:
                raise problem(
                    ref, where, f"{text!r} is not one of {', '.join(spec.values)} ({spec.name})"
                )
            return text
        if key == "valueCoding" and text != NONE_CODE:
            raise problem(ref, where, f"the only code for {spec.name} is {NONE_CODE!r}")
        return None if key == "valueCoding" else text
    expected = {
        "bool": "valueBoolean",
        "int": "valueInteger",
        "enum": "valueCoding or valueString",
        "list": "valueString (or valueCoding 'none')",
    }[spec.kind]
    raise problem(ref, where, f"{spec.name} is answered by {expected}")


def _answers(ref: str, element: str, item: Mapping[str, Any], spec: FieldSpec) -> Any:
    """The value of a QuestionnaireResponse item (``None``: no answer given)."""
    answers = item.get("answer") or []
    if not answers:
        return None
    if spec.kind != "list":
        if len(answers) > 1:
            raise problem(
                ref, f"{element}.answer", f"{spec.name} takes one answer, not {len(answers)}"
            )
        return _answer_value(ref, f"{element}.answer[0]", answers[0], spec)
    names = [_answer_value(ref, f"{element}.answer[{i}]", a, spec) for i, a in enumerate(answers)]
    if None in names and len(names) > 1:
        raise problem(
            ref, f"{element}.answer", f"'{NONE_CODE}' is the only answer when it is given"
        )
    for index, name in enumerate(names):
        if name is not None:
            try:
                normalise_name(name, subject="the name")
            except ValueError as error:
                raise problem(ref, f"{element}.answer[{index}].valueString", str(error)) from None
    return [name for name in names if name is not None]


def _items(items: object, element: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every item of a QuestionnaireResponse, nested ones included, with its FHIR path."""
    for index, item in enumerate(items if isinstance(items, list) else []):
        path = f"{element}[{index}]"
        yield path, item
        yield from _items(item.get("item"), f"{path}.item")
        for number, answer in enumerate(item.get("answer") or []):
            yield from _items(answer.get("item"), f"{path}.answer[{number}].item")


def _questionnaire_response(
    resource: Resource, fields: Mapping[str, FieldSpec], ours: str
) -> Iterator[Evidence]:
    data = resource.data
    if data.get("status") not in _ANSWERED:
        return
    canonical = data.get("questionnaire")
    strict = isinstance(canonical, str) and canonical.partition("|")[0] == ours
    for path, item in _items(data.get("item"), "item"):
        link = item.get("linkId")
        spec = fields.get(link) if isinstance(link, str) else None
        if spec is None:
            if strict and item.get("answer"):
                raise problem(resource.ref, f"{path}.linkId", f"{link!r} is no question of {ours}")
            continue
        value = _answers(resource.ref, path, item, spec)
        if value is not None:
            yield Evidence(spec.name, value, resource.ref, "an answer")


def evidence_of(
    resource: Resource, fields: Mapping[str, FieldSpec], questionnaire_url: str
) -> Iterator[Evidence]:
    """What ``resource`` says about the fields (nothing, for a Patient or an unrelated type)."""
    if resource.type == "Condition":
        yield from _condition(resource, fields)
    elif resource.type == "Observation":
        yield from _observation(resource, fields)
    elif resource.type == "QuestionnaireResponse":
        yield from _questionnaire_response(resource, fields, questionnaire_url)

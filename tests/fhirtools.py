"""Building FHIR R4 resources and Bundles by hand, for the tests of neurotriage.fhir.

Each builder returns plain FHIR JSON (a dict), as an app sends it. Only the
elements a test is about are set; the rest is the smallest valid resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

FHIR_FIXTURES = FIXTURES / "fhir"

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PAIN = "72514-3"


def fixture(name: str) -> dict[str, Any]:
    """A hand-written Bundle of ``tests/fixtures/fhir``."""
    data: dict[str, Any] = json.loads(Path(FHIR_FIXTURES, f"{name}.json").read_text("utf-8"))
    return data


def condition(
    code: str,
    system: str = SNOMED,
    *,
    id: str | None = "c1",  # noqa: A002 - the FHIR element's name
    clinical: str | None = "active",
    verification: str | None = None,
    severity: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    """A Condition coded ``system``/``code``, with these statuses (``None``: left out)."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p1"},
    }
    if id is not None:
        resource["id"] = id
    if clinical is not None:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": clinical}]}
    if verification is not None:
        resource["verificationStatus"] = {
            "coding": [{"system": VERIFICATION, "code": verification}]
        }
    if severity is not None:
        resource["severity"] = {"coding": [{"system": SNOMED, "code": severity}]}
    return {**resource, **elements}


def pain(
    value: Any,
    *,
    id: str | None = "o1",  # noqa: A002 - the FHIR element's name
    when: str | None = "2026-12-01T10:00:00+00:00",
    status: str = "final",
    element: str = "valueInteger",
    **elements: Any,
) -> dict[str, Any]:
    """A pain Observation (LOINC 72514-3) with ``value`` in ``element``."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": PAIN}]},
        "subject": {"reference": "Patient/p1"},
        element: value,
    }
    if id is not None:
        resource["id"] = id
    if when is not None:
        resource["effectiveDateTime"] = when
    return {**resource, **elements}


def answers(
    *items: tuple[str, list[dict[str, Any]]],
    id: str | None = "q1",  # noqa: A002 - the FHIR element's name
    status: str = "completed",
    **elements: Any,
) -> dict[str, Any]:
    """A QuestionnaireResponse with one item per ``(linkId, answers)``."""
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": status,
        "item": [{"linkId": link, **({"answer": given} if given else {})} for link, given in items],
    }
    if id is not None:
        resource["id"] = id
    return {**resource, **elements}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle of ``resources``."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }

"""One person: the resources read must all be about the same patient.

A Bundle that mixes two people's records would let one person's "no"
answer another's question. Each Condition, Observation and
QuestionnaireResponse's ``subject`` is compared; ``Patient/p1``, an absolute
URL ending in ``Patient/p1`` and the ``fullUrl`` of the Bundle's Patient
``p1`` are the same patient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from neurotriage.fhir._errors import problem
from neurotriage.fhir._resources import Resource

__all__ = ["check_one_subject"]

_READ = frozenset({"Condition", "Observation", "QuestionnaireResponse"})
_LITERAL = re.compile(r"(?:^|/)(?P<ref>[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def _key(reference: str, aliases: dict[str, str]) -> str:
    if reference in aliases:
        return aliases[reference]
    literal = _LITERAL.search(reference)
    return literal["ref"] if literal else reference


def check_one_subject(resources: Sequence[Resource]) -> None:
    """FhirError if two of the resources read name different subjects."""
    aliases = {
        resource.full_url: f"Patient/{resource.data['id']}"
        for resource in resources
        if resource.type == "Patient"
        and resource.full_url is not None
        and isinstance(resource.data.get("id"), str)
    }
    first: tuple[str, str] | None = None  # (subject, the resource that named it)
    for resource in resources:
        subject = resource.data.get("subject")
        reference = subject.get("reference") if isinstance(subject, Mapping) else None
        if resource.type not in _READ or not isinstance(reference, str):
            continue
        key = _key(reference, aliases)
        if first is None:
            first = (key, resource.ref)
        elif key != first[0]:
            raise problem(
                resource.ref,
                "subject",
                f"{reference} is another person than {first[0]} (the subject of {first[1]}); "
                "read one person's resources at a time",
            )

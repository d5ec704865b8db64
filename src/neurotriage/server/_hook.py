"""The ``patient-view`` hook: discovery's prefetch templates, and a call's prefetch to a card.

**Prefetch.** The service asks the EHR for four things (contract):
``patient``, ``conditions`` (the active ones), ``observations`` (the latest
pain score, LOINC 72514-3) and ``questionnaire`` (the latest answers). It
never fetches from the FHIR server itself, so what it needs must come in the
request:

* ``conditions`` and ``observations`` are required: missing, or ``null``
  (the EHR could not fetch them), the call is answered with 412 naming the
  keys. Without them a card could be less cautious than the record: the
  answers of a questionnaire ("no open wounds", "pain 2") would stand
  unchallenged by an active foot ulcer on the problem list or today's pain
  score of 8, which the mapping takes over them (the riskier reading wins
  when evidence disagrees, and only evidence that is there can disagree).
* ``patient`` and ``questionnaire`` are optional. The Patient is only
  checked to be the context's; without the questionnaire the facts only a
  person can tell stay unknown, and unknown is never safer: the card asks
  for them (and offers a Questionnaire to record the answers).

Every prefetched resource must be about the patient of ``context.patientId``
(a Patient's id, a resource's ``subject`` or ``patient`` reference where it
has one), or the call is answered with 400: a decision must never mix in
another person's record. Search results come as searchset Bundles; their
``OperationOutcome`` entries (``search.mode`` ``outcome``) are left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import ValidationError

from neurotriage.decision import Decision
from neurotriage.fhir import FhirError, profile_from_fhir, questionnaire
from neurotriage.pipeline import evaluate
from neurotriage.ruleset import RuleSet
from neurotriage.server._cards import card
from neurotriage.server._models import (
    HOOK,
    SERVICE_ID,
    CdsResponse,
    DiscoveryResponse,
    ErrorBody,
    HookRequest,
    PrefetchMissing,
    Service,
    Suggestion,
    SuggestionAction,
)

__all__ = [
    "OPTIONAL_PREFETCH",
    "PREFETCH",
    "REQUIRED_PREFETCH",
    "HookRefused",
    "answer_hook",
    "discovery",
]

#: The prefetch templates of discovery (contract).
PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "observations": (
        "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3"
        "&_sort=-date&_count=1"
    ),
    "questionnaire": "QuestionnaireResponse?patient={{context.patientId}}&_sort=-authored&_count=1",
}
#: The keys without which no answer is given (412).
REQUIRED_PREFETCH = ("conditions", "observations")
#: The keys whose absence leaves their facts unknown.
OPTIONAL_PREFETCH = ("patient", "questionnaire")


def discovery(rules: RuleSet) -> DiscoveryResponse:
    """The discovery document: one service for ``rules``' pack."""
    pack = rules.pack
    return DiscoveryResponse(
        services=(
            Service(
                hook=HOOK,
                id=SERVICE_ID,
                title="Foot massage triage for peripheral neuropathy",
                description=(
                    "Which foot massage techniques the patient may do now, which are "
                    "blocked and why, whom to see, and the questions still open "
                    f"(rules: {pack.title} {pack.version})."
                ),
                prefetch=dict(PREFETCH),
            ),
        )
    )


class HookRefused(Exception):  # noqa: N818 - an answer, not a failure of the service
    """The call is answered with an error (400, 412): ``response`` is that answer."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _refused(status: int, message: str) -> HookRefused:
    body = ErrorBody(error=message).model_dump(mode="json")
    return HookRefused(JSONResponse(body, status_code=status))


class _WrongPatient(Exception):  # noqa: N818 - an answer, not a failure of the service
    """A prefetched resource is about someone else."""


def _resources(key: str, value: Mapping[str, Any], patient_id: str) -> Iterator[dict[str, Any]]:
    """The resources of one prefetch value (a resource or a searchset Bundle), checked."""
    if value.get("resourceType") == "Bundle":
        entries = value.get("entry") or []
        if not isinstance(entries, list):
            raise FhirError(f"prefetch {key!r}", [("Bundle.entry", "is not a list")])
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                raise FhirError(
                    f"prefetch {key!r}", [(f"Bundle.entry[{index}].resource", "is missing")]
                )
            search = entry.get("search")
            if isinstance(search, dict) and search.get("mode") == "outcome":
                continue
            resource = entry["resource"]
            if resource.get("resourceType") == "OperationOutcome":
                continue
            yield _about(key, resource, patient_id)
    else:
        yield _about(key, dict(value), patient_id)


def _about(key: str, resource: dict[str, Any], patient_id: str) -> dict[str, Any]:
    """``resource``, if it is about ``patient_id`` (or says nobody); else _WrongPatient."""
    kind = resource.get("resourceType", "a resource")
    if kind == "Patient":
        if resource.get("id") not in (None, patient_id):
            raise _WrongPatient(
                f"prefetch {key!r} holds Patient/{resource.get('id')}, not the context's patient"
            )
        return resource
    for element in ("subject", "patient"):
        reference = resource.get(element)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            named = reference["reference"].partition("/_history/")[0]
            if named not in (f"Patient/{patient_id}", patient_id) and not named.endswith(
                f"/Patient/{patient_id}"
            ):
                raise _WrongPatient(
                    f"prefetch {key!r} holds a {kind} whose {element} is {named}, "
                    "not the context's patient"
                )
    return resource


def _questions_suggestion(decision: Decision, rules: RuleSet) -> list[Suggestion]:
    """A suggestion to record the open questions as a FHIR Questionnaire, when there are any."""
    if not decision.questions:
        return []
    form = questionnaire(decision, rules=rules)
    return [
        Suggestion(
            label="Record the open questions as a questionnaire to answer",
            uuid=str(uuid.uuid4()),
            actions=(
                SuggestionAction(
                    type="create",
                    description="A Questionnaire of the questions whose answers can change "
                    "this decision",
                    resource=form,
                ),
            ),
        )
    ]


def answer_hook(
    call: HookRequest, rules: RuleSet, backend: str, *, card_id: str
) -> tuple[CdsResponse, Decision]:
    """The card for one ``patient-view`` call, and the decision behind it.

    Raises :class:`HookRefused` with the error answer (412 for a missing
    required prefetch, 400 for resources that cannot be read or are about
    someone else; see the module docs).
    """
    missing = [key for key in REQUIRED_PREFETCH if call.prefetch.get(key) is None]
    if missing:
        body = PrefetchMissing(
            error=f"the request lacks the prefetch {' and '.join(map(repr, missing))}; this "
            "service does not fetch from the FHIR server, so the EHR must prefetch "
            f"{'them' if len(missing) > 1 else 'it'} (see GET /cds-services)",
            missing_prefetch=tuple(missing),
        )
        raise HookRefused(JSONResponse(body.model_dump(mode="json"), status_code=412))
    patient_id = call.context.patientId
    resources: list[dict[str, Any]] = []
    try:
        for key, value in call.prefetch.items():
            if key in PREFETCH and value is not None:
                resources += _resources(key, value, patient_id)
        found = profile_from_fhir(resources, rules=rules)
    except _WrongPatient as wrong:
        raise _refused(400, str(wrong)) from None
    except (FhirError, ValidationError) as problem:
        raise _refused(400, f"the prefetched FHIR resources cannot be read: {problem}") from None
    decision = evaluate(found.profile, rules=rules, backend=backend)
    answer = card(
        decision,
        rules,
        card_id=card_id,
        conflicts=found.conflicts,
        suggestions=_questions_suggestion(decision, rules),
    )
    return CdsResponse(cards=(answer,)), decision

"""The ASGI application: CDS Hooks discovery, the hook, feedback, a JSON API, health.

:func:`create_app` compiles the rule set once, before it returns, and every
request is answered from that one compiled rule set. Routes:

* ``GET /cds-services``: discovery (one service, ``foot-massage-triage``);
* ``POST /cds-services/foot-massage-triage``: a ``patient-view`` call in,
  one card out (412 when a required prefetch is missing, 400 when the
  request or its FHIR resources break the specification);
* ``POST /cds-services/foot-massage-triage/feedback``: CDS Hooks feedback,
  into the decision log;
* ``POST /evaluate``: a profile of the pack's model in, the Decision out (422
  with pydantic's errors for a bad profile);
* ``GET /healthz``; the OpenAPI document at ``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from neurotriage import __version__
from neurotriage.decision import Decision
from neurotriage.decision_log import DecisionLog, DecisionLogError
from neurotriage.engines import resolve_backend
from neurotriage.loading import default_rules
from neurotriage.pipeline import compiled_engine, evaluate
from neurotriage.ruleset import RuleSet
from neurotriage.server._hook import HookRefused, answer_hook, discovery
from neurotriage.server._middleware import BODY_SECONDS, MAX_BODY_BYTES, NoTraceback, RequestLimits
from neurotriage.server._models import (
    SERVICE_ID,
    CdsResponse,
    DiscoveryResponse,
    ErrorBody,
    FeedbackRequest,
    HookRequest,
    PrefetchMissing,
)

__all__ = ["create_app"]

#: The response header that names the decision /evaluate made (its id in the decision log).
DECISION_ID_HEADER = "X-Decision-Id"


def _error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    body = ErrorBody(error=message, details=tuple(details or ()))
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def _field_errors(error: RequestValidationError, *, echo: bool) -> list[dict[str, Any]]:
    """pydantic's errors as JSON, without the ``url`` of each (it points at pydantic's site),
    and without the ``input`` unless ``echo``."""
    left_out = ("url", "ctx") if echo else ("url", "ctx", "input")
    return [
        {key: value for key, value in item.items() if key not in left_out}
        for item in error.errors()
    ]


async def _invalid_request(request: Request, error: Exception) -> Response:
    """Malformed JSON: 400 everywhere. A hook or feedback call that breaks the
    specification: 400. A bad profile for /evaluate: 422 with pydantic's field errors."""
    assert isinstance(error, RequestValidationError)  # noqa: S101 - registered for it alone
    details = _field_errors(error, echo=False)
    if any(item.get("type") == "json_invalid" for item in details):
        return _error(400, "the request body is not valid JSON", details)
    if any(item.get("type") == "missing" and tuple(item["loc"]) == ("body",) for item in details):
        return _error(400, "the request has no body: it must be a JSON object")
    if request.url.path.startswith("/cds-services"):
        return _error(400, "the request breaks the CDS Hooks specification", details)
    return JSONResponse({"detail": _field_errors(error, echo=True)}, status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for it alone
    del request
    return _error(error.status_code, str(error.detail))


def _logged(log: DecisionLog | None, write: Callable[[DecisionLog], None]) -> Response | None:
    """Write to the log; a 503 to answer instead if it cannot be written (nothing unlogged)."""
    if log is None:
        return None
    try:
        write(log)
    except DecisionLogError as problem:
        return _error(503, f"the decision was not served: {problem}")
    return None


def create_app(
    rules: RuleSet | None = None,
    *,
    backend: str | None = None,
    decision_log: DecisionLog | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    body_seconds: float = BODY_SECONDS,
) -> FastAPI:
    """The service for ``rules`` (default: the built-in pack), compiled once, now.

    ``decision_log``: where every decision served and every piece of feedback
    is appended (``None``: nowhere). A decision that cannot be logged is not
    served (503). ``max_body_bytes`` and ``body_seconds`` bound what one
    request may send (413 and 408 beyond them).
    """
    ruleset = rules if rules is not None else default_rules()
    engine_backend = resolve_backend(backend, warn=False)
    compiled_engine(ruleset, engine_backend)  # compile now, not on the first request
    pack = ruleset.pack
    model = pack.model
    app = FastAPI(
        title="neurotriage",
        version=__version__,
        description=f"CDS Hooks service and JSON API for the pack {pack.id} {pack.version}: "
        f"{pack.title}.",
    )
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(RequestLimits, max_bytes=max_body_bytes, body_seconds=body_seconds)
    app.add_middleware(NoTraceback)
    services = discovery(ruleset)

    @app.get("/cds-services", response_model=DiscoveryResponse, tags=["CDS Hooks"])
    async def discover() -> DiscoveryResponse:
        """CDS Hooks discovery: the one service, its hook and its prefetch templates."""
        return services

    @app.post(
        f"/cds-services/{SERVICE_ID}",
        response_model=CdsResponse,
        response_model_exclude_none=True,
        responses={
            400: {"model": ErrorBody, "description": "the request breaks the specification"},
            412: {"model": PrefetchMissing, "description": "a required prefetch is missing"},
        },
        tags=["CDS Hooks"],
    )
    async def hook(call: HookRequest) -> Response:
        """One ``patient-view`` call: the prefetched FHIR resources in, one card out."""
        started = time.perf_counter()
        card_id = str(uuid.uuid4())
        try:
            response, decision = answer_hook(call, ruleset, engine_backend, card_id=card_id)
        except HookRefused as refused:
            return refused.response
        seconds = time.perf_counter() - started
        not_logged = _logged(
            decision_log,
            lambda log: log.decision(
                card_id,
                decision,
                pack,
                seconds=seconds,
                via="cds-hooks",
                patient_id=call.context.patientId,
            ),
        )
        if not_logged is not None:
            return not_logged
        return Response(response.model_dump_json(exclude_none=True), media_type="application/json")

    @app.post(
        f"/cds-services/{SERVICE_ID}/feedback",
        responses={400: {"model": ErrorBody}},
        tags=["CDS Hooks"],
    )
    async def feedback(call: FeedbackRequest) -> dict[str, int]:
        """CDS Hooks feedback on cards: stored in the decision log, joined on the card's uuid."""

        def write(log: DecisionLog) -> None:
            for item in call.feedback:
                reason = item.overrideReason.reason if item.overrideReason else None
                log.feedback(
                    item.card,
                    item.outcome,
                    override_reason=reason.code if reason else None,
                    override_system=reason.system if reason else None,
                    accepted_suggestions=[s.id for s in item.acceptedSuggestions],
                )

        refused = _logged(decision_log, write)
        if refused is not None:
            raise HTTPException(refused.status_code, "the feedback could not be stored")
        return {"stored": len(call.feedback) if decision_log is not None else 0}

    async def evaluate_profile(profile: BaseModel) -> Response:
        """A profile of the pack's model in, the Decision out (the JSON API for apps)."""
        started = time.perf_counter()
        decision = evaluate(profile, rules=ruleset, backend=engine_backend)
        seconds = time.perf_counter() - started
        decision_id = str(uuid.uuid4())
        refused = _logged(
            decision_log,
            lambda log: log.decision(
                decision_id, decision, pack, seconds=seconds, via="evaluate-api"
            ),
        )
        if refused is not None:
            return refused
        return Response(
            decision.model_dump_json(),
            media_type="application/json",
            headers={DECISION_ID_HEADER: decision_id},
        )

    # The body's type is the pack's model, known only now: FastAPI reads it from here.
    evaluate_profile.__annotations__ = {"profile": model, "return": Response}
    app.post(
        "/evaluate",
        response_model=Decision,
        responses={422: {"description": "the profile is not valid for the pack's model"}},
        tags=["JSON API"],
    )(evaluate_profile)

    @app.get("/healthz", tags=["Operations"])
    async def healthz() -> dict[str, str]:
        """Whether the service is up, and which pack it serves."""
        return {"status": "ok", "pack": pack.id, "version": pack.version}

    return app

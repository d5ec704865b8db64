"""``neurotriage serve``: a CDS Hooks 2.0 service and a JSON API (the ``server`` extra).

``create_app(rules)`` is the ASGI application (FastAPI): discovery at
``GET /cds-services``, the ``patient-view`` hook at ``POST
/cds-services/foot-massage-triage`` (one card per call), feedback, ``POST
/evaluate`` (a profile in, the Decision out) and ``GET /healthz``. It needs
``pip install 'neurotriage[server]'``; nothing else in neurotriage imports
this package. See ``docs/server.md``.
"""

from neurotriage.server._app import DECISION_ID_HEADER, create_app
from neurotriage.server._cards import INDICATORS, MAX_SUMMARY, card
from neurotriage.server._hook import OPTIONAL_PREFETCH, PREFETCH, REQUIRED_PREFETCH
from neurotriage.server._middleware import BODY_SECONDS, MAX_BODY_BYTES, NoTraceback, RequestLimits
from neurotriage.server._models import (
    HOOK,
    SERVICE_ID,
    Card,
    CardSource,
    CdsResponse,
    DiscoveryResponse,
    FeedbackRequest,
    HookRequest,
)
from neurotriage.server._run import ServeError, bind, run

__all__ = [
    "BODY_SECONDS",
    "DECISION_ID_HEADER",
    "HOOK",
    "INDICATORS",
    "MAX_BODY_BYTES",
    "MAX_SUMMARY",
    "OPTIONAL_PREFETCH",
    "PREFETCH",
    "REQUIRED_PREFETCH",
    "SERVICE_ID",
    "Card",
    "CardSource",
    "CdsResponse",
    "DiscoveryResponse",
    "FeedbackRequest",
    "HookRequest",
    "NoTraceback",
    "RequestLimits",
    "ServeError",
    "bind",
    "card",
    "create_app",
    "run",
]

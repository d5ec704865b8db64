"""Shared fixtures: the default rule set, each backend, a complete safe profile."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from neurotriage import RuleSet, default_rules
from neurotriage.engines import BACKENDS, durable_available

pytest_plugins = ["pytester"]  # the coverage plugin is tested in a child pytest run

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The contract's condition fields (default None = unknown), in declaration order.
#: Spelled out, not derived from Profile, so a renamed field fails the tests.
CONDITION_FIELDS = (
    "diabetes",
    "neuropathy_severity",
    "pain_level",
    "symptoms_worsening",
    "open_wounds",
    "foot_infection",
    "home_remedies_no_relief",
    "other_conditions",
)
#: The contract's session fields, which always have a value.
SESSION_FIELDS = ("cleared_by_clinician", "sharp_pain_during_massage", "requested_pressure")

#: Every condition field known and on its safe side: the default rules allow everything.
SAFE: dict[str, Any] = {
    "diabetes": False,
    "neuropathy_severity": "mild",
    "pain_level": 2,
    "symptoms_worsening": False,
    "open_wounds": False,
    "foot_infection": False,
    "home_remedies_no_relief": False,
    "other_conditions": [],
}


#: durable-rules is declared for Python < 3.13 only; below that it must be there,
#: so a broken install fails the durable tests instead of skipping them.
DURABLE_EXPECTED = sys.version_info < (3, 13)

#: Skip a durable-only test only where durable-rules cannot be installed.
requires_durable = pytest.mark.skipif(
    not DURABLE_EXPECTED and durable_available() is not None,
    reason="durable-rules does not import on Python 3.13+ (documented fallback)",
)


def available_backends() -> list[str]:
    """The backends the tests run on: durable wherever it is expected to import."""
    if DURABLE_EXPECTED or durable_available() is None:
        return list(BACKENDS)
    return ["reference"]


@pytest.fixture
def rules() -> RuleSet:
    """The built-in rule set."""
    return default_rules()


@pytest.fixture(params=available_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend available here, in turn."""
    return str(request.param)


@pytest.fixture
def safe() -> dict[str, Any]:
    """A fresh copy of the complete, safe profile."""
    return dict(SAFE)

"""durable-rules driven directly: the same compiled rule set, the least work per call.

This is what the durable backend's adapter is measured against. It asserts a
hand-flattened fact, reads the rule ids off the action messages and deletes
the session: the same C functions ``neurotriage.engines.durable`` calls, with
no lock, no generic flattening, no checks and no Decision. It only knows the
fields of the default rule set (no list-membership keys).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import durable_rules_engine

from neurotriage import Profile, RuleSet
from neurotriage.engines.durable import HANDLED, MARKER, compile_rules

__all__ = ["DirectDurable"]

_NULLABLE = (
    "diabetes",
    "pain_level",
    "symptoms_worsening",
    "open_wounds",
    "foot_infection",
    "home_remedies_no_relief",
)
_SEVERITY_RANK = {"mild": 0, "moderate": 1, "severe": 2}
_PRESSURE_RANK = {"light": 0, "moderate": 1, "firm": 2}


class DirectDurable:
    """One durable ruleset compiled from ``ruleset``, driven by hand."""

    def __init__(self, ruleset: RuleSet) -> None:
        definition, membership = compile_rules(ruleset)
        if membership:
            raise ValueError("the direct driver knows the default rule set only")
        self._handle: Any = durable_rules_engine.create_ruleset(
            "neurotriage_bench_direct", json.dumps(definition)
        )
        self._sids = itertools.count()

    def close(self) -> None:
        """Free the C ruleset."""
        durable_rules_engine.delete_ruleset(self._handle)

    def fired(self, profile: Profile) -> set[str]:
        """The ids of the rules ``profile`` fires."""
        values = profile.__dict__
        sid = str(next(self._sids))
        pressure = values["requested_pressure"]
        fact: dict[str, Any] = {
            MARKER: 1,
            "sid": sid,
            "cleared_by_clinician": values["cleared_by_clinician"],
            "sharp_pain_during_massage": values["sharp_pain_during_massage"],
            "requested_pressure": pressure,
            "requested_pressure__rank": _PRESSURE_RANK[pressure],
        }
        for name in _NULLABLE:
            value = values[name]
            if value is not None:
                fact[name] = value
        severity = values["neuropathy_severity"]
        if severity is not None:
            fact["neuropathy_severity"] = severity
            fact["neuropathy_severity__rank"] = _SEVERITY_RANK[severity]
        conditions = values["other_conditions"]
        if conditions is not None:
            fact["other_conditions__count"] = len(conditions)

        handle = self._handle
        state = durable_rules_engine.assert_fact(handle, json.dumps(fact))[1]
        fired = set()
        started = durable_rules_engine.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            fired.add(message[2 : message.index('"', 2)])
            message = durable_rules_engine.complete_and_start_action(handle, state)
        durable_rules_engine.delete_state(handle, sid)
        fired.discard(HANDLED)
        return fired

"""The durable-rules backend (a Rete network in C), contained in this module.

Each rule becomes one ``all`` rule of a single durable ruleset, compiled once
per RuleSet. The hazards of durable-rules, each handled here and each with a
regression test in ``tests/regressions/``:

* ``durable.lang``'s global host runs timer threads that segfault under load,
  and its Python ``Host``/``Closure`` machinery costs ~20 us per fired rule.
  We use neither: the engine drives the C module ``durable_rules_engine``
  directly (create a ruleset, assert a fact, step through the matched actions,
  delete the state). No host, no threads, nothing global.
* Posted events are consumed by one rule only: the profile is asserted as a
  *fact*, so every matching rule fires.
* A ruleset holds at most 1024 live sessions: each evaluation uses a fresh sid
  and deletes its state in ``finally``. Deleting the session of a fact that
  no rule matched crashes durable, so an internal rule matches every fact.
* Exceptions inside actions are swallowed: there are no Python actions; the
  id of each matched rule is read from the engine's action message.
* The C engine is not thread-safe: each engine serialises calls with a lock.
* A condition the session state itself satisfies (``$nex``, an always rule)
  re-fires forever: every rule also requires a marker field only facts carry.
* A rule whose condition has ``or`` is split into one rule per disjunct and
  may fire more than once; fired rules are collected as a set.
* Facts are JSON-like: unknown fields are left out; enums carry their rank for
  ordering; lists become their length and one boolean per membership test.
* The C ruleset is freed when its engine is garbage-collected.
* Its capacity is limited (an ``or`` of more than 512 tests hangs compiling,
  more than 8192 expanded alternatives or about 250 fact properties are
  refused): the loader keeps every rule set well inside those limits, and
  any refusal left surfaces as BackendError, never durable's own error.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from typing import Any

import durable_rules_engine

from neurotriage._errors import BackendError
from neurotriage.language import (
    Always,
    And,
    Compare,
    Condition,
    Contains,
    Empty,
    InSet,
    Known,
    Not,
    Or,
)
from neurotriage.language._semantics import to_nnf
from neurotriage.profile import FieldSpec, Profile, field_specs
from neurotriage.ruleset import RuleSet

__all__ = ["HANDLED", "MARKER", "DurableEngine", "compile_rules"]

#: A field every asserted fact carries and session state never does.
MARKER = "neurotriage__fact"
#: An internal rule that matches every fact. A fact no rule handles leaves a
#: session that durable cannot delete safely (``delete_state`` then reads
#: uninitialised memory and crashes); this rule means that never happens.
#: The ``.`` keeps it apart from every rule id a rule file can declare.
HANDLED = "neurotriage.handled"
_JSON_OPS = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


class _Compiler:
    """Translates conditions (in negation normal form) into durable JSON."""

    def __init__(self, specs: dict[str, FieldSpec]) -> None:
        self.specs = specs
        self.membership: dict[tuple[str, str], str] = {}

    def member_key(self, name: str, value: str) -> str:
        return self.membership.setdefault((name, value), f"{name}__has__{len(self.membership)}")

    def expression(self, node: Condition) -> dict[str, Any]:
        if isinstance(node, Always):
            return {MARKER: 1}
        if isinstance(node, And | Or):
            if not node.items:  # empty and: always; empty or: never (the marker is never 0)
                return {MARKER: 1 if isinstance(node, And) else 0}
            parts = [self.expression(item) for item in node.items]
            return (
                parts[0] if len(parts) == 1 else {"$and" if isinstance(node, And) else "$or": parts}
            )
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, InSet):
            return self.expression(Or(tuple(Compare(node.field, "==", v) for v in node.values)))
        if isinstance(node, Known):
            key = node.field
            if self.specs[key].kind == "list":
                key = f"{key}__count"  # a list is flattened; its count is present iff it is known
            return {"$ex" if node.known else "$nex": {key: 1}}
        if isinstance(node, Empty):
            count = f"{node.field}__count"
            return {count: 0} if node.empty else {"$gt": {count: 0}}
        if isinstance(node, Contains):
            return {self.member_key(node.field, node.value): True}
        if isinstance(node, Not) and isinstance(node.item, Contains):
            return {self.member_key(node.item.field, node.item.value): False}
        raise TypeError(f"not in negation normal form: {node!r}")  # pragma: no cover

    def compare(self, node: Compare) -> dict[str, Any]:
        spec = self.specs[node.field]
        name, value = node.field, node.value
        if spec.kind == "enum" and node.op not in ("==", "!="):
            name, value = f"{name}__rank", spec.values.index(str(value))
        if node.op == "==":
            return {name: value}
        return {_JSON_OPS[node.op]: {name: value}}


def compile_rules(ruleset: RuleSet) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The durable JSON definition (rule id -> ``all`` expression) and membership keys."""
    compiler = _Compiler(dict(field_specs()))
    definition: dict[str, Any] = {
        rule.id: {
            "all": [{"m": {"$and": [{MARKER: 1}, compiler.expression(to_nnf(rule.condition))]}}]
        }
        for rule in ruleset.rules
    }
    definition[HANDLED] = {"all": [{"m": {MARKER: 1}}]}
    return definition, dict(compiler.membership)


def _rule_id(message: str) -> str:
    """The rule id of an action message ``{"<rule id>": {...}}``.

    Rule ids match ``[a-z][a-z0-9_-]*`` (checked at load time), so the first
    key needs no JSON unescaping; this avoids decoding the whole message.
    """
    start = message.index('"') + 1
    return message[start : message.index('"', start)]


class DurableEngine:
    """A RuleSet compiled into one durable-rules ruleset, driven directly."""

    name = "durable"

    def __init__(self, ruleset: RuleSet) -> None:
        definition, membership = compile_rules(ruleset)
        self._specs = field_specs()
        self._fields = tuple(sorted(ruleset.fields_read))
        self._membership: dict[str, list[tuple[str, str]]] = {}
        for (name, value), key in membership.items():
            self._membership.setdefault(name, []).append((value, key))
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._known_ids = frozenset(definition)
        try:
            self._handle = durable_rules_engine.create_ruleset(
                f"neurotriage_{id(self):x}", json.dumps(definition, ensure_ascii=False)
            )
        except durable_rules_engine.error as err:
            raise BackendError(f"durable-rules cannot compile this rule set: {err}") from err
        weakref.finalize(self, durable_rules_engine.delete_ruleset, self._handle)

    def fact(self, profile: Profile) -> dict[str, Any]:
        """The profile flattened into the JSON fact the rules match."""
        values = profile.__dict__
        fact: dict[str, Any] = {MARKER: 1}
        for name in self._fields:
            value = values[name]
            if value is None:
                continue  # unknown: absent, so every comparison on it is false
            spec = self._specs[name]
            if spec.kind == "list":
                fact[f"{name}__count"] = len(value)
                for item, key in self._membership.get(name, ()):
                    fact[key] = item in value
            else:
                fact[name] = value
                if spec.kind == "enum":
                    fact[f"{name}__rank"] = spec.values.index(value)
        return fact

    def fired(self, profile: Profile) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        fact = self.fact(profile)
        with self._lock:
            sid = str(next(self._sids))
            fact["sid"] = sid
            try:
                status, state = durable_rules_engine.assert_fact(
                    self._handle, json.dumps(fact, ensure_ascii=False)
                )
            except durable_rules_engine.error as err:
                raise BackendError(f"durable-rules refused the profile: {err}") from err
            if status != 0:
                # Never delete an unhandled session (that crashes durable); the
                # HANDLED rule makes this unreachable unless durable misbehaves.
                raise BackendError(f"durable-rules answered status {status} for a new fact")
            try:
                return self._collect(state)
            except Exception as err:
                raise BackendError(f"durable-rules failed to evaluate the profile: {err}") from err
            finally:
                durable_rules_engine.delete_state(self._handle, sid)

    def _collect(self, state: int) -> frozenset[str]:
        fired: set[str] = set()  # a rule with `or` fires once per matching disjunct
        started = durable_rules_engine.start_action_for_state(self._handle, state)
        message = started[1] if started else None
        while message:
            rule_id = _rule_id(message)
            if rule_id not in self._known_ids:
                raise BackendError(f"durable-rules reported an unexpected action {rule_id!r}")
            fired.add(rule_id)
            message = durable_rules_engine.complete_and_start_action(self._handle, state)
        fired.discard(HANDLED)
        return frozenset(fired)

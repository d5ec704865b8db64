"""The durable-rules backend (a Rete network in C), contained in this module.

Each rule becomes one ``all`` rule of a single durable ruleset whose action
records the rule id. The hazards of durable-rules, each handled here and each
with a regression test in ``tests/regressions/``:

* The global host of ``durable.lang`` runs timer threads that segfault under
  load: every engine has its own :class:`_QuietHost` whose ``_run`` starts none.
* Posted events are consumed by one rule only: the profile is asserted as a
  *fact*, so every matching rule fires.
* A ruleset holds at most 1024 live sessions: each evaluation uses a fresh sid
  and deletes its state in ``finally``.
* Exceptions inside actions are swallowed: actions only append an id to a list.
* The C engine is not thread-safe: each engine serialises calls with a lock.
* A condition the session state itself satisfies (``$nex``, an always rule)
  re-fires forever: every rule also requires a marker field only facts carry.
* Facts are JSON-like: unknown fields are left out; enums carry their rank for
  ordering; lists become their length and one boolean per membership test.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

import durable.engine
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

__all__ = ["MARKER", "DurableEngine", "compile_rules"]

#: A field every asserted fact carries and session state never does.
MARKER = "neurotriage__fact"
_JSON_OPS = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


class _QuietHost(durable.engine.Host):  # type: ignore[misc]  # durable is untyped
    """A host with no background dispatch threads (the default host's segfault)."""

    def _run(self) -> None:
        """Start nothing: evaluation is synchronous, timers are unused."""


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
    definition = {
        rule.id: {
            "all": [{"m": {"$and": [{MARKER: 1}, compiler.expression(to_nnf(rule.condition))]}}]
        }
        for rule in ruleset.rules
    }
    return definition, dict(compiler.membership)


class DurableEngine:
    """A RuleSet compiled into one durable-rules ruleset on a private host."""

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
        self._fired: list[str] = []
        self._ruleset_name = f"neurotriage_{id(self):x}"
        for rule_id, rule_def in definition.items():
            rule_def["run"] = self._recorder(rule_id)
        self._host = _QuietHost({self._ruleset_name: definition})
        handle = self._host.get_ruleset(self._ruleset_name)._handle
        weakref.finalize(self, durable_rules_engine.delete_ruleset, handle)

    def _recorder(self, rule_id: str) -> Any:
        fired = self._fired

        def record(_closure: Any) -> None:
            fired.append(rule_id)

        return record

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
            self._fired.clear()
            try:
                self._host.assert_fact(self._ruleset_name, fact)
            except durable.engine.MessageNotHandledException:
                pass  # no rule matched
            except Exception as err:
                raise BackendError(f"durable-rules failed to evaluate the profile: {err}") from err
            finally:
                self._host.delete_state(self._ruleset_name, sid)
            return frozenset(self._fired)

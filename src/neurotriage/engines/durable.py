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
* A rule whose condition has ``or`` fires once per way it holds (durable
  follows every branch that holds); fired rules are collected as a set.
* Facts are JSON-like: unknown fields are left out; enums carry their rank for
  ordering; lists become their length and one boolean per membership test.
* The C ruleset is freed when its engine is garbage-collected.
* Its tables have fixed sizes (durable-rules' ``rete.c`` and ``events.c``):
  too many rules, conditions with too many ``and``/``or`` groups, too many
  rules with one condition, or a profile passing too many tests at once make
  it refuse to compile, answer wrongly or refuse a profile. The limits are
  below, measured on 2.0.28; :func:`check_capacity` models the network durable
  builds and the loader refuses every rule set that passes one, so what loads
  runs on every backend. Any refusal left still surfaces as BackendError.
* The C module is imported when an engine is made, not with this module: the
  limits and :func:`check_capacity` work where durable-rules does not import.
"""

from __future__ import annotations

import importlib
import itertools
import json
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from neurotriage._errors import BackendError
from neurotriage.engines._durable_compiler import HANDLED, MARKER, fact_units, rules_definition
from neurotriage.engines._durable_network import Network, Unit
from neurotriage.fields import FieldSpec
from neurotriage.language import Contains, walk
from neurotriage.pack import PROFILE_PACK
from neurotriage.ruleset import Rule, RuleSet

__all__ = [
    "HANDLED",
    "MARKER",
    "MAX_BRANCHES_PER_TEST",
    "MAX_FACT_PROPERTIES",
    "MAX_GROUPS",
    "MAX_MATCHED_AT_ONCE",
    "MAX_MEMBERSHIP_TESTS",
    "MAX_RULES",
    "MAX_RULES_PER_CONDITION",
    "MAX_TESTS_PER_TEST",
    "CapacityProblem",
    "DurableEngine",
    "check_capacity",
    "compile_rules",
]


def compile_rules(ruleset: RuleSet) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The durable JSON definition (rule id -> ``all`` expression) and membership keys."""
    return rules_definition(ruleset.rules, ruleset.pack.fields)


# --- Capacity -----------------------------------------------------------------
# durable-rules 2.0.28 sizes its tables at compile time (rules.h, rete.h,
# state.h, events.c in jruizgit/rules). Each limit below was read there and
# then found by bisection against the installed C module; the regression
# tests load a rule set at each limit and run it on durable, and one past it
# must be refused at load time.

#: Rules in a rule set: durable takes 4096 actions (MAX_ACTIONS; error 106)
#: and the internal HANDLED rule is one of them.
MAX_RULES = 4095
#: ``and``/``or`` groups in one compiled condition, the rule's own ``and``
#: included: each takes two of the 32 slots of a rule's expression sequence
#: (MAX_SEQUENCE_EXPRESSIONS, error 113), and the 32nd slot is refused.
MAX_GROUPS = 15
#: Rules whose compiled conditions are the same chain of tests end at one
#: node, whose beta list has 256 slots (BETA_LIST_LENGTH, error 108). A full
#: list has no end marker: with 256 rules durable reads on into whatever table
#: follows and may fire a rule that does not hold, so the limit is one less.
MAX_RULES_PER_CONDITION = 255
#: Forward nodes (one per ``or`` branch ending at a test, repeats kept) and
#: ``is unknown`` tests hung on one test: its next list has 128 slots
#: (NEXT_LIST_LENGTH, error 107) and needs an end marker too. MAX_MATCHED_AT_ONCE
#: is always reached first, since every forward node is followed.
MAX_BRANCHES_PER_TEST = 127
#: Different tests following one test: its hash set has 512 slots
#: (NEXT_BUCKET_LENGTH; error 106 when full, and a lookup in a full set never
#: ends). The condition language cannot reach it with MAX_MEMBERSHIP_TESTS.
MAX_TESTS_PER_TEST = 511
#: Nodes durable's depth-first walk of one fact may hold at once
#: (MAX_STACK_SIZE in events.c, error 303 while evaluating): a test the fact
#: passes holds every following test the fact passes too, and every ``or``
#: branch. Checked at load time against every profile, so no profile is
#: refused while evaluating.
MAX_MATCHED_AT_ONCE = 64
#: Properties of the fact sent for one profile, ``sid`` and the marker
#: included: durable adds ``id`` and refuses a 255th (MAX_OBJECT_PROPERTIES,
#: error 302).
MAX_FACT_PROPERTIES = 253
#: Different ``"name" in other_conditions`` tests in a rule set: each is one
#: property of every fact, so this keeps facts far inside MAX_FACT_PROPERTIES.
MAX_MEMBERSHIP_TESTS = 128


@dataclass(frozen=True)
class CapacityProblem:
    """A rule that takes its rule set past one of durable-rules' limits.

    ``in_condition`` says the problem is the rule's own condition (located at
    its ``when``) rather than what the rule set adds up to (located at the rule).
    """

    rule_id: str
    message: str
    in_condition: bool = False


def check_capacity(
    rules: RuleSet | Iterable[Rule], specs: Mapping[str, FieldSpec] | None = None
) -> list[CapacityProblem]:
    """Every rule that takes the rule set past a durable-rules limit, in rule order.

    Pure Python: it models the network durable builds from what
    :func:`compile_rules` sends, and works where durable-rules does not import.
    A rule is reported once, for the first limit it passes. ``specs`` are
    the fields the rules read (by default, a RuleSet's pack's; for a plain
    list of rules, the built-in Profile's).
    """
    if isinstance(rules, RuleSet):
        specs = rules.pack.fields if specs is None else specs
        listed = list(rules.rules)
    else:
        listed = list(rules)
    specs = PROFILE_PACK.fields if specs is None else specs
    definition, membership = rules_definition(listed, specs)
    return _problems(listed, definition, membership, specs)


def _problems(
    rules: Sequence[Rule],
    definition: dict[str, Any],
    membership: dict[tuple[str, str], str],
    specs: Mapping[str, FieldSpec],
) -> list[CapacityProblem]:
    network = Network(definition)
    found: dict[int, CapacityProblem] = {}
    for at, message, in_condition in (
        *_membership_problems(rules),
        *_compile_problems(rules, network),
        *_evaluation_problems(rules, network, fact_units(membership, specs)),
    ):
        index = min(at, len(rules) - 1)  # the internal rule comes last and passes nothing
        found.setdefault(index, CapacityProblem(rules[index].id, message, in_condition))
    return [found[index] for index in sorted(found)]


_Found = Iterator[tuple[int, str, bool]]  # rule index, message, about the rule's own condition


def _membership_problems(rules: Sequence[Rule]) -> _Found:
    seen: set[tuple[str, str]] = set()
    for index, rule in enumerate(rules):
        before = len(seen)
        seen.update((n.field, n.value) for n in walk(rule.condition) if isinstance(n, Contains))
        if before <= MAX_MEMBERSHIP_TESTS < len(seen):
            yield (
                index,
                (
                    f"the rule set tests more than {MAX_MEMBERSHIP_TESTS} different names with "
                    f"'\"name\" in FIELD' (this rule brings it to {len(seen)}); test fewer names"
                ),
                False,
            )


def _compile_problems(rules: Sequence[Rule], network: Network) -> _Found:
    """What makes durable's create_ruleset refuse, or build a network that answers wrongly."""
    for index, groups in enumerate(network.groups[: len(rules)]):
        if groups > MAX_GROUPS:
            yield (
                index,
                (
                    f"in 'when': durable-rules takes at most {MAX_GROUPS} 'and'/'or' groups in "
                    f"one condition and this one needs {groups} (one for the rule itself and at "
                    "most one for each 'or', 'in [...]', 'and' inside an 'or' and 'not' of a "
                    "field that may be unknown); split it into several rules"
                ),
                True,
            )
    if len(rules) > MAX_RULES:
        message = f"the rule set has {len(rules)} rules; durable-rules takes at most {MAX_RULES}"
        yield MAX_RULES, message, False
    for node in network.nodes:
        if len(node.betas) > MAX_RULES_PER_CONDITION:
            first = rules[node.betas[0]].id
            message = (
                f"{len(node.betas)} rules have the same condition as this one (the same tests "
                f"in the same order; the first is '{first}'); durable-rules takes at most "
                f"{MAX_RULES_PER_CONDITION} rules with one condition; merge them"
            )
            yield node.betas[MAX_RULES_PER_CONDITION], message, False
        if len(node.listed) > MAX_BRANCHES_PER_TEST:
            message = (
                f"{len(node.listed)} 'or' branches and 'is unknown' tests, this rule's among "
                f"them, follow one same test in durable-rules, which takes at most "
                f"{MAX_BRANCHES_PER_TEST} after one test"
            )
            yield node.listed[MAX_BRANCHES_PER_TEST][1], message, False
        if len(node.hashed) > MAX_TESTS_PER_TEST:
            message = (
                f"{len(node.hashed)} different tests, this rule's among them, follow one same "
                f"test in durable-rules, which takes at most {MAX_TESTS_PER_TEST} after one test"
            )
            yield list(node.hashed.values())[MAX_TESTS_PER_TEST].born, message, False


def _evaluation_problems(rules: Sequence[Rule], network: Network, units: list[Unit]) -> _Found:
    """What makes durable refuse some profile while evaluating (its stack, error 303)."""
    if not rules or network.peak(units) <= MAX_MATCHED_AT_ONCE:
        return
    low, high = 0, len(rules)  # find the first rule whose addition passes the limit
    while high - low > 1:
        middle = (low + high) // 2
        if network.peak(units, middle) > MAX_MATCHED_AT_ONCE:
            high = middle
        else:
            low = middle
    yield (
        high - 1,
        (
            f"with the rules before it, this rule lets one profile pass "
            f"{network.peak(units, high)} tests at once in durable-rules, which follows at most "
            f"{MAX_MATCHED_AT_ONCE} at a time; give rules that can hold together a shared first "
            "test, or fewer 'or' branches that can hold together"
        ),
        False,
    )


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
        self._specs = ruleset.pack.fields
        self._fields = tuple(sorted(ruleset.fields_read))
        self._membership: dict[str, list[tuple[str, str]]] = {}
        for (name, value), key in membership.items():
            self._membership.setdefault(name, []).append((value, key))
        self._c: Any = importlib.import_module("durable_rules_engine")  # optional: imported here
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._known_ids = frozenset(definition)
        # The loader refuses these already; a RuleSet made by hand is checked
        # here, since past some limits durable compiles but answers wrongly.
        for problem in _problems(ruleset.rules, definition, membership, self._specs)[:1]:
            raise BackendError(
                f"durable-rules cannot take this rule set: rule '{problem.rule_id}': "
                f"{problem.message}"
            )
        try:
            self._handle = self._c.create_ruleset(
                f"neurotriage_{id(self):x}", json.dumps(definition, ensure_ascii=False)
            )
        except self._c.error as err:
            raise BackendError(f"durable-rules cannot compile this rule set: {err}") from err
        weakref.finalize(self, self._c.delete_ruleset, self._handle)

    def fact(self, profile: BaseModel) -> dict[str, Any]:
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

    def fired(self, profile: BaseModel) -> frozenset[str]:
        """The ids of every rule whose condition holds for ``profile``."""
        fact = self.fact(profile)
        with self._lock:
            sid = str(next(self._sids))
            fact["sid"] = sid
            try:
                status, state = self._c.assert_fact(
                    self._handle, json.dumps(fact, ensure_ascii=False)
                )
            except self._c.error as err:
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
                self._c.delete_state(self._handle, sid)

    def _collect(self, state: int) -> frozenset[str]:
        fired: set[str] = set()  # a rule with `or` fires once per matching disjunct
        started = self._c.start_action_for_state(self._handle, state)
        message = started[1] if started else None
        while message:
            rule_id = _rule_id(message)
            if rule_id not in self._known_ids:
                raise BackendError(f"durable-rules reported an unexpected action {rule_id!r}")
            fired.add(rule_id)
            message = self._c.complete_and_start_action(self._handle, state)
        fired.discard(HANDLED)
        return frozenset(fired)

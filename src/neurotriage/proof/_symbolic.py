"""A rule set as formulas: each field a finite-domain variable, each condition a formula.

The classes are those of :mod:`._space` (no condition can tell two values of
one class apart), but no class is built: a bool, enum or integer field is
one integer variable, the position of its class (unknown is position 0 when
the field may be unknown; an integer field keeps only the cuts the
conditions use); a list field is a boolean "known", one boolean per name a
condition tests and one for "only an item no condition names". Each
condition becomes a formula by evaluating its single-field tests on each
class representative with the reference semantics, so formula and engine
cannot drift apart. "Technique t is allowed" is "no rule that blocks t
fires"; referral, verdict and warnings are the same joins as ``combine()``.

A :class:`Profile` copy holds one profile's variables. A second copy that
differs in one field shares every other variable with the first, so a
property over pairs one step apart costs only the rules that read that field.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neurotriage.decision import REFERRAL_LEVELS, VERDICTS
from neurotriage.fields import FieldSpec
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
    compile_condition,
)
from neurotriage.proof._shape import conditions_of, int_classes, other_item, shape_of
from neurotriage.proof._solver import Logic, Query, Term
from neurotriage.ruleset import Rule, RuleSet

__all__ = ["Domain", "Encoding", "ListVars", "Profile", "domains_of"]


@dataclass(frozen=True)
class Domain:
    """The classes of one field the conditions read.

    A scalar field's classes are ``reps`` (one representative each, ``None``
    first when the field may be unknown); a list field's are unknown (when
    nullable), ``[]``, ``[other]`` and every non-empty set of ``members``.
    """

    name: str
    spec: FieldSpec
    reps: tuple[Any, ...] = ()
    members: tuple[str, ...] = ()
    other: str = ""

    @property
    def is_list(self) -> bool:
        return self.spec.kind == "list"

    @property
    def classes(self) -> int:
        if self.is_list:
            return (1 if self.spec.nullable else 0) + 2 + (1 << len(self.members)) - 1
        return len(self.reps)

    def steps(self, kind: str) -> list[tuple[int, int]]:
        """A scalar field's class positions one ``kind`` step apart (see InputSpace.steps)."""
        spec, reps = self.spec, self.reps
        if kind == "unknown":
            return [(i, 0) for i in range(1, len(reps))] if spec.nullable else []
        if kind == "clearance":
            return [(reps.index(False), reps.index(True))] if spec.relaxing else []
        if spec.relaxing:
            return []
        known = [i for i, rep in enumerate(reps) if rep is not None]
        pairs = list(itertools.pairwise(known))
        return [(b, a) for a, b in pairs] if spec.risk == "falling" else pairs

    def step_count(self, kind: str) -> int:
        """How many pairs of this field's classes are one ``kind`` step apart."""
        if not self.is_list:
            return len(self.steps(kind))
        if kind == "unknown":
            return self.classes - 1 if self.spec.nullable else 0
        if kind != "risk" or self.spec.relaxing:
            return 0
        named = len(self.members)  # [] -> one item, [other] -> one name, S -> S + one name
        return named + 1 + named * (1 << max(named - 1, 0)) if named else 1

    def values(self) -> list[Any]:
        """One representative per class, in class order (a list field's: every set of names)."""
        if not self.is_list:
            return list(self.reps)
        named = self.members
        subsets = [
            list(combo)
            for size in range(1, len(named) + 1)
            for combo in itertools.combinations(named, size)
        ]
        unknown: list[Any] = [None] if self.spec.nullable else []
        return [*unknown, [], [self.other], *subsets]

    def weighted(self, tested: frozenset[str]) -> list[tuple[Any, int]]:
        """One value per group of classes no test on ``tested`` names tells apart, and its size.

        A scalar field's classes are each their own group. A list field's
        non-empty sets of names are grouped by which ``tested`` names they
        hold, so a condition testing three of 25 names is split 2**3 ways,
        not 2**25.
        """
        if not self.is_list:
            return [(value, 1) for value in self.reps]
        inside = [m for m in self.members if m in tested]
        outside = [m for m in self.members if m not in tested]
        unknown: list[tuple[Any, int]] = [(None, 1)] if self.spec.nullable else []
        groups: list[tuple[Any, int]] = [*unknown, ([], 1), ([self.other], 1)]
        rest = 1 << len(outside)  # the sets of untested names each group may add
        for size in range(len(inside) + 1):
            for combo in itertools.combinations(inside, size):
                if combo:
                    groups.append((list(combo), rest))
                elif outside:  # only untested names: never empty
                    groups.append(([outside[0]], rest - 1))
        return groups

    def default_key(self) -> tuple[Any, ...]:
        return self.key(self.spec.default)

    def key(self, value: Any) -> tuple[Any, ...]:
        """Where the class of ``value`` sits in the space's order (its digit, sortable)."""
        if not self.is_list:
            return (self.position(value),)
        if value is None:
            return (0,)
        if not value:
            return (1,)
        if value == [self.other]:
            return (2,)
        return (3, len(value), tuple(value))

    def position(self, value: Any) -> int:
        """The class position of scalar ``value``."""
        if value is None or self.spec.kind != "int":
            return self.reps.index(value)
        return max(i for i, rep in enumerate(self.reps) if rep is not None and rep <= value)


def domains_of(rules: RuleSet, *others: RuleSet) -> tuple[dict[str, Domain], int]:
    """The domain of every field the rule sets' conditions read, and the space's exact size."""
    specs = rules.pack.fields
    conditions = [c for r in (rules, *others) for c in conditions_of(r)]
    conditions += [r.pack.red_flag_condition for r in (rules, *others) if r.pack.red_flag_condition]
    shape = shape_of(specs, conditions)
    domains: dict[str, Domain] = {}
    for name, spec in specs.items():
        if name not in shape.read:
            continue
        unknown: tuple[Any, ...] = (None,) if spec.nullable else ()
        if spec.kind == "list":
            members = shape.members.get(name, ())
            domains[name] = Domain(name, spec, members=members, other=other_item(members))
        elif spec.kind == "bool":
            domains[name] = Domain(name, spec, (*unknown, False, True))
        elif spec.kind == "enum":
            domains[name] = Domain(name, spec, (*unknown, *spec.values))
        else:
            classes = int_classes(spec, set(shape.cuts.get(name, ())))
            domains[name] = Domain(name, spec, (*unknown, *(low for low, _ in classes)))
    return domains, shape.size


@dataclass(frozen=True)
class ListVars:
    known: Term
    other: Term
    members: Mapping[str, Term]

    def items(self) -> list[Term]:
        return [self.other, *self.members.values()]


@dataclass
class Profile:
    """The variables of one profile (a copy shares those of ``base`` except ``changed``)."""

    id: int
    vars: dict[str, Any]
    base: Profile | None = None
    changed: frozenset[str] = frozenset()
    fires: dict[str, Term] = field(default_factory=dict)


class Encoding:
    """Formulas for one rule set's conditions and decisions, over profile copies."""

    def __init__(self, rules: RuleSet, domains: Mapping[str, Domain], logic: Logic) -> None:
        self.rules = rules
        self.domains = domains
        self.logic = logic
        self.specs = rules.pack.fields
        self._positions: dict[Condition, tuple[int, ...]] = {}
        self._copies = 0
        self.blockers: dict[str, list[Rule]] = {t: [] for t in rules.technique_ids}
        for rule in rules.rules:
            for technique in rule.block:
                self.blockers[technique].append(rule)

    # --- variables ---------------------------------------------------------------------------

    def profile(self, base: Profile | None = None, changed: Iterable[str] = ()) -> Profile:
        """A new copy: fresh variables for every field, or only ``changed`` ones beside ``base``."""
        self._copies += 1
        tag = self._copies
        names = list(self.domains) if base is None else list(changed)
        fresh = {name: self._variables(self.domains[name], tag) for name in names}
        if base is None:
            return Profile(tag, fresh)
        return Profile(tag, {**base.vars, **fresh}, base, frozenset(names))

    def _variables(self, domain: Domain, tag: int) -> Any:
        logic, name = self.logic, f"{domain.name}@{tag}"
        if not domain.is_list:
            return logic.natural(name)
        members = {m: logic.boolean(f"{name}[{i}]") for i, m in enumerate(domain.members)}
        return ListVars(logic.boolean(f"{name}.known"), logic.boolean(f"{name}.other"), members)

    def constraints(self, profile: Profile) -> Iterator[Term]:
        """The ranges of ``profile``'s own variables (not those it shares with its base)."""
        logic = self.logic
        own = profile.changed if profile.base is not None else profile.vars.keys()
        for name in own:
            domain, var = self.domains[name], profile.vars[name]
            if not domain.is_list:
                yield var >= 0
                yield var < len(domain.reps)
                continue
            if not domain.spec.nullable:
                yield var.known
            for item in var.items():  # unknown has no items; [other] has no named one
                yield logic.implies(item, var.known)
            for member in var.members.values():
                yield logic.implies(var.other, logic.negate(member))

    # --- conditions --------------------------------------------------------------------------

    def formula(
        self,
        node: Condition,
        profile: Profile,
        memo: dict[int, tuple[Condition, Term]] | None = None,
    ) -> Term:
        """``node`` as a formula over ``profile``'s variables.

        ``memo`` keeps each node's formula by the node's identity (it holds the
        node, so the identity stays its own): many formulas built from the same
        rules' conditions translate each condition once.
        """
        if memo is None:
            return self._formula(node, profile, None)
        found = memo.get(id(node))
        if found is not None and found[0] is node:
            return found[1]
        term = self._formula(node, profile, memo)
        memo[id(node)] = (node, term)
        return term

    def _formula(
        self, node: Condition, profile: Profile, memo: dict[int, tuple[Condition, Term]] | None
    ) -> Term:
        logic = self.logic
        if isinstance(node, Always):
            return logic.true
        if isinstance(node, Not):
            return logic.negate(self.formula(node.item, profile, memo))
        if isinstance(node, And):
            return logic.all_of(self.formula(item, profile, memo) for item in node.items)
        if isinstance(node, Or):
            return logic.any_of(self.formula(item, profile, memo) for item in node.items)
        if not isinstance(node, Compare | InSet | Known | Empty | Contains):  # pragma: no cover
            raise TypeError(f"unknown condition node {node!r}")
        domain, var = self.domains[node.field], profile.vars[node.field]
        if domain.is_list:
            return self._list_test(node, var)
        return self.among(var, self._satisfied(node, domain))

    def among(self, var: Term, positions: Sequence[int]) -> Term:
        """``var`` is one of ``positions`` (as a range where they are consecutive)."""
        logic = self.logic
        if not positions:
            return logic.false
        low, high = positions[0], positions[-1]
        if high - low + 1 == len(positions):
            return logic.all_of([var >= low, var <= high])
        return logic.any_of(var == p for p in positions)

    def _satisfied(self, node: Condition, domain: Domain) -> tuple[int, ...]:
        found = self._positions.get(node)
        if found is None:
            check = compile_condition(node, {domain.name: domain.spec})
            found = tuple(i for i, rep in enumerate(domain.reps) if check({domain.name: rep}))
            self._positions[node] = found
        return found

    def _list_test(self, node: Condition, var: ListVars) -> Term:
        logic = self.logic
        if isinstance(node, Known):
            return var.known if node.known else logic.negate(var.known)
        if isinstance(node, Contains):
            return var.members[node.value]
        if isinstance(node, Empty):
            some = logic.any_of(var.items())
            return logic.all_of([var.known, logic.negate(some) if node.empty else some])
        raise TypeError(f"{node!r} cannot test a list field")  # pragma: no cover

    # --- decisions ---------------------------------------------------------------------------

    def fires(self, rule: Rule, profile: Profile) -> Term:
        """Whether ``rule`` fires on ``profile``."""
        found = profile.fires.get(rule.id)
        if found is None:
            if profile.base is not None and not (rule.fields & profile.changed):
                found = self.fires(rule, profile.base)
            else:
                found = self.formula(rule.condition, profile)
            profile.fires[rule.id] = found
        return found

    def allowed(self, technique: str, profile: Profile) -> Term:
        blocking = self.blockers[technique]
        return self.logic.negate(self.logic.any_of(self.fires(r, profile) for r in blocking))

    def referral_at_least(self, level: str, profile: Profile) -> Term:
        rank = REFERRAL_LEVELS.index(level)
        if rank == 0:
            return self.logic.true
        return self.logic.any_of(
            self.fires(rule, profile)
            for rule in self.rules.rules
            if rule.refer is not None and REFERRAL_LEVELS.index(rule.refer) >= rank
        )

    def verdict_at_least(self, verdict: str, profile: Profile) -> Term:
        rank = VERDICTS.index(verdict)
        if rank == 0:
            return self.logic.true
        return self.logic.any_of(
            self.fires(rule, profile)
            for rule in self.rules.rules
            if rule.verdict is not None and VERDICTS.index(rule.verdict) >= rank
        )

    def verdict_is(self, verdict: str, profile: Profile) -> Term:
        rank = VERDICTS.index(verdict)
        above = VERDICTS[rank + 1] if rank + 1 < len(VERDICTS) else None
        at_least = self.verdict_at_least(verdict, profile)
        if above is None:
            return at_least
        return self.logic.all_of(
            [at_least, self.logic.negate(self.verdict_at_least(above, profile))]
        )

    def warns(self, code: str, profile: Profile) -> Term:
        return self.logic.any_of(
            self.fires(rule, profile)
            for rule in self.rules.rules
            if rule.warn is not None and rule.warn.code == code
        )

    def warning_codes(self) -> list[str]:
        return sorted({r.warn.code for r in self.rules.rules if r.warn is not None})

    # --- models ------------------------------------------------------------------------------

    def state(self, name: str, profile: Profile, value: Any) -> Term:
        """``profile``'s field ``name`` is in the class of ``value``."""
        logic, domain, var = self.logic, self.domains[name], profile.vars[name]
        if not domain.is_list:
            return var == domain.position(value)
        if value is None:
            return logic.negate(var.known)
        chosen = set(value) if value != [domain.other] else set()
        literals = [var.known, var.other if value == [domain.other] else logic.negate(var.other)]
        for member, item in var.members.items():
            literals.append(item if member in chosen else logic.negate(item))
        return logic.all_of(literals)

    def off_default(self, profile: Profile) -> list[Term]:
        """One boolean per field: the field is away from its default."""
        return [
            self.logic.negate(self.state(name, profile, domain.spec.default))
            for name, domain in self.domains.items()
        ]

    def read(self, query: Query, profile: Profile) -> dict[str, Any]:
        """The representative value of every field of ``profile`` in the last model."""
        values: dict[str, Any] = {}
        for name, domain in self.domains.items():
            var = profile.vars[name]
            if not domain.is_list:
                values[name] = domain.reps[query.value(var)]
            elif not query.truth(var.known):
                values[name] = None
            elif query.truth(var.other):
                values[name] = [domain.other]
            else:
                values[name] = [m for m, item in var.members.items() if query.truth(item)]
        return values

    def data(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A whole profile's data: ``values``, and every field no condition reads at its default."""
        return {name: values.get(name, spec.default) for name, spec in self.specs.items()}

    def key(self, values: Mapping[str, Any]) -> tuple[int, tuple[Any, ...]]:
        """(fields away from their default, the class index's digits): smaller is shown first."""
        off = sum(1 for name, d in self.domains.items() if d.key(values[name]) != d.default_key())
        return off, tuple(d.key(values[name]) for name, d in self.domains.items())

    def count(self, names: Iterable[str]) -> int:
        """How many classes the fields ``names`` have together."""
        return math.prod(self.domains[name].classes for name in names)

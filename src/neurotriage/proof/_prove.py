"""The symbolic proof behind verify(): each property as one query per field or invariant.

Every property is stated as "some profile (or pair of profiles one step
apart in one field) violates it"; the solver either proves that no such
profile exists, or returns one. The answer is minimised (:mod:`._search`)
and then re-evaluated through the engines on every backend available here,
and the problems printed are those of the real decisions: a counterexample
the engines do not confirm is an error, never a report.

Nothing here enumerates the space: the number of profiles a property covers
is counted from the fields' class counts, and an invariant's region by
enumerating only the fields its condition reads.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from neurotriage.decision import REFERRAL_LEVELS, STARTING_VERDICTS, VERDICTS, Outcome
from neurotriage.engines import durable_available
from neurotriage.language import Contains, walk
from neurotriage.pipeline.combine import combine
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.proof._checks import (
    STEPS,
    clearance_relaxes,
    riskier,
    unknown_not_safer,
    verdict_problems,
)
from neurotriage.proof._count import count_where
from neurotriage.proof._search import Search
from neurotriage.proof._solver import Logic, Term
from neurotriage.proof._symbolic import Encoding, Profile, domains_of
from neurotriage.ruleset import Invariant, Rule, RuleSet

__all__ = ["Found", "Prover", "rule_roles"]

#: backends-agree enumerates at most this many classes of one rule's own fields
MAX_OWN_CLASSES = 1 << 16

PairCheck = Callable[[Outcome, Outcome], list[str]]
_PAIR_CHECKS: dict[str, PairCheck] = {
    "risk": riskier,
    "unknown": unknown_not_safer,
    "clearance": clearance_relaxes,
}


@dataclass(frozen=True)
class Found:
    """A confirmed violation: the profile(s), the rules each fired, the real problems."""

    profiles: tuple[BaseModel, ...]
    fired: tuple[tuple[str, ...], ...]
    problems: tuple[str, ...]
    field: str | None = None


class Prover:
    """Proves one rule set's properties symbolically, each query within ``seconds``."""

    def __init__(self, rules: RuleSet, seconds: float) -> None:
        self.rules = rules
        self.seconds = seconds
        self.domains, self.size = domains_of(rules)
        self.logic = Logic()
        self.encoding = Encoding(rules, self.domains, self.logic)
        self.backends = ("reference", "durable") if durable_available() is None else ("reference",)

    # --- counting ----------------------------------------------------------------------------

    def steps(self, kind: str) -> int:
        """How many pairs of profiles one ``kind`` step apart the space holds."""
        total = 0
        for domain in self.domains.values():
            total += domain.step_count(kind) * (self.size // domain.classes)
        return total

    def region(self, invariant: Invariant) -> int:
        """How many classes of the space ``invariant``'s condition holds on."""
        names = invariant.condition_fields
        held = count_where(invariant.condition, self.domains)
        return held * (self.size // math.prod(self.domains[n].classes for n in names))

    # --- single profiles ---------------------------------------------------------------------

    def invariant(self, invariant: Invariant) -> Found | None:
        """A profile where ``invariant``'s condition holds and its expectations fail."""
        enc = self.encoding
        x = enc.profile()
        search = Search(enc, [x], self.seconds, invariant.id)
        search.require(enc.formula(invariant.condition, x), self._violates(invariant, x))
        if not search.holds():
            return None
        (values,) = search.smallest(x)
        return self._confirm([values], lambda o: invariant.violations(o[0]))

    def _violates(self, invariant: Invariant, x: Profile) -> Term:
        enc, logic = self.encoding, self.logic
        parts: list[Term] = []
        catalogue = self.rules.technique_ids
        if invariant.allowed_only is not None:
            parts += [enc.allowed(t, x) for t in catalogue if t not in invariant.allowed_only]
        parts += [enc.allowed(t, x) for t in catalogue if t in invariant.not_allowed]
        if invariant.referral_at_least is not None:
            parts.append(logic.negate(enc.referral_at_least(invariant.referral_at_least, x)))
        if invariant.verdict_in is not None:
            wanted = [v for v in VERDICTS if v in invariant.verdict_in]
            parts.append(logic.negate(logic.any_of(enc.verdict_is(v, x) for v in wanted)))
        parts += [logic.negate(enc.warns(code, x)) for code in sorted(invariant.warns)]
        return logic.any_of(parts)

    def verdict_matches(self) -> Found | None:
        """A profile whose verdict invites a start with nothing allowed, or the other way."""
        enc, logic = self.encoding, self.logic
        x = enc.profile()
        search = Search(enc, [x], self.seconds, "verdict-matches-allowed")
        starting = logic.any_of(enc.verdict_is(v, x) for v in VERDICTS if v in STARTING_VERDICTS)
        some = logic.any_of(enc.allowed(t, x) for t in self.rules.technique_ids)
        search.require(
            logic.any_of(
                [
                    logic.all_of([starting, logic.negate(some)]),
                    logic.all_of([logic.negate(starting), some]),
                ]
            )
        )
        if not search.holds():
            return None
        (values,) = search.smallest(x)
        return self._confirm([values], lambda o: verdict_problems(o[0]))

    # --- pairs -------------------------------------------------------------------------------

    def step(self, kind: str) -> Found | None:
        """The smallest pair one ``kind`` step apart (in any field) that breaks its property."""
        what = next(prop for prop, k, _, _ in STEPS if k == kind)
        x = self.encoding.profile()
        search = Search(self.encoding, [x], self.seconds, what)
        best: tuple[Any, ...] | None = None
        for position, (name, domain) in enumerate(self.domains.items()):
            if not domain.step_count(kind):
                continue
            search.what = f"{what} (field {name})"
            found = self._step_in(search, x, name, kind)
            if found is not None:
                key = (*self.encoding.key(found[0]), position)
                if best is None or key < best[0]:
                    best = (key, name, found)
        if best is None:
            return None
        _, name, (before, after) = best
        real = self._confirm([before, after], lambda o: _PAIR_CHECKS[kind](o[0], o[1]))
        return Found(real.profiles, real.fired, real.problems, name)

    def _step_in(
        self, search: Search, x: Profile, name: str, kind: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        enc = self.encoding
        reading = {r.id for r in self.rules.rules if name in r.fields}
        if not reading:
            return None  # no rule can tell the two profiles apart
        y = enc.profile(x, [name])
        with search.trying(y):
            search.require(self._stepped(name, kind, x, y))
            low, high = (y, x) if kind == "clearance" else (x, y)
            search.require(self._breaks(kind, low, high, reading))
            if not search.holds():
                return None
            before, after = search.smallest(x, y)
            return before, after

    def _stepped(self, name: str, kind: str, x: Profile, y: Profile) -> Term:
        """``y`` is ``x`` one ``kind`` step further in field ``name``."""
        logic, domain = self.logic, self.domains[name]
        xv, yv = x.vars[name], y.vars[name]
        if not domain.is_list:
            return logic.any_of(logic.all_of([xv == a, yv == b]) for a, b in domain.steps(kind))
        if kind == "unknown":
            return logic.all_of([xv.known, logic.negate(yv.known)])
        x_items = list(xv.members.values())
        y_items = list(yv.members.values())
        empty = logic.negate(logic.any_of(xv.items()))
        one_more = logic.all_of(
            [
                logic.negate(yv.other),
                *(logic.implies(a, b) for a, b in zip(x_items, y_items, strict=True)),
                logic.count(y_items) == logic.count(x_items) + 1,
            ]
        )
        to_other = logic.all_of([empty, yv.other])
        return logic.all_of([xv.known, yv.known, logic.any_of([to_other, one_more])])

    def _breaks(self, kind: str, low: Profile, high: Profile, reading: set[str]) -> Term:
        """``high``'s decision is less safe than ``low``'s in the way ``kind`` forbids.

        For ``risk``, ``high`` is the riskier profile; for ``unknown``, the one
        with the unknown answer; for ``clearance``, the one not yet cleared.
        Only rules that read the changed field can differ between the two.
        """
        enc, logic, rules = self.encoding, self.logic, self.rules.rules
        changing = [
            t for t in self.rules.technique_ids if any(r.id in reading for r in enc.blockers[t])
        ]
        # the riskier (or unknown, or not yet cleared) profile allows something the other does not
        parts = [
            logic.all_of([enc.allowed(t, high), logic.negate(enc.allowed(t, low))])
            for t in changing
        ]
        if kind == "unknown":
            return logic.any_of(parts)
        top = max(
            (REFERRAL_LEVELS.index(r.refer) for r in rules if r.id in reading and r.refer),
            default=0,
        )
        for level in REFERRAL_LEVELS[1 : top + 1]:  # a level no reading rule gives cannot change
            at_low, at_high = enc.referral_at_least(level, low), enc.referral_at_least(level, high)
            parts.append(logic.all_of([at_low, logic.negate(at_high)]))
        if kind == "risk":
            codes = {r.warn.code for r in rules if r.id in reading and r.warn is not None}
            parts += [
                logic.all_of([enc.warns(code, low), logic.negate(enc.warns(code, high))])
                for code in sorted(codes)
            ]
        return logic.any_of(parts)

    # --- one profile per rule ----------------------------------------------------------------

    def firing(self) -> dict[str, BaseModel | None]:
        """For every rule, a profile it fires on (not minimised), or None if it never fires."""
        enc = self.encoding
        x = enc.profile()
        search = Search(enc, [x], self.seconds, "which rules can fire")
        found: dict[str, BaseModel | None] = {}
        for rule in self.rules.rules:
            if search.holds(enc.fires(rule, x)):
                values = enc.read(search.query, x)
                found[rule.id] = self.rules.pack.validate(enc.data(values))
            else:
                found[rule.id] = None
        return found

    def own_fields(self, rule: Rule) -> tuple[list[BaseModel], bool]:
        """Every class of just ``rule``'s fields that it can tell apart (the rest at defaults).

        A list field's sets of names are grouped by which of the names the
        rule tests they hold. Returns the profiles and whether they are all of
        them: past MAX_OWN_CLASSES, a fixed sample of that many stands in.
        """
        names = [name for name in self.domains if name in rule.fields]
        tested = {
            name: frozenset(
                n.value for n in walk(rule.condition) if isinstance(n, Contains) and n.field == name
            )
            for name in names
        }
        options = [[v for v, _ in self.domains[n].weighted(tested[n])] for n in names]
        validate, data = self.rules.pack.validate, self.encoding.data
        whole = math.prod(len(o) for o in options) <= MAX_OWN_CLASSES
        if whole:
            combos: Iterable[tuple[Any, ...]] = itertools.product(*options)
        else:
            chance = random.Random(rule.id)  # noqa: S311 - a repeatable sample, not a secret
            combos = (tuple(chance.choice(o) for o in options) for _ in range(MAX_OWN_CLASSES))
        profiles = [validate(data(dict(zip(names, c, strict=True)))) for c in combos]
        return profiles, whole

    # --- confirmation ------------------------------------------------------------------------

    def _confirm(
        self, found: Sequence[Mapping[str, Any]], problems_of: Callable[[list[Outcome]], list[str]]
    ) -> Found:
        """Re-evaluate the solver's profiles on every backend; raise unless all confirm."""
        profiles = tuple(self.rules.pack.validate(self.encoding.data(v)) for v in found)
        fired: tuple[tuple[str, ...], ...] = ()
        problems: list[str] = []
        for backend in self.backends:
            engine = compiled_engine(self.rules, backend)
            fired_sets = [engine.fired(p) for p in profiles]
            outcomes = [
                Outcome.of(combine(self.rules, p, f))
                for p, f in zip(profiles, fired_sets, strict=True)
            ]
            problems = problems_of(outcomes)
            if not problems:
                raise AssertionError(
                    f"the solver's counterexample is not confirmed by the {backend} backend: "
                    f"{[p.model_dump(mode='json') for p in profiles]}"
                )
            if backend == "reference":
                fired = tuple(tuple(sorted(f)) for f in fired_sets)
        return Found(profiles, fired, tuple(problems))


def rule_roles(prover: Prover) -> tuple[set[str], set[str], set[str]]:
    """Rules that can never fire, rules whose removal changes no decision, dead invariants.

    A rule matters where it fires and gives something no other fired rule
    gives: a block, the highest referral or verdict, a warning code, or a
    question about a field that is unknown there (the joins of the decision).
    One query per rule asks whether there is such a profile.
    """
    enc, logic, rules = prover.encoding, prover.logic, prover.rules.rules
    x = enc.profile()
    search = Search(enc, [x], prover.seconds, "lint")
    dead, shadowed, dead_invariants = set(), set(), set()
    referral = {r.id: REFERRAL_LEVELS.index(r.refer) if r.refer else 0 for r in rules}
    verdict = {r.id: VERDICTS.index(r.verdict) if r.verdict else 0 for r in rules}
    specs = prover.rules.pack.fields

    def unknown(name: str) -> Term:
        if name in prover.domains:
            return enc.state(name, x, None)
        return logic.true if specs[name].default is None else logic.false

    def none_of(others: list[Any]) -> Term:
        return logic.negate(logic.any_of(enc.fires(o, x) for o in others))

    for rule in rules:
        search.what = f"lint (rule {rule.id})"
        others = [o for o in rules if o.id != rule.id]
        alone: list[Term] = [
            none_of([o for o in others if technique in o.block]) for technique in rule.block
        ]
        if referral[rule.id]:
            alone.append(none_of([o for o in others if referral[o.id] >= referral[rule.id]]))
        if verdict[rule.id]:
            alone.append(none_of([o for o in others if verdict[o.id] >= verdict[rule.id]]))
        if rule.warn is not None:
            code = rule.warn.code
            alone.append(none_of([o for o in others if o.warn is not None and o.warn.code == code]))
        for name in rule.ask:
            if specs[name].nullable:
                askers = [o for o in others if name in o.ask]
                alone.append(logic.all_of([unknown(name), none_of(askers)]))
        fires = enc.fires(rule, x)
        if not search.holds(fires):
            dead.add(rule.id)
        elif not search.holds(fires, logic.any_of(alone)):
            shadowed.add(rule.id)
    for invariant in prover.rules.invariants:
        search.what = f"lint (invariant {invariant.id})"
        if not search.holds(enc.formula(invariant.condition, x)):
            dead_invariants.add(invariant.id)
    return dead, shadowed, dead_invariants

"""The one module that talks to the SMT solver (z3): terms, queries, models.

Everything symbolic in :mod:`neurotriage.analysis` is written against this
small vocabulary (booleans, small non-negative integers, and/or/not, counts)
so the rest of the package never imports the solver, and another solver
could replace z3 here alone.

Every :class:`Logic` has its own solver context, so two proofs may run in
two threads at once. A query that the solver cannot decide within its time
budget answers ``"unknown"``: the caller must report it, never read it as a
proof.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeAlias

import z3

__all__ = ["Answer", "Logic", "Query", "Term"]

#: A formula or an integer term of one Logic (a z3 expression; opaque elsewhere).
Term: TypeAlias = Any
Answer = Literal["sat", "unsat", "unknown"]


class Logic:
    """Builds the terms of one proof, in a solver context of its own."""

    def __init__(self) -> None:
        self.ctx = z3.Context()
        self.true = z3.BoolVal(True, self.ctx)
        self.false = z3.BoolVal(False, self.ctx)
        self._count = 0

    def boolean(self, name: str) -> Term:
        """A fresh boolean variable."""
        return z3.Bool(name, self.ctx)

    def natural(self, name: str) -> Term:
        """A fresh integer variable (its range is the caller's to constrain)."""
        return z3.Int(name, self.ctx)

    def flag(self) -> Term:
        """A fresh boolean no one else names (an assumption literal)."""
        self._count += 1
        return z3.Bool(f"_a{self._count}", self.ctx)

    def number(self, value: int) -> Term:
        return z3.IntVal(value, self.ctx)

    def all_of(self, items: Iterable[Term]) -> Term:
        terms = [t for t in items if not z3.is_true(t)]
        if any(z3.is_false(t) for t in terms):
            return self.false
        if not terms:
            return self.true
        return terms[0] if len(terms) == 1 else z3.And(terms)

    def any_of(self, items: Iterable[Term]) -> Term:
        terms = [t for t in items if not z3.is_false(t)]
        if any(z3.is_true(t) for t in terms):
            return self.true
        if not terms:
            return self.false
        return terms[0] if len(terms) == 1 else z3.Or(terms)

    def negate(self, item: Term) -> Term:
        if z3.is_true(item):
            return self.false
        if z3.is_false(item):
            return self.true
        return z3.Not(item)

    def implies(self, first: Term, second: Term) -> Term:
        return self.any_of([self.negate(first), second])

    def same(self, first: Term, second: Term) -> Term:
        """``first == second`` (booleans or integers)."""
        return first == second

    def at_most(self, items: Sequence[Term], bound: int) -> Term:
        """At most ``bound`` of the boolean ``items`` hold."""
        if len(items) <= bound:
            return self.true
        return z3.AtMost(*items, bound)

    def count(self, items: Sequence[Term]) -> Term:
        """How many of the boolean ``items`` hold, as an integer term."""
        if not items:
            return self.number(0)
        return z3.Sum([z3.If(item, 1, 0, self.ctx) for item in items])

    def query(self, seconds: float) -> Query:
        """A fresh query that gives up after ``seconds`` per check."""
        return Query(self, seconds)


class Query:
    """One solver: assertions, checks under assumptions, the last model."""

    def __init__(self, logic: Logic, seconds: float) -> None:
        self.logic = logic
        self._solver = z3.SolverFor("QF_LIA", ctx=logic.ctx)
        self._solver.set("timeout", max(1, int(seconds * 1000)))
        self._model: Any = None

    def add(self, *terms: Term) -> None:
        self._solver.add(*terms)

    def push(self) -> None:
        self._solver.push()

    def pop(self) -> None:
        self._solver.pop()

    def check(self, *assumptions: Term) -> Answer:
        """Whether the assertions (and ``assumptions``) can all hold."""
        result = self._solver.check(*assumptions)
        answer: Answer = "sat" if result == z3.sat else "unsat" if result == z3.unsat else "unknown"
        self._model = self._solver.model() if answer == "sat" else None
        return answer

    def core(self) -> list[Term]:
        """After an ``unsat`` check: assumptions that alone make it unsatisfiable."""
        return list(self._solver.unsat_core())

    def truth(self, term: Term) -> bool:
        """The value of boolean ``term`` in the last model."""
        return bool(z3.is_true(self._model.eval(term, model_completion=True)))

    def value(self, term: Term) -> int:
        """The value of integer ``term`` in the last model."""
        return int(self._model.eval(term, model_completion=True).as_long())

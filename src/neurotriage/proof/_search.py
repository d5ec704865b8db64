"""Ask the solver for a profile (or a pair) with some property, the smallest there is.

"Smallest" is the order the enumeration uses to pick its counterexample:
fewest fields away from their defaults first, then the lowest class index
(the fields' class positions read as digits, in the pack's field order).
The solver's first answer is minimised in that order, one field at a time,
so the symbolic and the enumerated proofs print the same counterexample.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from neurotriage._errors import UndecidedError
from neurotriage.proof._solver import Query, Term
from neurotriage.proof._symbolic import Encoding, Profile

__all__ = ["Search"]


class Search:
    """One query over ``profiles`` of an encoding, within a time budget per check."""

    def __init__(
        self, encoding: Encoding, profiles: Iterable[Profile], seconds: float, what: str
    ) -> None:
        self.encoding = encoding
        self.logic = encoding.logic
        self.profiles = list(profiles)
        self.what = what
        self.seconds = seconds
        self.query: Query = self.logic.query(seconds)
        for profile in self.profiles:
            self.query.add(*encoding.constraints(profile))

    @contextlib.contextmanager
    def trying(self, *profiles: Profile) -> Iterator[None]:
        """A scope for more ``profiles`` and requirements, all dropped when it ends."""
        self.query.push()
        kept = list(self.profiles)
        try:
            for profile in profiles:
                self.query.add(*self.encoding.constraints(profile))
                self.profiles.append(profile)
            yield
        finally:
            self.profiles = kept
            self.query.pop()

    def require(self, *terms: Term) -> None:
        self.query.add(*terms)

    def holds(self, *terms: Term) -> bool:
        """Whether the query can be satisfied with ``terms`` too (its model kept if so)."""
        flags = []
        for term in terms:
            flag = self.logic.flag()
            self.query.add(self.logic.implies(flag, term))
            flags.append(flag)
        answer = self.query.check(*flags)
        if answer == "unknown":
            raise UndecidedError(self.what, self.seconds)
        return answer == "sat"

    def smallest(self, subject: Profile, changed: Profile | None = None) -> list[dict[str, Any]]:
        """After a satisfiable check: the smallest model, read for every profile.

        ``subject`` is minimised first (fields away from default, then digits);
        then, for a pair, the field ``changed`` changes in.
        """
        encoding = self.encoding
        off = encoding.off_default(subject)
        current = sum(1 for term in off if self.query.truth(term))
        low, high = 0, current
        while low < high:
            middle = (low + high) // 2
            if self.holds(self.logic.at_most(off, middle)):
                high = middle
            else:
                low = middle + 1
        self.require(self.logic.at_most(off, low))
        for name in encoding.domains:
            self._lowest(name, subject)
        if changed is not None:
            for name in changed.changed:
                self._lowest(name, changed)
        if not self.holds():  # pragma: no cover - every step kept the query satisfiable
            raise AssertionError("the minimised query became unsatisfiable")
        return [encoding.read(self.query, profile) for profile in self.profiles]

    def _lowest(self, name: str, profile: Profile) -> None:
        """Fix ``name`` of ``profile`` to the lowest class the query still allows."""
        if not self.holds():  # pragma: no cover - every step kept the query satisfiable
            raise AssertionError("the minimised query became unsatisfiable")
        domain, var, logic = self.encoding.domains[name], profile.vars[name], self.logic
        if not domain.is_list:
            low, high = 0, self.query.value(var)
            while low < high:
                middle = (low + high) // 2
                if self.holds(var <= middle):
                    high = middle
                else:
                    low = middle + 1
            self.require(var == low)
            return
        items = var.items()
        some = logic.any_of(items)
        for state in (
            [logic.negate(var.known)],
            [var.known, logic.negate(some)],
            [var.known, var.other],
        ):
            if self.holds(*state):
                self.require(*state)
                return
        members = list(var.members.values())
        self.holds()  # the model of the last satisfiable check, to start from
        size, most = 1, sum(1 for item in members if self.query.truth(item))
        while size < most and not self.holds(logic.count(members) == size):
            size += 1
        self.require(var.known, logic.negate(var.other), logic.count(members) == size)
        for item in members:
            self.require(item if self.holds(item) else logic.negate(item))

"""What an analysis of the whole input space may cost, checked before it starts.

The analyses enumerate every class of the input space, and the space is the
product of the fields' class counts: one rule testing twelve names with
``"x" in other_conditions`` makes it 4,098 times larger. Rather than run out
of memory or run for hours, each analysis estimates its cost from the size
of the space and the number of rules, before it does any work, and refuses
with :class:`SpaceTooLargeError` when the estimate passes about a minute or 2 GB.
The error says the size, the limit and which fields make the space large.

The costs are measured (``bench/run.py``'s verify timing, and custom rule
sets of 29 to 228 rules over 100,000 to 630,000 classes, on a 2-core
machine): ``verify`` spends about 11 us per class plus 0.46 us per class
and rule; its memory is about 150 bytes per class plus 1.5 per class and
rule. The other analyses are scaled from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neurotriage._errors import NeurotriageError
from neurotriage.proof import QUERY_SECONDS, Progress

__all__ = [
    "MAX_BYTES",
    "MAX_FIELD_CLASSES",
    "MAX_SECONDS",
    "QUERY_SECONDS",
    "Cost",
    "FieldSize",
    "Progress",
    "SpaceTooLargeError",
    "check_combinations",
    "check_cost",
    "check_field_classes",
    "largest",
]

#: An analysis that would take longer than this (on the machine the costs were
#: measured on) is refused before it starts.
MAX_SECONDS = 60.0
#: ... and so is one that would need more memory than this.
MAX_BYTES = 2 * 1024**3
#: No field is split into more classes than this: a list field whose items
#: 17 or more names are tested against would be, and its classes alone would
#: not fit in memory long before the space is enumerated.
MAX_FIELD_CLASSES = 2**16 + 3


@dataclass(frozen=True)
class Cost:
    """How much one class of the space costs an analysis: time and memory, per rule too."""

    us_per_class: float
    us_per_class_rule: float
    bytes_per_class: float = 150.0
    bytes_per_class_rule: float = 1.5

    def seconds(self, classes: int, rules: int) -> float:
        """Estimated seconds for ``classes`` classes and ``rules`` rules."""
        return classes * (self.us_per_class + self.us_per_class_rule * rules) / 1e6

    def memory(self, classes: int, rules: int) -> float:
        """Estimated bytes for ``classes`` classes and ``rules`` rules."""
        return classes * (self.bytes_per_class + self.bytes_per_class_rule * rules)

    def max_classes(self, rules: int) -> int:
        """The largest space this analysis takes with ``rules`` rules."""
        by_time = MAX_SECONDS * 1e6 / (self.us_per_class + self.us_per_class_rule * rules)
        by_memory = MAX_BYTES / (self.bytes_per_class + self.bytes_per_class_rule * rules)
        return math.floor(min(by_time, by_memory))


@dataclass(frozen=True)
class FieldSize:
    """How many classes one field has in the space, and why."""

    name: str
    classes: int
    why: str


class SpaceTooLargeError(NeurotriageError, ValueError):
    """An analysis would take too long or too much memory; nothing was done.

    ``what`` is the analysis, ``size`` the number of classes it would walk
    (a Python int, exact), ``limit`` the most it takes, and ``fields`` the
    fields that make the space large, largest first.
    """

    def __init__(
        self,
        what: str,
        size: int,
        limit: int,
        fields: Sequence[FieldSize],
        *,
        per_field: bool = False,
        unit: str = "classes of input",
    ) -> None:
        self.what, self.size, self.limit, self.per_field = what, size, limit, per_field
        self.unit = unit
        self.fields = tuple(fields)
        large = [f for f in self.fields if f.classes > 1][:4]
        because = "; ".join(f"{f.name}: {f.classes:,} classes ({f.why})" for f in large)
        if per_field:
            head = (
                f"{what} cannot be built: a field would have more than {limit:,} classes "
                f"(the whole space: {_count(size)} classes)"
            )
        else:
            head = (
                f"{what} would walk {_count(size)} {unit}, more than the "
                f"{limit:,} it can check within about {MAX_SECONDS:.0f} s and "
                f"{MAX_BYTES // 1024**3} GB, so it was not started"
            )
        super().__init__(
            f"{head}. The space is the product of the fields' classes; the largest: "
            f"{because or 'none'}. Test fewer names or thresholds, or split the rule set"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # exceptions pickle as cls(*args), and args holds only the message
        options = {"per_field": self.per_field, "unit": self.unit}
        return (_rebuild, ((self.what, self.size, self.limit, self.fields), options))


def _rebuild(args: tuple[Any, ...], options: dict[str, Any]) -> SpaceTooLargeError:
    return SpaceTooLargeError(*args, **options)


def _count(size: int) -> str:
    """A class count for a message: exact when short, else with its power of ten."""
    if size < 10**15:
        return f"{size:,}"
    return f"about 10^{len(str(size)) - 1} ({size:.3e})"


def largest(fields: Mapping[str, FieldSize]) -> list[FieldSize]:
    """The fields by class count, largest first (ties in field order)."""
    return sorted(fields.values(), key=lambda f: -f.classes)


def check_cost(
    what: str,
    size: int,
    rules: int,
    cost: Cost,
    fields: Mapping[str, FieldSize],
    *,
    unit: str = "classes of input",
) -> None:
    """Raise :class:`SpaceTooLargeError` if walking ``size`` classes would cost too much."""
    limit = cost.max_classes(rules)
    if size > limit:
        raise SpaceTooLargeError(what, size, limit, largest(fields), unit=unit)


def check_field_classes(what: str, size: int, fields: Mapping[str, FieldSize]) -> None:
    """Raise :class:`SpaceTooLargeError` if some field has more than MAX_FIELD_CLASSES classes."""
    if any(f.classes > MAX_FIELD_CLASSES for f in fields.values()):
        raise SpaceTooLargeError(what, size, MAX_FIELD_CLASSES, largest(fields), per_field=True)


#: verify with the reference backend (measured; see the module docs).
VERIFY = Cost(us_per_class=11.0, us_per_class_rule=0.46)
#: verify with durable also evaluates every class on durable, profile by profile.
VERIFY_DURABLE = Cost(us_per_class=120.0, us_per_class_rule=0.6)
#: lint enumerates the space once and checks each rule's removal per distinct
#: set of fired rules (measured: 22 s for 2,028 rules over 419,904 classes).
LINT = Cost(us_per_class=2.5, us_per_class_rule=0.03)
#: diff enumerates both rule sets over the shared space (pass both rule counts).
DIFF = Cost(us_per_class=5.0, us_per_class_rule=0.035)
#: counterfactuals evaluate one profile per single change and per pair of changes.
COUNTERFACTUALS = Cost(us_per_class=30.0, us_per_class_rule=0.1)
#: the strategies list every class combination of one condition's fields.
STRATEGIES = Cost(us_per_class=3.0, us_per_class_rule=0.0, bytes_per_class=400.0)


def check_combinations(what: str, combinations: int, fields: Mapping[str, FieldSize]) -> None:
    """Raise :class:`SpaceTooLargeError` if listing ``combinations`` of classes costs too much.

    The hypothesis strategies list every combination of the classes of one
    condition's fields, to draw from the ones where it holds.
    """
    check_cost(what, combinations, 0, STRATEGIES, fields, unit="class combinations")

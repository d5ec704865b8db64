"""Proving a rule set's safety properties symbolically, at any size of input space.

The solver sits behind :mod:`._solver` alone. :mod:`._shape` says what the
conditions tell apart, :mod:`._symbolic` turns a rule set into formulas,
:mod:`._search` finds and minimises a counterexample, :mod:`._count`
counts the classes a condition holds on, :mod:`._compare` finds and counts
where two rule sets decide differently, :mod:`._prove` states
each property as a query, and :func:`prove` assembles the report that
:func:`neurotriage.analysis.verify` returns. The loader proves every pack
with it before a rule set is served; :mod:`neurotriage.analysis` adds the
enumeration that cross-checks it, lint, diff and the rest.
"""

from neurotriage.proof._checks import (
    AGREEMENT,
    RANK,
    STARTING,
    STEPS,
    clearance_relaxes,
    partition_problems,
    red_flag_invariant,
    riskier,
    skipped_agreement,
    skipped_red_flags,
    skipped_step,
    unknown_not_safer,
    verdict_problems,
)
from neurotriage.proof._compare import COUNT_STEPS, Comparison, Seen
from neurotriage.proof._proof import QUERY_SECONDS, prove
from neurotriage.proof._prove import Found, Prover, rule_roles
from neurotriage.proof._report import (
    Counterexample,
    Method,
    Progress,
    PropertyResult,
    Status,
    VerifyReport,
    shown,
)
from neurotriage.proof._shape import (
    OTHER_ITEM,
    Shape,
    conditions_of,
    int_classes,
    other_item,
    shape_of,
)

__all__ = [
    "AGREEMENT",
    "COUNT_STEPS",
    "OTHER_ITEM",
    "QUERY_SECONDS",
    "RANK",
    "STARTING",
    "STEPS",
    "Comparison",
    "Counterexample",
    "Found",
    "Method",
    "Progress",
    "PropertyResult",
    "Prover",
    "Seen",
    "Shape",
    "Status",
    "VerifyReport",
    "clearance_relaxes",
    "conditions_of",
    "int_classes",
    "other_item",
    "partition_problems",
    "prove",
    "red_flag_invariant",
    "riskier",
    "rule_roles",
    "shape_of",
    "shown",
    "skipped_agreement",
    "skipped_red_flags",
    "skipped_step",
    "unknown_not_safer",
    "verdict_problems",
]

"""Analysis of a rule set over its whole (finite) input space.

:func:`input_space` derives the classes of values no rule can tell apart;
:func:`verify` proves the safety properties and declared invariants on every
class; :func:`lint` finds likely mistakes; :func:`diff` compares two rule
sets; :func:`counterfactuals` finds the answers that would change a verdict;
:func:`rule_coverage` counts which rules a corpus exercises.

Each analysis that walks the whole space checks its size first and raises
:class:`SpaceTooLargeError` (naming the fields that make it large) rather
than run for more than about :data:`MAX_SECONDS` or :data:`MAX_BYTES`.
"""

from neurotriage.analysis._budget import (
    MAX_BYTES,
    MAX_SECONDS,
    QUERY_SECONDS,
    FieldSize,
    SpaceTooLargeError,
    check_combinations,
    check_field_classes,
)
from neurotriage.analysis._counterfactual import (
    Counterfactual,
    Counterfactuals,
    FieldChange,
    counterfactuals,
)
from neurotriage.analysis._coverage import CoverageRecorder, RuleCoverage, rule_coverage
from neurotriage.analysis._diff import Change, ChangeGroup, RuleSetDiff, WordingChange, diff
from neurotriage.analysis._lint import Finding, lint, lint_path
from neurotriage.analysis._pack_diff import PackChange
from neurotriage.analysis._space import InputSpace, input_space, other_item, red_flag_condition
from neurotriage.analysis._verify import Counterexample, PropertyResult, VerifyReport, verify

__all__ = [
    "MAX_BYTES",
    "MAX_SECONDS",
    "QUERY_SECONDS",
    "Change",
    "ChangeGroup",
    "Counterexample",
    "Counterfactual",
    "Counterfactuals",
    "CoverageRecorder",
    "FieldChange",
    "FieldSize",
    "Finding",
    "InputSpace",
    "PackChange",
    "PropertyResult",
    "RuleCoverage",
    "RuleSetDiff",
    "SpaceTooLargeError",
    "VerifyReport",
    "WordingChange",
    "check_combinations",
    "check_field_classes",
    "counterfactuals",
    "diff",
    "input_space",
    "lint",
    "lint_path",
    "other_item",
    "red_flag_condition",
    "rule_coverage",
    "verify",
]

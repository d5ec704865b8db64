"""Analysis of a rule set over its whole (finite) input space.

:func:`input_space` derives the classes of values no rule can tell apart;
:func:`verify` proves the safety properties and declared invariants on every
class; :func:`lint` finds likely mistakes; :func:`diff` compares two rule
sets; :func:`counterfactuals` finds the answers that would change a verdict;
:func:`rule_coverage` counts which rules a corpus exercises.
"""

from neurotriage.analysis._counterfactual import Counterfactual, FieldChange, counterfactuals
from neurotriage.analysis._coverage import CoverageRecorder, RuleCoverage, rule_coverage
from neurotriage.analysis._diff import Change, ChangeGroup, RuleSetDiff, WordingChange, diff
from neurotriage.analysis._lint import Finding, lint, lint_path
from neurotriage.analysis._space import InputSpace, input_space
from neurotriage.analysis._verify import Counterexample, PropertyResult, VerifyReport, verify

__all__ = [
    "Change",
    "ChangeGroup",
    "Counterexample",
    "Counterfactual",
    "CoverageRecorder",
    "FieldChange",
    "Finding",
    "InputSpace",
    "PropertyResult",
    "RuleCoverage",
    "RuleSetDiff",
    "VerifyReport",
    "WordingChange",
    "counterfactuals",
    "diff",
    "input_space",
    "lint",
    "lint_path",
    "rule_coverage",
    "verify",
]

"""neurotriage: safe, explainable foot-massage triage for peripheral neuropathy.

>>> from neurotriage import evaluate
>>> evaluate({"open_wounds": True}).verdict
'see_doctor'
"""

from importlib.metadata import PackageNotFoundError, version

from neurotriage._errors import (
    BackendError,
    NeurotriageError,
    PackMismatchError,
    ProofError,
    RuleError,
    RuleProblem,
    UndecidedError,
    WorkerError,
)
from neurotriage.decision import (
    AllowedTechnique,
    BlockedTechnique,
    Decision,
    DecisionWarning,
    Outcome,
    Reason,
    Referral,
    ReferralLevel,
    ReferralReason,
    Severity,
    TherapySuggestion,
    Verdict,
)
from neurotriage.fields import PackModel
from neurotriage.loading import default_rules, load_rules
from neurotriage.pack import Pack
from neurotriage.pipeline.batch import evaluate_many
from neurotriage.pipeline.evaluation import evaluate
from neurotriage.profile import Profile
from neurotriage.ruleset import Invariant, Rule, RuleSet
from neurotriage.table import evaluate_table

try:
    __version__ = version("neurotriage")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "AllowedTechnique",
    "BackendError",
    "BlockedTechnique",
    "Decision",
    "DecisionWarning",
    "Invariant",
    "NeurotriageError",
    "Outcome",
    "Pack",
    "PackMismatchError",
    "PackModel",
    "Profile",
    "ProofError",
    "Reason",
    "Referral",
    "ReferralLevel",
    "ReferralReason",
    "Rule",
    "RuleError",
    "RuleProblem",
    "RuleSet",
    "Severity",
    "TherapySuggestion",
    "UndecidedError",
    "Verdict",
    "WorkerError",
    "__version__",
    "default_rules",
    "evaluate",
    "evaluate_many",
    "evaluate_table",
    "load_rules",
]

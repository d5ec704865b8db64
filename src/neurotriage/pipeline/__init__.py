"""The evaluation pipeline: a profile in, the engine's fired rules, a Decision out.

Everything built from a rule set to evaluate it (compiled engines, the parts
of its decisions, the caches) lives here, beside the rule set, never on it.
"""

from neurotriage.pipeline.batch import evaluate_many
from neurotriage.pipeline.combine import combine, outcome
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.pipeline.evaluation import add_observer, as_profile, evaluate

__all__ = [
    "add_observer",
    "as_profile",
    "combine",
    "compiled_engine",
    "evaluate",
    "evaluate_many",
    "outcome",
]

"""Analysis of a rule set over its whole (finite) input space."""

from neurotriage.analysis._space import InputSpace, input_space
from neurotriage.analysis._verify import Counterexample, PropertyResult, VerifyReport, verify

__all__ = [
    "Counterexample",
    "InputSpace",
    "PropertyResult",
    "VerifyReport",
    "input_space",
    "verify",
]

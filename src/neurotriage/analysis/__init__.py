"""Analysis of a rule set over its whole (finite) input space."""

from neurotriage.analysis._space import InputSpace, input_space

__all__ = ["InputSpace", "input_space"]

"""FhirError: FHIR input that cannot be read, naming the resource and the element."""

from __future__ import annotations

from collections.abc import Sequence

from neurotriage._errors import NeurotriageError

__all__ = ["FhirError"]


class FhirError(NeurotriageError, ValueError):
    """FHIR input that cannot be read: not a FHIR resource, invalid, or a value out of range.

    ``resource`` names the resource: ``resourceType/id``, its ``fullUrl``, or
    its place in the input (``entry[2] (Observation)``) when it has no id.
    ``element`` is the FHIR path of the first bad element inside it (``None``:
    the resource as a whole); ``problems`` holds every ``(element, message)``
    found in that resource. The message reads
    ``Observation/p1 valueInteger: 12 is above 10``.
    """

    def __init__(self, resource: str, problems: Sequence[tuple[str | None, str]]) -> None:
        if not problems:
            raise ValueError("FhirError needs at least one problem")
        self.resource = resource
        self.problems: tuple[tuple[str | None, str], ...] = tuple(problems)
        self.element = self.problems[0][0]
        parts = "; ".join(
            message if element is None else f"{element}: {message}"
            for element, message in self.problems
        )
        super().__init__(f"{resource}: {parts}" if self.element is None else f"{resource} {parts}")

    def __reduce__(self) -> tuple[type[FhirError], tuple[str, tuple[tuple[str | None, str], ...]]]:
        # ``args`` holds only the message; rebuild from the parts (as RuleError does)
        return (type(self), (self.resource, self.problems))


def problem(resource: str, element: str | None, message: str) -> FhirError:
    """A FhirError with one problem."""
    return FhirError(resource, [(element, message)])

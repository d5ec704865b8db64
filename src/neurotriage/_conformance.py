"""Checking a model instance that may not have been validated against its fields' domains.

``model_construct`` and ``model_copy(update=...)`` make an instance without
validating it, so evaluate() cannot trust it because of its type. Each
field's value is checked against its domain, exactly (``True`` is not a
number, ``1`` is not a yes), before any engine sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from neurotriage.fields import FieldSpec, normalised_names, specs_of

__all__ = ["conformance", "conforms"]


def _value_check(spec: FieldSpec) -> Callable[[Any], bool]:
    nullable = spec.nullable
    if spec.kind == "bool":
        return lambda value: value is True or value is False or (nullable and value is None)
    if spec.kind == "enum":
        allowed = frozenset(spec.values)
        return lambda value: (
            (type(value) is str and value in allowed) or (nullable and value is None)
        )
    if spec.kind == "int":
        low, high = spec.low, spec.high
        if low is None or high is None:  # pragma: no cover - _spec_for refuses such fields
            raise TypeError(f"{spec.name}: an int field needs bounds")
        return lambda value: (
            (type(value) is int and low <= value <= high) or (nullable and value is None)
        )
    longest = spec.max_items
    return lambda value: (
        (nullable and value is None) or (type(value) is list and _normal_names(value, longest))
    )


def _normal_names(items: list[Any], longest: int | None) -> bool:
    """Whether ``items`` is what validation makes of a list of names: normalised, sorted, unique."""
    if not items:
        return True
    if longest is not None and len(items) > longest:
        return False
    if any(type(item) is not str for item in items):
        return False
    try:
        return normalised_names(items) == items
    except ValueError:
        return False


_MISSING = object()


def conformance(specs: Mapping[str, FieldSpec]) -> Callable[[Mapping[str, Any]], bool]:
    """A check of whether ``values`` (an instance's ``__dict__``) are exactly what validation gives.

    Each field's value must be of its type and domain, and no other key may
    be present. Build it once per model (a Pack keeps its own).
    """
    checks = tuple((name, _value_check(spec)) for name, spec in specs.items())
    count = len(checks)

    def check(values: Mapping[str, Any]) -> bool:
        if len(values) != count:
            return False
        return all(holds(values.get(name, _MISSING)) for name, holds in checks)

    return check


def conforms(values: Mapping[str, Any], model: type[BaseModel]) -> bool:
    """Whether ``values`` (an instance of ``model``'s ``__dict__``) are what validation gives."""
    return conformance(specs_of(model))(values)

"""One line of text for every problem of a profile that does not validate.

Shared by the command line (``evaluate``, ``evaluate-many``) and by
:func:`neurotriage.evaluate_table`'s ``error`` column, so a bad profile reads
the same wherever it is decided.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from neurotriage._json import HugeNumber

__all__ = ["JSON_TYPES", "describe_validation"]

#: At most this many problems of one profile are listed, and each bad value
#: is shown cut to about this many characters: an error stays readable.
_MAX_PROBLEMS = 10
_PREVIEW = 60

#: How each JSON value reads in a message.
JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
    HugeNumber: "a number",
}


def describe_validation(err: ValidationError) -> str:
    """Every problem of a profile, each naming its field, on one line."""
    errors = err.errors()
    parts = []
    for error in errors[:_MAX_PROBLEMS]:
        where = ".".join(_cut(str(p)) for p in error["loc"]) or "profile"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        if error["type"] == "int_type" and isinstance(error.get("input"), HugeNumber):
            message = "number out of range"
        shown = "" if error["type"] == "missing" else f" (got {_preview(error.get('input'))})"
        parts.append(f"field '{where}': {message}{shown}")
    if len(errors) > _MAX_PROBLEMS:
        parts.append(f"and {len(errors) - _MAX_PROBLEMS} more problems")
    return "; ".join(parts)


def _cut(text: str) -> str:
    """``text``, cut short when long (an unknown field's name can be anything)."""
    return text if len(text) <= _PREVIEW else f"{text[:_PREVIEW]}... ({len(text):,} characters)"


def _preview(value: Any) -> str:
    """A bad value as JSON, cut short when long."""
    if isinstance(value, HugeNumber):
        return f"a number of {value.digits:,} digits"
    if isinstance(value, list | dict) and len(value) > _MAX_PROBLEMS:
        kind = "an array" if isinstance(value, list) else "an object"
        return f"{kind} of {len(value):,} items"
    if isinstance(value, str) and len(value) > _PREVIEW:
        return f'{json.dumps(value[:_PREVIEW])[:-1]}..." ({len(value):,} characters)'
    try:
        text = json.dumps(value)
    except (ValueError, TypeError, RecursionError):  # not JSON-like, or nested past the limit
        return JSON_TYPES.get(type(value), type(value).__name__)
    return text if len(text) <= _PREVIEW else f"{text[:_PREVIEW]}..."

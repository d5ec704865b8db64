"""Reading a JSON profile for the command line: strict UTF-8, strict JSON, one clear message.

Shared by ``evaluate``/``explain`` (one profile per file) and ``evaluate-many``
(one profile per line, possibly in worker processes). Every problem becomes an
:class:`InputError` whose text is the whole user-facing message.
"""

from __future__ import annotations

import json
from typing import IO, Any

from pydantic import ValidationError

from neurotriage.profile import Profile

__all__ = ["InputError", "describe_validation", "parse_profile", "read_profile"]


class InputError(Exception):
    """A user-facing input problem; its text is the whole message."""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key '{key}'")
        result[key] = value
    return result


_JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _read_text(name: str, stdin: IO[str]) -> str:
    """The whole input as text: strict UTF-8, a leading byte-order mark dropped."""
    if name == "-":
        buffer = getattr(stdin, "buffer", None)
        raw = buffer.read() if buffer is not None else stdin.read().encode("utf-8", "surrogatepass")
    else:
        with open(name, "rb") as handle:
            raw = handle.read()
    return raw.decode("utf-8-sig")


def parse_profile(text: str, *, one_line: bool = False) -> Profile:
    """The Profile in JSON ``text``.

    Raises InputError whose text completes a sentence whose subject is the
    input ("... is not valid JSON: ..."). With ``one_line`` a JSON syntax
    error gives only its column.
    """
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as err:
        at = f"column {err.colno}" if one_line else f"line {err.lineno}, column {err.colno}"
        raise InputError(f"is not valid JSON: {err.msg} at {at}") from err
    except RecursionError as err:
        raise InputError("is not a valid profile: it is nested too deeply") from err
    except ValueError as err:
        raise InputError(f"is not a valid profile: {err}") from err
    if not isinstance(data, dict):
        kind = _JSON_TYPES.get(type(data), type(data).__name__)
        raise InputError(f"must hold a JSON object of profile fields, not {kind}")
    try:
        return Profile.model_validate(data)
    except ValidationError as err:
        raise InputError(f"is not a valid profile: {describe_validation(err)}") from err


def read_profile(name: str, stdin: IO[str]) -> Profile:
    """The Profile in file ``name`` (``-``: standard input); InputError names the input."""
    shown = "standard input" if name == "-" else name
    try:
        text = _read_text(name, stdin)
    except (OSError, UnicodeError) as err:
        raise InputError(f"cannot read {shown}: {getattr(err, 'strerror', None) or err}") from err
    try:
        return parse_profile(text)
    except InputError as err:
        raise InputError(f"{shown} {err}") from err.__cause__


def describe_validation(err: ValidationError) -> str:
    """Every problem of a profile, each naming its field, on one line."""
    parts = []
    for error in err.errors():
        where = ".".join(str(p) for p in error["loc"]) or "profile"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        shown = "" if error["type"] == "missing" else f" (got {json.dumps(error.get('input'))})"
        parts.append(f"field '{where}': {message}{shown}")
    return "; ".join(parts)

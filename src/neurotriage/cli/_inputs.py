"""Reading a JSON profile for the command line: strict UTF-8, strict JSON, one clear message.

Shared by ``evaluate``/``explain`` (one profile per file) and ``evaluate-many``
(one profile per line, possibly in worker processes). Every problem becomes an
:class:`InputError` whose text is the whole user-facing message.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from neurotriage._json import loads
from neurotriage._problems import JSON_TYPES, describe_validation

__all__ = [
    "MAX_NESTING",
    "MAX_PROFILE_BYTES",
    "InputError",
    "Line",
    "describe_validation",
    "json_lines",
    "line_profile",
    "parse_profile",
    "read_json_lines",
    "read_profile",
    "too_large",
]

#: A profile is a few kilobytes of JSON (100 condition names of 200 characters,
#: even fully \u-escaped, stay under 150 KB); larger input is refused unread.
MAX_PROFILE_BYTES = 1024 * 1024


class InputError(Exception):
    """A user-facing input problem; its text is the whole message."""


def too_large() -> str:
    """The end of the message for an input over MAX_PROFILE_BYTES."""
    return f"is too large to be a profile: more than {MAX_PROFILE_BYTES // 1024 // 1024} MiB"


def _read_bytes(name: str, stdin: IO[str]) -> bytes:
    """The input's bytes, at most one more than MAX_PROFILE_BYTES."""
    limit = MAX_PROFILE_BYTES + 1
    if name == "-":
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            return bytes(buffer.read(limit))
        return stdin.read(limit).encode("utf-8", "surrogatepass")
    with open(name, "rb") as handle:
        return handle.read(limit)


#: A profile is two levels deep (an object holding a list of names); deeper
#: JSON than this is refused as "nested too deeply", on every Python version.
MAX_NESTING = 32
_TOO_DEEP = "is not a valid profile: it is nested too deeply"


def _nesting(data: Any) -> int:
    """How deep ``data`` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_profile(text: str, model: type[BaseModel], *, one_line: bool = False) -> BaseModel:
    """The profile of ``model`` (the pack's input model) in JSON ``text``.

    Raises InputError whose text completes a sentence whose subject is the
    input ("... is not valid JSON: ..."). With ``one_line`` a JSON syntax
    error gives only its column.
    """
    try:
        data = loads(text)
    except json.JSONDecodeError as err:
        at = f"column {err.colno}" if one_line else f"line {err.lineno}, column {err.colno}"
        raise InputError(f"is not valid JSON: {err.msg} at {at}") from err
    except RecursionError as err:
        raise InputError(_TOO_DEEP) from err
    except ValueError as err:
        raise InputError(f"is not a valid profile: {err}") from err
    if _nesting(data) > MAX_NESTING:
        # where json.loads goes without a RecursionError depends on the Python
        # version (3.13 parses 5,000 levels), so the limit is ours, the same everywhere
        raise InputError(_TOO_DEEP)
    if not isinstance(data, dict):
        kind = JSON_TYPES.get(type(data), type(data).__name__)
        raise InputError(f"must hold a JSON object of profile fields, not {kind}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InputError(f"is not a valid profile: {describe_validation(err)}") from err


def read_profile(name: str, stdin: IO[str], model: type[BaseModel]) -> BaseModel:
    """The profile of ``model`` in file ``name`` (``-``: standard input); InputError names it."""
    shown = "standard input" if name == "-" else name
    try:
        raw = _read_bytes(name, stdin)
        if len(raw) > MAX_PROFILE_BYTES:
            raise InputError(f"{shown} {too_large()}")
        text = raw.decode("utf-8-sig")  # strict UTF-8; a leading byte-order mark is dropped
    except (OSError, UnicodeError) as err:
        raise InputError(f"cannot read {shown}: {getattr(err, 'strerror', None) or err}") from err
    try:
        return parse_profile(text, model)
    except InputError as err:
        raise InputError(f"{shown} {err}") from err.__cause__


#: A line: its 1-based number and its bytes without the newline (None: too long).
Line = tuple[int, bytes | None]


def json_lines(stream: IO[bytes], shown: str) -> Iterator[Line]:
    """Each line of JSON Lines ``stream``, numbered from 1; a line over MAX_PROFILE_BYTES
    comes as None.

    The one reader of JSON Lines, for ``evaluate-many`` and ``coverage``: lines
    are read as bytes (at most MAX_PROFILE_BYTES of each kept), broken at
    ``\\n`` only, and a byte-order mark is allowed at the start.
    """
    number = 0
    try:
        while raw := stream.readline(MAX_PROFILE_BYTES + 1):
            number += 1
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if raw.endswith(b"\n"):
                yield number, raw[:-1]
            elif len(raw) <= MAX_PROFILE_BYTES:
                yield number, raw  # the last line, with no newline
            else:
                while (rest := stream.readline(64 * 1024)) and not rest.endswith(b"\n"):
                    pass  # drop the rest of the overlong line, a piece at a time
                yield number, None
    except OSError as err:
        raise InputError(f"cannot read {shown}: {err.strerror or err}") from err


def line_profile(raw: bytes | None, model: type[BaseModel]) -> BaseModel:
    """The profile on one line; InputError's text completes "line N ..."."""
    if raw is None:
        raise InputError(too_large())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"is not valid UTF-8: {err}") from err
    if not text.strip():
        raise InputError("is blank; write one JSON profile per line")
    return parse_profile(text, model, one_line=True)


def read_json_lines(name: str, stdin: IO[str], model: type[BaseModel]) -> list[BaseModel]:
    """Every profile of a JSON Lines file (``-``: standard input); blank lines are skipped.

    Any bad line is an InputError naming it (the first five are listed).
    """
    shown = "standard input" if name == "-" else name
    if name == "-":
        buffer = getattr(stdin, "buffer", None)
        stream: IO[bytes] = buffer if buffer is not None else io.BytesIO(stdin.read().encode())
    else:
        try:
            stream = open(name, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise InputError(f"cannot read {shown}: {err.strerror or err}") from err
    profiles, problems = [], []
    try:
        for number, raw in json_lines(stream, shown):
            if raw is not None and not raw.strip():
                continue
            try:
                profiles.append(line_profile(raw, model))
            except InputError as err:
                problems.append(f"line {number} {err}")
    finally:
        if stream is not getattr(stdin, "buffer", None):
            stream.close()
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError(f"{shown}: " + "; ".join(problems[:5]) + more)
    return profiles

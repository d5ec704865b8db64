"""Strict JSON for profiles: a key given twice is an error, a runaway number is not converted.

Plain ``json.loads`` lets the last of two equal keys win (``"open_wounds":
true, "open_wounds": false`` reads as no open wounds) and may spend long on,
or refuse, a number of thousands of digits. Both readers of profiles, the
models' ``from_json`` and the command line, parse through :func:`loads`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["DuplicateKeyError", "HugeNumber", "loads"]

#: A JSON integer of more digits than this is not converted: ``int()`` may
#: refuse it (past ``sys.get_int_max_str_digits()``, never below this
#: threshold), and no field's bounds reach that far.
MAX_INT_DIGITS = sys.int_info.str_digits_check_threshold


class DuplicateKeyError(ValueError):
    """An object gives the same key twice; ``key`` and its second ``value`` say which."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__(f"duplicate key '{key}'")
        self.key, self.value = key, value


class HugeNumber:
    """A JSON integer too long to convert; validation refuses it, naming its field."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {self.digits:,} digits"


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key, value)
        result[key] = value
    return result


def _integer(text: str) -> int | HugeNumber:
    digits = len(text) - text.startswith("-")
    return HugeNumber(digits) if digits > MAX_INT_DIGITS else int(text)


def _constant(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def loads(data: str | bytes | bytearray, *, constants: bool = True) -> Any:
    """``data`` parsed as JSON; DuplicateKeyError (a ValueError) for a key given twice.

    ``constants=False`` also refuses ``NaN`` and ``Infinity`` (not JSON, though
    Python reads them) with a ValueError. Any other problem is
    ``json.JSONDecodeError`` (a ValueError) or RecursionError.
    """
    hook = None if constants else _constant
    return json.loads(data, object_pairs_hook=_pairs, parse_int=_integer, parse_constant=hook)

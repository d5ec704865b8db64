"""Column by column: each distinct value of a column validated once and given a class code."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Hashable
from typing import Any

from pydantic import BaseModel, ValidationError

from neurotriage.fields import generated_specs
from neurotriage.pack import PROFILE_PACK, Pack
from neurotriage.pipeline.classes import Classes

__all__ = [
    "Column",
    "Distinct",
    "Encoded",
    "column_classifiers",
    "distinct",
    "encode",
    "first_rows",
    "per_column",
    "raw_key",
]

#: Joins a list's items into one string to dictionary-encode list columns in C.
SEPARATOR = "\x1f"

Classify = Callable[[Any], Hashable]


def column_classifiers(classes: Classes, names: tuple[str, ...]) -> dict[str, Classify]:
    """For each field, its validated value -> its class (what the rules tell apart)."""
    classify: dict[str, Classify] = dict.fromkeys(names, _known)  # validity is all that matters
    for name in classes.unknown_only:
        classify[name] = _is_none
    for name in classes.as_is:
        classify[name] = _itself
    for name, limits in classes.ints:
        classify[name] = _int_class(limits)
    for name, items in classes.lists:
        classify[name] = _list_class(items)
    return classify


def _known(_value: Any) -> Hashable:
    return 0


def _is_none(value: Any) -> Hashable:
    return value is None


def _itself(value: Hashable) -> Hashable:
    return value


def _int_class(limits: tuple[int, ...]) -> Classify:
    return lambda value: None if value is None else bisect_right(limits, value)


def _list_class(items: tuple[str, ...]) -> Classify:
    return lambda value: None if value is None else (not value, *[i in value for i in items])


def per_column(pack: Pack) -> bool:
    """Whether a value of each field can be validated alone, as neurotriage's own models allow.

    True for the built-in Profile and for models built from field specs: each
    field's rules (type, bounds, normalisation) are its own. An app's own
    model may have validators that read several fields.
    """
    model = pack.model
    if pack is PROFILE_PACK or generated_specs(model) is not None:
        return True
    decorators = model.__pydantic_decorators__
    return not (decorators.model_validators or decorators.field_validators)


def raw_key(value: Any) -> Hashable:
    """A hashable stand-in for a value read from a column, exact in type (True is not 1)."""
    if isinstance(value, list | tuple):
        return (list, tuple(raw_key(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, raw_key(item)) for key, item in value.items()))
    try:
        hash(value)
    except TypeError:
        return (type(value), repr(value))
    return (type(value), value)


class Column:
    """What has been learnt about one field's values: validated once per distinct value."""

    __slots__ = ("classify", "known", "model", "name")

    def __init__(self, model: type[BaseModel], name: str, classify: Classify) -> None:
        self.model = model
        self.name = name
        self.classify = classify
        #: raw_key(value) -> its class and validated value, or None if it does not validate
        self.known: dict[Hashable, tuple[Hashable, Any] | None] = {}

    def class_of(self, value: Any) -> tuple[Hashable, Any] | None:
        """The class of ``value`` in this field and the value as the model validated it
        (normalised), or None if the model refuses it."""
        key = raw_key(value)
        found = self.known.get(key, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        try:
            checked = self.model.model_validate({self.name: value}).__dict__[self.name]
        except ValidationError:
            result = None
        else:
            result = (self.classify(checked), checked)
        if len(self.known) < _MAX_KNOWN:
            self.known[key] = result
        return result


_UNSEEN = object()
#: distinct values remembered per column (beyond it they are validated each time they come)
_MAX_KNOWN = 65_536


class Encoded:
    """A column's rows as codes: equal codes, equal class; a bad value has a code of its own."""

    __slots__ = ("classes", "codes", "radix", "values")

    def __init__(
        self, codes: Any, radix: int, classes: list[tuple[Hashable] | None], values: list[Any]
    ) -> None:
        self.codes = codes  # numpy int64, one per row
        self.radix = radix  # codes are in range(radix)
        self.classes = classes  # code -> its class (None: a value the model refuses)
        self.values = values  # code -> a validated value of its class (None for a refused one)


def encode(column: Column, values: Distinct, np: Any) -> Encoded:
    """Each row's code: its value's class, or (for a value the model refuses) a code of its own."""
    classes: dict[tuple[Hashable], int] = {}
    shown: list[Any] = []  # one validated value per class, in code order
    codes: list[int | None] = []
    for found in (column.class_of(value) for value in values.distinct):
        if found is None:
            codes.append(None)
            continue
        code = classes.setdefault((found[0],), len(classes))
        if code == len(shown):
            shown.append(found[1])
        codes.append(code)
    bad = itertools.count(len(classes))
    lookup = np.array([next(bad) if code is None else code for code in codes], dtype=np.int64)
    refused = len(lookup) - len(classes)
    by_code: list[tuple[Hashable] | None] = [*classes, *[None] * refused]
    shown += [None] * refused
    return Encoded(lookup[values.indices], int(lookup.max()) + 1, by_code, shown)


class Distinct:
    """A column as its distinct values and, for each row, the index of its value."""

    __slots__ = ("distinct", "indices")

    def __init__(self, distinct: list[Any], indices: Any) -> None:
        self.distinct = distinct
        self.indices = indices


def distinct(array: Any, pa: Any, pc: Any, np: Any) -> Distinct:
    """The distinct values of an Arrow array (null among them) and each row's index."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _from_dictionary(array.indices, array.dictionary.to_pylist(), np)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        joined = _joined(array, pa, pc)
        if joined is None:
            return _in_python(array.to_pylist(), np)
        encoded = joined.dictionary_encode()
        first = first_rows(encoded.indices, len(encoded.dictionary), np)
        values = [array[int(row)].as_py() for row in first]
        return _with_null(encoded.indices, values, np)
    if pa.types.is_null(kind) or pa.types.is_nested(kind):
        return _in_python(array.to_pylist(), np)
    try:
        encoded = array.dictionary_encode()
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return _in_python(array.to_pylist(), np)
    return _from_dictionary(encoded.indices, encoded.dictionary.to_pylist(), np)


def _from_dictionary(indices: Any, values: list[Any], np: Any) -> Distinct:
    return _with_null(indices, values, np)


def _with_null(indices: Any, values: list[Any], np: Any) -> Distinct:
    """Null rows point at one more value, None, after the others."""
    filled = indices.fill_null(len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    return Distinct([*values, None], filled)


def _joined(array: Any, pa: Any, pc: Any) -> Any:
    """Each list as one string (its item count, then its items, joined by SEPARATOR), or
    None where that would not be exact."""
    if not pa.types.is_string(array.type.value_type):
        return None
    items = pc.list_flatten(array)
    if items.null_count or pc.any(pc.match_substring(items, SEPARATOR)).as_py():
        return None  # a null item or the separator inside one: joining would confuse them
    # the item count first, so [] and [""] (both joined to "") stay apart
    count = pc.cast(pc.list_value_length(array), pa.string())
    return pc.binary_join_element_wise(count, pc.binary_join(array, SEPARATOR), SEPARATOR)


def first_rows(indices: Any, size: int, np: Any) -> Any:
    """For each dictionary entry, the first row that holds it."""
    rows = indices.fill_null(size).to_numpy(zero_copy_only=False)
    first = np.full(size + 1, -1, dtype=np.int64)
    order = np.arange(len(rows) - 1, -1, -1)
    first[rows[order]] = order  # written last for the first row of each
    return first[:size]


def _in_python(values: list[Any], np: Any) -> Distinct:
    """The slow, sure way, for columns Arrow cannot encode exactly: one Python dict."""
    seen: dict[Hashable, int] = {}
    firsts: list[Any] = []
    indices = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        key = raw_key(value)
        index = seen.get(key)
        if index is None:
            index = seen[key] = len(firsts)
            firsts.append(value)
        indices[row] = index
    return Distinct(firsts, indices)

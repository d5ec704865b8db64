"""evaluate_table(): an Arrow table of profiles in, an Arrow table of decisions out."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from neurotriage import loading
from neurotriage._cache import BoundedCache
from neurotriage._errors import NeurotriageError
from neurotriage._problems import describe_validation
from neurotriage.decision import Decision
from neurotriage.engines import BackendName, resolve_backend
from neurotriage.pipeline.classes import classes_of
from neurotriage.pipeline.compiled import compiled
from neurotriage.pipeline.evaluation import notify_observers
from neurotriage.ruleset import RuleSet
from neurotriage.table._columns import (
    Column,
    Distinct,
    column_classifiers,
    distinct,
    encode,
    per_column,
    raw_key,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["OUTPUT_COLUMNS", "TableError", "evaluate_batches", "evaluate_table", "table_schema"]

#: The output columns, in order: the decision's ids and codes, then ``error``.
OUTPUT_COLUMNS = (
    "verdict",
    "allowed",
    "blocked",
    "referral",
    "warnings",
    "questions",
    "fired_rules",
    "ruleset_version",
    "error",
)
_LISTS = frozenset({"allowed", "blocked", "warnings", "questions", "fired_rules"})


class TableError(NeurotriageError, ValueError):
    """A table that cannot be evaluated at all: a column that is no field of the pack, say."""


def _arrow() -> tuple[Any, Any, Any]:
    """pyarrow, pyarrow.compute and numpy, or an ImportError saying how to get them."""
    try:
        import numpy as np  # noqa: PLC0415 - optional: only tables need them
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415
    except ImportError as err:
        raise ImportError(
            f"evaluating tables needs pyarrow and numpy ({err}); "
            "install them with: pip install 'neurotriage[arrow]'"
        ) from err
    return pa, pc, np


def table_schema() -> pa.Schema:
    """The schema of every table :func:`evaluate_table` returns."""
    pa, _, _ = _arrow()
    return pa.schema(
        [
            pa.field(name, pa.list_(pa.string()) if name in _LISTS else pa.string())
            for name in OUTPUT_COLUMNS
        ]
    )


def evaluate_table(
    table: Any, *, rules: RuleSet | None = None, backend: str | None = None
) -> pa.Table:
    """Decide for every row of ``table``; one output row per input row, in order.

    ``table`` is a pyarrow ``Table``, ``RecordBatch`` or ``RecordBatchReader``,
    or anything with ``__arrow_c_stream__`` (pandas and polars data frames
    among them). Its columns are fields of the pack's model; a column that
    is none is a :class:`TableError`, so a misspelt column is never ignored
    (select the fields first to leave other columns out). A field with no
    column takes its default, as a key missing from a mapping does; a null
    is unknown (and a validation error where the field cannot be unknown).

    Each output row holds the decision's ``verdict``, ``allowed`` and
    ``blocked`` technique ids, ``referral`` level, ``warnings`` codes,
    ``questions``, ``fired_rules`` and ``ruleset_version``, equal to what
    ``evaluate()`` decides for that row as a mapping; or, for a row that does
    not validate, null in all of them and in ``error`` the message naming
    each bad field. Rows are decided once per class of profile, not one by
    one (see the module's documentation).
    """
    pa, _, _ = _arrow()
    ruleset, name = _arguments(rules, backend)
    schema, batches = _batches(table, pa)
    screen = _screen(ruleset, name)
    screen.check(schema)
    return pa.Table.from_batches([screen.batch(batch) for batch in batches], table_schema())


def evaluate_batches(
    batches: Iterable[pa.RecordBatch],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """:func:`evaluate_table` one record batch at a time, for input larger than memory."""
    _arrow()
    ruleset, name = _arguments(rules, backend)
    screen = _screen(ruleset, name)
    for batch in batches:
        screen.check(batch.schema)
        yield screen.batch(batch)


def _arguments(rules: RuleSet | None, backend: str | None) -> tuple[RuleSet, BackendName]:
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    ruleset = rules if rules is not None else loading.default_rules()
    name = resolve_backend(backend)
    compiled(ruleset, name)  # a rule set the backend cannot take fails now, as BackendError
    return ruleset, name


def _batches(table: Any, pa: Any) -> tuple[Any, Iterator[Any]]:
    """The schema and the record batches of anything Arrow can read as a table."""
    if isinstance(table, pa.Table):
        return table.schema, iter(table.to_batches())
    if isinstance(table, pa.RecordBatch):
        return table.schema, iter([table])
    if isinstance(table, pa.RecordBatchReader):
        return table.schema, iter(table)
    if hasattr(table, "__arrow_c_stream__"):
        reader = pa.RecordBatchReader.from_stream(table)
        return reader.schema, iter(reader)
    raise TypeError(
        "table must be a pyarrow Table, RecordBatch or RecordBatchReader, or hold an Arrow "
        f"stream (__arrow_c_stream__, as pandas and polars data frames do), not "
        f"{type(table).__name__}"
    )


_screens: weakref.WeakKeyDictionary[RuleSet, dict[str, _Screen]] = weakref.WeakKeyDictionary()
_screens_lock = threading.Lock()


def _screen(rules: RuleSet, backend: BackendName) -> _Screen:
    with _screens_lock:
        found = _screens.setdefault(rules, {})
        screen = found.get(backend)
        if screen is None:
            screen = found[backend] = _Screen(rules, backend)
        return screen


#: A decision as one output row: verdict, allowed, blocked, referral, warnings,
#: questions, fired rules, rule set version (lists as tuples, shared where equal).
Row = tuple[
    str,
    tuple[str, ...],
    tuple[str, ...],
    str,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    str,
]
#: A group's answer: its row, or the message of why its rows do not validate.
Answer = Row | str
#: Classes remembered per rule set and backend: a row costs a few hundred bytes.
TABLE_CACHE_SIZE = 65_536


class _Screen:
    """One rule set and backend, for tables: its columns' classes and the answers per class."""

    def __init__(self, rules: RuleSet, backend: BackendName) -> None:
        self.rules = rules
        self.backend = backend
        pack = rules.pack
        self.model = pack.model
        self.fields = tuple(pack.fields)
        self.per_column = per_column(pack)
        classify = column_classifiers(classes_of(rules), self.fields)
        self.columns = {name: Column(pack.model, name, classify[name]) for name in self.fields}
        self.lock = threading.Lock()  # a column's memory of values is filled by one at a time
        self.answers: BoundedCache[Hashable, Row] = BoundedCache(TABLE_CACHE_SIZE)
        #: each distinct row and each distinct tuple once, so remembered rows share them
        self.interned: dict[Hashable, Any] = {}

    def check(self, schema: Any) -> None:
        """Refuse columns that are no field of the pack, and columns named twice."""
        names = list(schema.names)
        unknown = [name for name in names if name not in self.columns]
        if unknown:
            shown = ", ".join(repr(name) for name in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise TableError(
                f"column{'s' if len(unknown) > 1 else ''} {shown}{more} "
                f"{'are' if len(unknown) > 1 else 'is'} not a field of the pack "
                f"'{self.rules.pack.id}' (its fields: {', '.join(self.fields)}); "
                "select the pack's fields first, e.g. table.select([...])"
            )
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise TableError(f"column {twice[0]!r} appears more than once")

    def batch(self, batch: Any, problems: dict[int, str] | None = None) -> Any:
        """The output batch for one input batch: one row per row.

        ``problems`` (row -> message) are rows a reader could not turn into
        values (a CSV cell that is no number, say): they get that message as
        their error, before any of the row's own, and no decision.
        """
        pa, _, _ = _arrow()
        rows = batch.num_rows
        names = tuple(batch.schema.names)
        arrays = [batch.column(index) for index in range(batch.num_columns)]
        if rows == 0:
            return pa.RecordBatch.from_pylist([], schema=table_schema())
        with self.lock:
            groups, first, found = self._groups(names, arrays, rows)
            samples = batch.take(pa.array(first)).to_pylist()
            answers = [
                self._answer(values, None if found is None else found(row))
                for values, row in zip(samples, first.tolist(), strict=True)
            ]
        return _with_problems(_gathered(answers, groups, pa), problems, pa)

    def rows(self, items: list[dict[str, Any] | str]) -> Any:
        """The output batch for rows given as mappings (or, for a row that has none, its
        problem): each distinct mapping validated whole and decided once."""
        pa, _, np = _arrow()
        seen: dict[Hashable, int] = {}
        samples: list[dict[str, Any]] = []
        groups = np.empty(len(items), dtype=np.int64)
        problems: dict[int, str] = {}
        for index, item in enumerate(items):
            values = item if not isinstance(item, str) else {}
            if isinstance(item, str):
                problems[index] = item
            key = raw_key(values)
            group = seen.get(key)
            if group is None:
                group = seen[key] = len(samples)
                samples.append(values)
            groups[index] = group
        with self.lock:
            answers = [self._answer(values, None) for values in samples]
        return _with_problems(_gathered(answers, pa.array(groups), pa), problems, pa)

    def _groups(
        self, names: tuple[str, ...], arrays: list[Any], rows: int
    ) -> tuple[Any, Any, Callable[[int], Hashable | None] | None]:
        """Each row's group (rows that must decide alike), one row of each group, and
        (columns validated alone) a function from a row to its class key, or None."""
        pa, pc, np = _arrow()
        found: Callable[[int], Hashable | None] | None = None
        if self.per_column:
            encoded = [
                encode(self.columns[name], distinct(array, pa, pc, np), np)
                for name, array in zip(names, arrays, strict=True)
            ]
            codes = [column.codes for column in encoded]
            radices = [column.radix for column in encoded]

            def found(row: int) -> Hashable | None:
                key = tuple(column.classes[column.codes[row]] for column in encoded)
                return None if None in key else (names, key)

        else:  # every distinct combination of raw values, validated whole
            together = _in_rows(names, arrays)
            codes, radices = [together.indices], [len(together.distinct)]
        size = 1
        for radix in radices:
            size *= radix
        if not codes:
            key = np.zeros(rows, dtype=np.int64)
        elif size < 1 << 62:
            key = np.zeros(rows, dtype=np.int64)
            for column, radix in zip(codes, radices, strict=True):
                key = key * radix + column
        else:  # too many classes for one integer: group the code vectors themselves
            _, key = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
            key = key.reshape(-1)
        groups = pc.dictionary_encode(pa.array(key)).indices
        count = int(pc.max(groups).as_py()) + 1
        first = np.full(count, -1, dtype=np.int64)
        order = np.arange(rows - 1, -1, -1)
        first[groups.to_numpy()[order]] = order  # written last for the first row of each
        return groups, first, found

    def _answer(self, values: dict[str, Any], key: Hashable | None) -> Answer:
        """The answer for one group, from one of its rows: as evaluate() would decide it.

        ``key`` is the group's class (None: unknown, or a value that does not
        validate): a class decided before is answered from memory.
        """
        if key is not None:
            row = self.answers.get(key)
            if row is not None:
                return row
        try:
            profile = self.model.model_validate(values)
        except ValidationError as err:
            return describe_validation(err)
        decision = compiled(self.rules, self.backend).decide(self.rules, profile)
        notify_observers(self.rules, decision)
        row = self._row(decision)
        if key is not None:
            self.answers.put(key, row)
        return row

    def _row(self, decision: Decision) -> Row:
        """``decision`` as an output row, its parts shared with equal ones seen before."""
        share = self.interned
        if len(share) > TABLE_CACHE_SIZE:
            share.clear()  # bounded: past it, sharing starts afresh

        def one(items: tuple[str, ...]) -> tuple[str, ...]:
            return share.setdefault(items, items)  # type: ignore[no-any-return]

        row: Row = (
            decision.verdict,
            one(tuple(t.technique for t in decision.allowed_techniques)),
            one(tuple(t.technique for t in decision.blocked_techniques)),
            decision.referral.level,
            one(tuple(w.code for w in decision.warnings)),
            one(decision.questions),
            one(decision.fired_rules),
            decision.ruleset_version,
        )
        return share.setdefault(row, row)  # type: ignore[no-any-return]


def _in_rows(names: tuple[str, ...], arrays: list[Any]) -> Distinct:
    """Whole rows as distinct combinations, for a model whose fields validate together."""
    import numpy as np  # noqa: PLC0415 - optional

    columns = [array.to_pylist() for array in arrays]
    seen: dict[Hashable, int] = {}
    indices = np.empty(len(columns[0]) if columns else 0, dtype=np.int64)
    firsts: list[Any] = []
    for row, values in enumerate(zip(*columns, strict=True)):
        key = raw_key(list(values))
        index = seen.get(key)
        if index is None:
            index = seen[key] = len(firsts)
            firsts.append(values)
        indices[row] = index
    del names
    return Distinct(firsts, indices)


def _gathered(answers: list[Answer], groups: Any, pa: Any) -> Any:
    """One output row per row: its group's answer, taken from one row per group."""
    taken = [column.take(groups) for column in _answer_columns(answers, pa)]
    return pa.RecordBatch.from_arrays(taken, schema=table_schema())


def _with_problems(batch: Any, problems: dict[int, str] | None, pa: Any) -> Any:
    """``batch`` with each problem row's decision nulled and its problem leading its error."""
    if not problems:
        return batch
    errors = batch.column(len(OUTPUT_COLUMNS) - 1).to_pylist()
    for row, problem in problems.items():
        errors[row] = problem if errors[row] is None else f"{problem}; {errors[row]}"
    mask = [False] * batch.num_rows
    for row in problems:
        mask[row] = True
    hidden = pa.array(mask, pa.bool_())
    import pyarrow.compute as pc  # noqa: PLC0415 - optional

    columns = [
        pc.if_else(hidden, pa.nulls(batch.num_rows, column.type), column)
        for column in batch.columns[:-1]
    ]
    return pa.RecordBatch.from_arrays(
        [*columns, pa.array(errors, pa.string())], schema=table_schema()
    )


def _answer_columns(answers: list[Answer], pa: Any) -> list[Any]:
    """The output columns of one row per answer."""
    schema = table_schema()
    decided = [None if isinstance(answer, str) else answer for answer in answers]
    columns = [
        pa.array(
            [None if row is None else row[index] for row in decided],
            schema.field(name).type,
        )
        for index, name in enumerate(OUTPUT_COLUMNS[:-1])
    ]
    errors = [answer if isinstance(answer, str) else None for answer in answers]
    return [*columns, pa.array(errors, pa.string())]

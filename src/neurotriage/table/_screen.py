"""One rule set and backend, for tables: its columns' classes and its answers per class."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from pydantic import ValidationError

from neurotriage._cache import BoundedCache
from neurotriage._problems import describe_validation
from neurotriage.decision import Decision
from neurotriage.engines import BackendName
from neurotriage.pipeline.classes import classes_of
from neurotriage.pipeline.compiled import Beside, compiled
from neurotriage.pipeline.evaluation import notify_observers
from neurotriage.ruleset import RuleSet
from neurotriage.table._columns import (
    Column,
    Distinct,
    column_classifiers,
    distinct,
    encode,
    first_rows,
    per_column,
    raw_key,
)
from neurotriage.table._schema import (
    Answer,
    Row,
    TableError,
    arrow,
    gathered,
    table_schema,
    with_problems,
)

__all__ = ["TABLE_CACHE_SIZE", "Screen", "screen"]

#: Classes remembered per rule set and backend: a row costs a few hundred bytes.
TABLE_CACHE_SIZE = 65_536


class Screen:
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
        pa, _, _ = arrow()
        rows = batch.num_rows
        names = tuple(batch.schema.names)
        arrays = [batch.column(index) for index in range(batch.num_columns)]
        if rows == 0:
            return pa.RecordBatch.from_pylist([], schema=table_schema())
        with self.lock:
            groups, first, keys = self._groups(names, arrays, rows)
            answers: list[Answer | None] = [
                None if key is None else self.answers.get(key) for key in keys
            ]
            missing = [index for index, answer in enumerate(answers) if answer is None]
            if missing:  # only the classes not remembered need a row of values in Python
                samples = batch.take(pa.array(first[missing])).to_pylist()
                for index, values in zip(missing, samples, strict=True):
                    answers[index] = self._answer(values, keys[index])
        return with_problems(gathered(answers, groups, pa), problems, pa)  # type: ignore[arg-type]

    def rows(self, items: list[dict[str, Any] | str]) -> Any:
        """The output batch for rows given as mappings (or, for a row that has none, its
        problem): each distinct mapping validated whole and decided once."""
        pa, _, np = arrow()
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
        return with_problems(gathered(answers, pa.array(groups), pa), problems, pa)

    def _groups(
        self, names: tuple[str, ...], arrays: list[Any], rows: int
    ) -> tuple[Any, Any, list[Hashable | None]]:
        """Each row's group (rows that must decide alike), one row of each group, and
        each group's class key (None: not known, or a value that does not validate)."""
        pa, pc, np = arrow()
        encoded = []
        if self.per_column:
            encoded = [
                encode(self.columns[name], distinct(array, pa, pc, np), np)
                for name, array in zip(names, arrays, strict=True)
            ]
            codes = [column.codes for column in encoded]
            radices = [column.radix for column in encoded]

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
        first = first_rows(groups, count, np)
        keys: list[Hashable | None] = [None] * count
        if encoded:
            per_column = [
                [column.classes[code] for code in column.codes[first].tolist()]
                for column in encoded
            ]
            keys = [
                None if None in found else (names, found) for found in zip(*per_column, strict=True)
            ]
        elif self.per_column:  # no column at all: one class, every field its default
            keys = [(names, ())] * count
        return groups, first, keys

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
        # not kept in the pipeline's cache: the table keeps its own rows, far smaller
        decision = compiled(self.rules, self.backend).decide(self.rules, profile, cache=False)
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


#: The screen of a rule set on a backend, made on first use and kept beside the rule set.
screen: Beside[Screen] = Beside(Screen)

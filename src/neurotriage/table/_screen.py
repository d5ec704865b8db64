"""One rule set and backend, for tables: its columns' classes and its answers per class."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from neurotriage._cache import BoundedCache
from neurotriage._problems import describe_validation
from neurotriage.engines import BackendName
from neurotriage.pipeline.classes import classes_of
from neurotriage.pipeline.combine import combine_values, decision_parts, decision_row
from neurotriage.pipeline.compiled import Beside, compiled
from neurotriage.pipeline.evaluation import notify_observers, observed
from neurotriage.ruleset import RuleSet
from neurotriage.table._columns import (
    Column,
    Distinct,
    Encoded,
    column_classifiers,
    distinct,
    encode,
    first_rows,
    per_column,
    raw_key,
)
from neurotriage.table._fired import Groups, fired_columnwise
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
        #: the reference backend's rules are evaluated column-wise, many classes at once
        self.columnwise = backend == "reference" and self.per_column
        self.defaults = _defaults(pack.model)
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
            grouped = self._groups(names, arrays, rows)
            keys = grouped.keys
            answers: list[Answer | None] = [
                None if key is None else self.answers.get(key) for key in keys
            ]
            missing = [index for index, answer in enumerate(answers) if answer is None]
            if missing and self.columnwise:
                missing = self._columnwise(grouped, missing, answers)
            if missing:  # only the classes not remembered need a row of values in Python
                samples = batch.take(pa.array(grouped.first[missing])).to_pylist()
                for index, values in zip(missing, samples, strict=True):
                    answers[index] = self._answer(values, keys[index])
        table = gathered(answers, grouped.groups, pa)  # type: ignore[arg-type]
        return with_problems(table, problems, pa)

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

    def _groups(self, names: tuple[str, ...], arrays: list[Any], rows: int) -> _Grouped:
        """Each row's group (rows that must decide alike), one row of each group, each
        group's class key (None: not known, or a value that does not validate), and
        the columns' codes (none for a model whose fields validate together)."""
        pa, pc, np = arrow()
        encoded: list[Encoded] = []
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
        return _Grouped(groups, first, keys, names, encoded)

    def _columnwise(
        self, grouped: _Grouped, missing: list[int], answers: list[Answer | None]
    ) -> list[int]:
        """Answer the ``missing`` groups that validate the reference backend's way, all at
        once (:mod:`._fired`); the groups left to answer one by one."""
        _, _, np = arrow()
        names, encoded, keys = grouped.names, grouped.encoded, grouped.keys
        valid = [index for index in missing if keys[index] is not None]
        absent = [name for name in self.fields if name not in names]
        if not valid or (absent and self.defaults is None):
            return missing
        rows = grouped.first[valid]
        codes = {name: column.codes[rows] for name, column in zip(names, encoded, strict=True)}
        values: dict[str, list[Any]] = {
            name: column.values for name, column in zip(names, encoded, strict=True)
        }
        for name in absent:  # a field with no column: its default, on every row
            codes[name] = np.zeros(len(valid), dtype=np.int64)
            values[name] = [self.defaults[name]]  # type: ignore[index]
        fired = fired_columnwise(self.rules, Groups(len(valid), codes, values), np)
        asked = decision_parts(self.rules).asked
        unknown = [np.array([v is None for v in values[name]])[codes[name]] for name in asked]
        together = np.column_stack([fired, *unknown]) if unknown else fired
        effects, which = _distinct_rows(together, np)
        ids = [rule.id for rule in self.rules.rules]
        made: list[Row] = []
        for effect in effects:
            gone = effect[len(ids) :]
            known = {name: None if out else True for name, out in zip(asked, gone, strict=True)}
            rule_ids = frozenset(rule for rule, fires in zip(ids, effect, strict=False) if fires)
            made.append(self._effect_row(known, rule_ids))
        for index, effect in zip(valid, which.reshape(-1).tolist(), strict=True):
            row = answers[index] = made[effect]
            self.answers.put(keys[index], row)
        return [index for index in missing if keys[index] is None]

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
        # not kept in the pipeline's cache of classes: the table keeps its own rows
        row = self._effect_row(
            profile.__dict__, compiled(self.rules, self.backend).engine.fired(profile)
        )
        if key is not None:
            self.answers.put(key, row)
        return row

    def _effect_row(self, values: Mapping[str, Any], fired: frozenset[str]) -> Row:
        """The output row of the Decision for ``values`` on which ``fired`` fired, its
        parts shared with equal ones seen before.

        The Decision itself is built only for observers (the pytest plugin's
        rule coverage, say), to show it to them; a table keeps ids and codes.
        """
        if observed():
            decision = combine_values(self.rules, values, fired)
            notify_observers(self.rules, decision)
        share = self.interned
        if len(share) > TABLE_CACHE_SIZE:
            share.clear()  # bounded: past it, sharing starts afresh
        row = decision_row(self.rules, values, fired)
        parts = [part if isinstance(part, str) else share.setdefault(part, part) for part in row]
        return share.setdefault(tuple(parts), tuple(parts))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Grouped:
    """A batch's rows in groups that decide alike (:meth:`Screen._groups`)."""

    groups: Any  # each row's group, an Arrow int array
    first: Any  # each group's first row, numpy
    keys: list[Hashable | None]  # each group's class key (None: unknown or refused)
    names: tuple[str, ...]  # the batch's columns
    encoded: list[Encoded]  # their codes, column by column (empty: validated whole)


def _distinct_rows(matrix: Any, np: Any) -> tuple[list[list[bool]], Any]:
    """The distinct rows of a boolean matrix, and for each row the index of its own."""
    width = matrix.shape[1]
    if width > 62:  # too wide for one integer: numpy compares the rows themselves
        rows, which = np.unique(matrix, axis=0, return_inverse=True)
        return rows.tolist(), which.reshape(-1)
    packed = matrix.astype(np.int64) @ (np.int64(1) << np.arange(width, dtype=np.int64))
    values, which = np.unique(packed, return_inverse=True)
    bits = (values[:, None] >> np.arange(width, dtype=np.int64)) & 1
    return bits.astype(bool).tolist(), which.reshape(-1)


def _defaults(model: type[BaseModel]) -> dict[str, Any] | None:
    """The values of a profile with no field given, or None if the model needs some."""
    try:
        return dict(model.model_validate({}).__dict__)
    except ValidationError:
        return None


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

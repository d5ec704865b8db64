"""evaluate_table(): an Arrow table of profiles in, an Arrow table of decisions out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neurotriage import loading
from neurotriage.engines import BackendName, resolve_backend
from neurotriage.pipeline.compiled import compiled
from neurotriage.ruleset import RuleSet
from neurotriage.table._schema import arrow, table_schema
from neurotriage.table._screen import screen as screen_of

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Chunk", "evaluate_batches", "evaluate_chunks", "evaluate_table"]


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
    pa, _, _ = arrow()
    ruleset, name = _arguments(rules, backend)
    schema, batches = _batches(table, pa)
    screen = screen_of(ruleset, name)
    screen.check(schema)
    return pa.Table.from_batches([screen.batch(batch) for batch in batches], table_schema())


def evaluate_batches(
    batches: Iterable[pa.RecordBatch],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """:func:`evaluate_table` one record batch at a time, for input larger than memory."""
    arrow()
    ruleset, name = _arguments(rules, backend)
    screen = screen_of(ruleset, name)
    for batch in batches:
        screen.check(batch.schema)
        yield screen.batch(batch)


@dataclass(frozen=True)
class Chunk:
    """Rows for :func:`evaluate_chunks`: an Arrow record batch, or mappings.

    ``problems`` (row -> message) are rows of ``batch`` a reader could not
    turn into values; in ``rows``, such a row is its message instead of a
    mapping. Either way the row keeps its place, with that error.
    """

    batch: Any = None
    problems: dict[int, str] | None = None
    rows: list[dict[str, Any] | str] | None = None


def evaluate_chunks(
    chunks: Iterable[Chunk], *, rules: RuleSet | None = None, backend: str | None = None
) -> Iterator[pa.RecordBatch]:
    """One output batch per chunk, for readers of files (``neurotriage evaluate-table``)."""
    arrow()
    ruleset, name = _arguments(rules, backend)
    screen = screen_of(ruleset, name)
    for chunk in chunks:
        if chunk.rows is not None:
            yield screen.rows(chunk.rows)
        else:
            screen.check(chunk.batch.schema)
            yield screen.batch(chunk.batch, chunk.problems)


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

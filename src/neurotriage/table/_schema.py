"""The output of evaluate_table(): its columns, and the rows made from answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neurotriage._errors import NeurotriageError
from neurotriage.pipeline.combine import DecisionRow

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "OUTPUT_COLUMNS",
    "Answer",
    "Row",
    "TableError",
    "arrow",
    "gathered",
    "table_schema",
    "with_problems",
]

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


def arrow() -> tuple[Any, Any, Any]:
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
    """The schema of every table :func:`evaluate_table` returns.

    The list columns hold dictionary-encoded strings (ids and codes repeat on
    every row, so each row holds small integers into one list of them, which
    gathering a million rows copies twenty times faster); they read back as
    strings (``to_pylist()``, pandas, Parquet).
    """
    pa, _, _ = arrow()
    return pa.schema(
        [
            pa.field(
                name,
                pa.list_(pa.dictionary(pa.int32(), pa.string())) if name in _LISTS else pa.string(),
            )
            for name in OUTPUT_COLUMNS
        ]
    )


#: A decision as one output row: verdict, allowed, blocked, referral, warnings,
#: questions, fired rules, rule set version (lists as tuples, shared where equal).
Row = DecisionRow
#: A group's answer: its row, or the message of why its rows do not validate.
Answer = Row | str


def gathered(answers: list[Answer], groups: Any, pa: Any) -> Any:
    """One output row per row: its group's answer, taken from one row per group."""
    taken = [_taken(column, groups, pa) for column in _answer_columns(answers, pa)]
    return pa.RecordBatch.from_arrays(taken, schema=table_schema())


def _taken(column: Any, groups: Any, pa: Any) -> Any:
    """``column.take(groups)``; a string column through its few distinct values (taking
    small integers, then decoding them, costs a fraction of taking a million strings)."""
    if not pa.types.is_string(column.type):
        return column.take(groups)
    encoded = column.dictionary_encode()
    taken = pa.DictionaryArray.from_arrays(encoded.indices.take(groups), encoded.dictionary)
    return taken.cast(pa.string())


def with_problems(batch: Any, problems: dict[int, str] | None, pa: Any) -> Any:
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

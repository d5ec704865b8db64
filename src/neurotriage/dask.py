"""Screening on many machines: :func:`neurotriage.evaluate_table` over a Dask collection.

``neurotriage.dask.evaluate(collection)`` maps ``evaluate_table`` over the
partitions of a Dask DataFrame (or of a Bag of profile mappings) and returns
the same kind of collection, lazily, with one output row per input row.

**The rule set travels once per worker.** It is put in the graph as one
key (``dask.delayed(rules)``) that every partition's task depends on, so the
scheduler sends it to each worker once and the worker keeps it; a RuleSet
pickles as its validated content and compiles its engines where it lands.

**Lists.** Dask turns object columns of a DataFrame into strings by
default, a column of lists of names included, which then fails validation on
every row. Turn that off for frames with list fields:
``dask.config.set({"dataframe.convert-string": False})``.

Dask and pyarrow are the optional extra ``neurotriage[dask]``.
"""

from __future__ import annotations

from typing import Any

from neurotriage import loading
from neurotriage.engines import resolve_backend
from neurotriage.ruleset import RuleSet
from neurotriage.table import OUTPUT_COLUMNS, evaluate_table

try:
    import dask.bag
    import dask.dataframe
    from dask.delayed import delayed
except ImportError as err:  # pragma: no cover - the extra is part of the dev install
    raise ImportError(
        f"neurotriage.dask needs dask ({err}); install it with: pip install 'neurotriage[dask]'"
    ) from err

__all__ = ["OUTPUT_COLUMNS", "evaluate"]


def evaluate(collection: Any, *, rules: RuleSet | None = None, backend: str | None = None) -> Any:
    """Decide every row of a Dask DataFrame, or every mapping of a Dask Bag.

    A DataFrame whose columns are fields of the pack gives a DataFrame with
    the columns of :func:`neurotriage.table.table_schema` (list columns as
    Python lists, null as ``None``), each partition keeping its index so rows
    line up with the input. A Bag of profile mappings gives a Bag of
    output-row dicts, in order. Each row is what ``evaluate()`` decides for
    it, or its validation message in ``error``.
    """
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    ruleset = rules if rules is not None else loading.default_rules()
    name = resolve_backend(backend)
    shipped = delayed(ruleset, pure=True)  # one key: sent to each worker once
    if isinstance(collection, dask.dataframe.DataFrame):
        meta = dict.fromkeys(OUTPUT_COLUMNS, object)
        return collection.map_partitions(_frame, shipped, name, meta=meta)  # type: ignore[no-untyped-call]
    if isinstance(collection, dask.bag.Bag):
        return collection.map_partitions(_bag, shipped, name)  # type: ignore[no-untyped-call]
    raise TypeError(
        "neurotriage.dask.evaluate() takes a Dask DataFrame or a Dask Bag of profile "
        f"mappings, not {type(collection).__name__}"
    )


def _frame(part: Any, rules: RuleSet, backend: str) -> Any:
    """One partition: pandas in, pandas out, same index."""
    import pandas as pd  # type: ignore[import-untyped]  # noqa: PLC0415 - dask.dataframe needs it
    import pyarrow as pa  # noqa: PLC0415 - optional

    table = pa.Table.from_pandas(part, preserve_index=False)
    out = evaluate_table(table, rules=rules, backend=backend).to_pylist()
    columns = {column: [row[column] for row in out] for column in OUTPUT_COLUMNS}
    return pd.DataFrame(columns, index=part.index, dtype=object)  # lists: no aligning


def _bag(items: Any, rules: RuleSet, backend: str) -> list[dict[str, Any]]:
    """One partition of a Bag: its mappings, each validated whole and decided."""
    from neurotriage.table import Chunk, evaluate_chunks  # noqa: PLC0415

    rows: list[dict[str, Any] | str] = [dict(item) for item in items]
    batches = evaluate_chunks([Chunk(rows=rows)], rules=rules, backend=backend)
    return [row for batch in batches for row in batch.to_pylist()]

"""``neurotriage evaluate-table IN -o OUT``: Parquet, CSV or JSON Lines, in record batches.

The format of each file is its extension: ``.parquet`` (or ``.pq``), ``.csv``,
``.jsonl`` (or ``.ndjson``). IN is read a record batch at a time and every
batch's answer is written before the next is read, so memory stays flat
however large IN is. Row N of OUT answers row N of IN, with the columns of
:func:`neurotriage.table.table_schema` (in CSV, list columns as JSON arrays;
in JSON Lines, one object per row).

How each format carries a profile:

* **Parquet**: typed columns named after the pack's fields, as for
  :func:`neurotriage.evaluate_table`; a null is unknown.
* **CSV**: a header of field names; an empty cell is unknown; ``true`` /
  ``false`` for yes-or-no fields, whole numbers for numbers, a list as a JSON
  array of names (``["gout"]``, ``[]``). A cell that is none of these is that
  row's error (the row keeps its place), not a failure of the run.
* **JSON Lines**: one profile object per line, read as ``evaluate-many``
  reads it; a line that is not a profile is that row's error.

A column that is no field of the pack is refused before anything is
written (exit 2), so a misspelt header never passes unnoticed. OUT follows
``evaluate-many``'s rules: written under a temporary name and renamed at the
end, never left half-written, refused if it is not a regular file or is IN.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from neurotriage.cli._inputs import InputError, json_lines, line_profile
from neurotriage.cli._many import (
    EXIT_SOME_FAILED,
    Progress,
    check_replaceable,
    remove_temporary,
    same_file,
    summary,
)
from neurotriage.cli._rules_choice import chosen_rules
from neurotriage.decision import VERDICTS
from neurotriage.engines import resolve_backend
from neurotriage.fields import FieldSpec
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.table import Chunk, TableError, evaluate_chunks, table_schema

__all__ = ["BATCH_ROWS", "FORMATS", "run_table"]

#: Rows per record batch read and written: large enough for Arrow, small for memory.
BATCH_ROWS = 16_384
#: Extensions and the formats they name.
FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def _format(name: str, role: str) -> str:
    extension = os.path.splitext(name)[1].lower()
    found = FORMATS.get(extension)
    if found is None:
        known = ", ".join(FORMATS)
        raise InputError(f"cannot tell the format of {role} {name}: its name must end in {known}")
    return found


def _arrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional: only this command needs it
        import pyarrow.compute as pc  # noqa: PLC0415
    except ImportError as err:
        raise InputError(
            f"evaluate-table needs pyarrow ({err}); install it with: "
            "pip install 'neurotriage[arrow]'"
        ) from err
    return pa, pc


# --- reading -----------------------------------------------------------------------------------


def _parquet(name: str) -> Iterator[Chunk]:
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional

    try:
        source = pq.ParquetFile(name)
    except (OSError, ValueError) as err:  # ArrowInvalid is a ValueError
        raise InputError(f"cannot read {name}: {err}") from err
    with source:
        for batch in source.iter_batches(batch_size=BATCH_ROWS):
            yield Chunk(batch=batch)


def _csv(name: str, specs: dict[str, FieldSpec]) -> Iterator[Chunk]:
    import pyarrow.csv as pcsv  # noqa: PLC0415 - optional

    pa, _ = _arrow()
    try:
        header = pcsv.open_csv(name).schema.names
        reader = pcsv.open_csv(
            name,
            read_options=pcsv.ReadOptions(block_size=1 << 22),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read {name}: {err}") from err
    unknown = [column for column in header if column not in specs]
    if unknown:  # the same refusal as evaluate_table's, before the cells are read
        raise TableError(
            f"{name}: column {unknown[0]!r} is not a field of the pack "
            f"(its fields: {', '.join(specs)})"
        )
    for batch in reader:
        for start in range(0, batch.num_rows, BATCH_ROWS):
            yield _typed(batch.slice(start, BATCH_ROWS), specs)


def _typed(batch: Any, specs: dict[str, FieldSpec]) -> Chunk:
    """CSV text cells as typed columns; a cell that reads as no value is a problem."""
    pa, _ = _arrow()
    columns: list[Any] = []
    problems: dict[int, str] = {}
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        parse = _CELLS[specs[name].kind]
        encoded = column.dictionary_encode()
        values, bad = [], {}
        for index, text in enumerate(encoded.dictionary.to_pylist()):
            try:
                values.append(parse(text))
            except ValueError as err:
                values.append(None)
                bad[index] = f"field '{name}': {err} (got {json.dumps(text)[:80]})"
        kind = _ARROW_TYPES[specs[name].kind](pa)
        columns.append(pa.array(values, kind).take(encoded.indices))
        if bad:
            for row, index in enumerate(encoded.indices.to_pylist()):
                if index in bad:  # every bad cell of the row is named, in column order
                    problems[row] = "; ".join(filter(None, (problems.get(row), bad[index])))
    typed = pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
    return Chunk(batch=typed, problems=problems or None)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError("not true or false")


def _whole(text: str) -> int:
    stripped = text.strip()
    if stripped.lstrip("-").isdigit() and stripped.isascii() and len(stripped) <= 20:
        return int(stripped)
    raise ValueError("not a whole number")


def _names(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('not a JSON array of names, e.g. ["gout"] or []')
    return value


_CELLS: dict[str, Callable[[str], Any]] = {
    "bool": _boolean,
    "int": _whole,
    "enum": str,
    "list": _names,
}
_ARROW_TYPES: dict[str, Callable[[Any], Any]] = {
    "bool": lambda pa: pa.bool_(),
    "int": lambda pa: pa.int64(),
    "enum": lambda pa: pa.string(),
    "list": lambda pa: pa.list_(pa.string()),
}


def _jsonl(name: str, rules: Any) -> Iterator[Chunk]:
    try:
        stream = open(name, "rb")  # noqa: SIM115 - closed below, after the last chunk
    except OSError as err:
        raise InputError(f"cannot read {name}: {err.strerror or err}") from err
    with stream:
        rows: list[dict[str, Any] | str] = []
        for number, raw in json_lines(stream, name):
            try:
                rows.append(dict(line_profile(raw, rules.pack.model).__dict__))
            except InputError as err:
                rows.append(f"line {number} {err}")
            if len(rows) >= BATCH_ROWS:
                yield Chunk(rows=rows)
                rows = []
        if rows:
            yield Chunk(rows=rows)


def _reading(chunks: Iterator[Chunk], name: str) -> Iterator[Chunk]:
    """``chunks``, with Arrow's own errors while reading (a corrupt file) said as ours."""
    pa, _ = _arrow()
    try:
        yield from chunks
    except pa.ArrowException as err:
        raise InputError(f"cannot read {name}: {err}") from err


# --- writing -----------------------------------------------------------------------------------


class _Writer:
    """OUT under a temporary name next to it, renamed over OUT once every row is written."""

    def __init__(self, name: str, kind: str) -> None:
        check_replaceable(name)
        head, tail = os.path.split(os.path.abspath(name))
        self.name, self.kind = name, kind
        self.temp = os.path.join(head, f".{tail}.{os.urandom(4).hex()}.tmp")
        try:
            self.stream: IO[bytes] = open(self.temp, "xb")  # noqa: SIM115 - closed in commit
        except OSError as err:
            raise InputError(f"cannot write {name}: {err.strerror or err}") from err
        self.sink: Any = None

    def write(self, batch: Any) -> None:
        pa, _ = _arrow()
        if self.kind == "parquet":
            import pyarrow.parquet as pq  # noqa: PLC0415 - optional

            if self.sink is None:
                self.sink = pq.ParquetWriter(self.stream, table_schema())
            self.sink.write_batch(batch)
        elif self.kind == "csv":
            import pyarrow.csv as pcsv  # noqa: PLC0415 - optional

            flat = _lists_as_json(batch, pa)
            if self.sink is None:
                self.sink = pcsv.CSVWriter(self.stream, flat.schema)
            self.sink.write_batch(flat)
        else:
            lines = "".join(json.dumps(row) + "\n" for row in batch.to_pylist())
            self.stream.write(lines.encode("utf-8"))

    def commit(self) -> None:
        if self.kind == "parquet" and self.sink is None:  # no rows: still a readable file
            import pyarrow.parquet as pq  # noqa: PLC0415 - optional

            self.sink = pq.ParquetWriter(self.stream, table_schema())
        if self.sink is not None:
            self.sink.close()
        self.stream.close()
        check_replaceable(self.name)  # again: OUT may have been replaced during the run
        os.replace(self.temp, self.name)
        self.temp = ""

    def discard(self) -> None:
        if self.temp:
            remove_temporary(self.stream, self.temp)
            self.temp = ""


def _lists_as_json(batch: Any, pa: Any) -> Any:
    """List columns as JSON array text, each distinct list encoded once."""
    _, pc = _arrow()
    columns = []
    for column in batch.columns:
        if not pa.types.is_list(column.type):
            columns.append(column)
            continue
        column = column.cast(pa.list_(pa.string()))  # noqa: PLW2901 - its items as text
        # ids and codes hold no control character, so the count and the items joined
        # by one tell the lists apart; a list that holds one is encoded on its own
        items = pc.list_flatten(column)
        if len(items) and pc.any(pc.match_substring(items, "\x1f")).as_py():
            texts = [None if v is None else json.dumps(v) for v in column.to_pylist()]
            columns.append(pa.array(texts, pa.string()))
            continue
        count = pc.cast(pc.list_value_length(column), pa.string())
        joined = pc.binary_join_element_wise(count, pc.binary_join(column, "\x1f"), "\x1f")
        encoded = joined.dictionary_encode()
        first: dict[int, int] = {}
        for row, index in enumerate(encoded.indices.to_pylist()):
            if index is not None and index not in first:
                first[index] = row
        samples = column.take(pa.array([first[i] for i in range(len(encoded.dictionary))]))
        texts = [json.dumps(value) for value in samples.to_pylist()]
        columns.append(pa.array(texts, pa.string()).take(encoded.indices))
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


# --- the command -------------------------------------------------------------------------------


def run_table(args: argparse.Namespace, stderr: IO[str]) -> int:
    """Run ``evaluate-table``; exit 0, or 1 if some row got an error."""
    pa, pc = _arrow()
    source, target = _format(args.input, "IN"), _format(args.output, "OUT")
    rules = chosen_rules(args)
    backend = resolve_backend(args.backend, warn=False)
    compiled_engine(rules, backend)  # a rule set the backend cannot take fails here
    if not os.path.exists(args.input):
        raise InputError(f"cannot read {args.input}: No such file or directory")
    if same_file(args.input, args.output):
        raise InputError(f"{args.output} is the input file; write the rows to another file")
    specs = dict(rules.pack.fields)
    if source == "parquet":
        chunks = _parquet(args.input)
    elif source == "csv":
        chunks = _csv(args.input, specs)
    else:
        chunks = _jsonl(args.input, rules)
    chunks = _reading(chunks, args.input)
    writer = _Writer(args.output, target)
    progress = Progress(stderr, unit="rows")
    rows = failed = 0
    verdicts = dict.fromkeys(VERDICTS, 0)
    try:
        for batch in evaluate_chunks(chunks, rules=rules, backend=backend):
            writer.write(batch)
            rows += batch.num_rows
            failed += batch.num_rows - batch.column("error").null_count
            for item in pc.value_counts(batch.column("verdict")).to_pylist():
                if item["values"] is not None:
                    verdicts[item["values"]] += item["counts"]
            progress.update(rows, failed)
            # Arrow's allocator keeps freed pages for reuse; hand them back, so RSS stays
            # at one batch's worth however many batches have passed
            pa.default_memory_pool().release_unused()
        progress.update(rows, failed, force=True)
        writer.commit()
        progress.finish(summary(rows, failed, verdicts, unit="rows"))
    finally:
        writer.discard()
        progress.close()
    return EXIT_SOME_FAILED if failed else 0

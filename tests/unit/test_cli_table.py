"""``neurotriage evaluate-table``: Parquet, CSV and JSON Lines in and out, row for row."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

from neurotriage import evaluate_table  # noqa: E402 - after the optional import
from neurotriage.cli import _table  # noqa: E402
from neurotriage.table import OUTPUT_COLUMNS  # noqa: E402
from tests.clitools import assert_clean_failure, cli, many_summary  # noqa: E402

ROWS: list[dict[str, Any]] = [
    {"pain_level": 3, "diabetes": True, "other_conditions": []},
    {"pain_level": 11, "diabetes": None, "other_conditions": ["gout"]},
    {"pain_level": None, "open_wounds": True, "other_conditions": None},
    {"pain_level": 2, "diabetes": False, "other_conditions": ["Kidney Disease"]},
]


def table_summary(verdicts: list[str | None]) -> str:
    """The line a finished evaluate-table ends with (None: a row with an error)."""
    return many_summary(verdicts, unit="rows")


def parquet_in(tmp_path: Path, rows: list[dict[str, Any]] = ROWS) -> Path:
    """``rows`` as a Parquet file of typed columns."""
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def leftovers(directory: Path) -> list[str]:
    """Temporary files a run left behind."""
    return [name for name in os.listdir(directory) if name.endswith(".tmp")]


def test_parquet_in_parquet_out_is_evaluate_table_row_for_row(tmp_path: Path):
    """Row N of OUT answers row N of IN; exit 1 since a row has an error; the summary counts."""
    source, target = parquet_in(tmp_path), tmp_path / "out.parquet"
    run = cli("evaluate-table", source, "-o", target, "--backend", "reference")
    expected = evaluate_table(pq.read_table(source), backend="reference")
    assert pq.read_table(target).equals(expected)
    assert run.code == 1
    assert run.out == ""
    assert run.err == table_summary(expected.column("verdict").to_pylist())
    assert leftovers(tmp_path) == []


def test_every_row_decided_exits_0_and_many_batches_join_up(tmp_path: Path, monkeypatch):
    """Read and written a few rows at a time, OUT is the same as in one go."""
    rows = [{"pain_level": pain % 11, "diabetes": pain % 2 == 0} for pain in range(50)]
    source, target = parquet_in(tmp_path, rows), tmp_path / "out.jsonl"
    monkeypatch.setattr(_table, "BATCH_ROWS", 7)
    run = cli("evaluate-table", source, "-o", target, "--backend", "reference")
    assert run.code == 0
    got = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert got == evaluate_table(pa.Table.from_pylist(rows), backend="reference").to_pylist()


def test_csv_cells_read_as_values_and_a_bad_cell_is_its_rows_error(tmp_path: Path):
    """true/false, whole numbers, JSON arrays, empty for unknown; a bad cell names its field."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(
        "pain_level,diabetes,other_conditions\n"
        "3,true,[]\n"
        '2,,"[""gout""]"\n'
        "x,maybe,nope\n"
        "11,FALSE,\n",
        encoding="utf-8",
    )
    run = cli("evaluate-table", source, "-o", target, "--backend", "reference")
    assert run.code == 1
    nulls = pcsv.ConvertOptions(strings_can_be_null=True)  # an empty cell: nothing there
    out = pcsv.read_csv(target, convert_options=nulls).to_pylist()
    assert [row["error"] is None for row in out] == [True, True, False, False]
    expected = evaluate_table(
        pa.Table.from_pylist(
            [
                {"pain_level": 3, "diabetes": True, "other_conditions": []},
                {"pain_level": 2, "diabetes": None, "other_conditions": ["gout"]},
            ]
        ),
        backend="reference",
    ).to_pylist()
    for row, want in zip(out[:2], expected, strict=True):
        assert row["verdict"] == want["verdict"]
        assert json.loads(row["blocked"]) == want["blocked"]
        assert json.loads(row["fired_rules"]) == want["fired_rules"]
    bad = out[2]["error"]
    assert "field 'pain_level': not a whole number" in bad
    assert "field 'diabetes': not true or false" in bad
    assert "field 'other_conditions': not a JSON array of names" in bad
    assert "field 'pain_level'" in out[3]["error"]  # 11 reads as a number; the model refuses it
    assert run.err == table_summary([want["verdict"] for want in expected] + [None, None])


def test_json_lines_rows_get_what_evaluate_many_gives_their_lines(tmp_path: Path):
    """A line that is not a profile keeps its place, with evaluate-many's message."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    source.write_text('{"pain_level": 3}\n{"pain_level": 11}\nnot json\n', encoding="utf-8")
    run = cli("evaluate-table", source, "-o", target, "--backend", "reference")
    many = tmp_path / "many.jsonl"
    cli("evaluate-many", source, "-o", many, "--backend", "reference", "--compact")
    records = [json.loads(line) for line in many.read_text(encoding="utf-8").splitlines()]
    out = pq.read_table(target).to_pylist()
    assert run.code == 1
    assert out[0]["verdict"] == records[0]["verdict"]
    assert out[0]["fired_rules"] == records[0]["fired_rules"]
    assert [row["error"] for row in out[1:]] == [record["error"] for record in records[1:]]
    assert list(out[0]) == list(OUTPUT_COLUMNS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["in.parquet", "-o", "out.txt"], "cannot tell the format of OUT out.txt"),
        (["in.xlsx", "-o", "out.csv"], "cannot tell the format of IN in.xlsx"),
        (["absent.parquet", "-o", "out.csv"], "cannot read absent.parquet"),
        (["in.parquet", "-o", "in.parquet"], "is the input file"),
        (["in.parquet", "-o", "directory.parquet"], "Is a directory"),
    ],
)
def test_unusable_files_are_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch, argv, message
):
    """A clear message, exit 2, no traceback, nothing written."""
    monkeypatch.chdir(tmp_path)
    parquet_in(tmp_path)
    (tmp_path / "directory.parquet").mkdir()
    before = sorted(os.listdir(tmp_path))
    run = cli("evaluate-table", *argv)
    assert_clean_failure(run)
    assert message in run.err
    assert sorted(os.listdir(tmp_path)) == before


def test_a_link_for_out_is_refused_and_left_as_it_is(tmp_path: Path):
    """OUT is replaced, not written into: a symbolic link would be destroyed, so it is refused."""
    kept = tmp_path / "kept.csv"
    kept.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(kept)
    run = cli("evaluate-table", parquet_in(tmp_path), "-o", link)
    assert_clean_failure(run)
    assert "symbolic link" in run.err
    assert kept.read_text(encoding="utf-8") == "precious\n"


def test_a_column_that_is_no_field_is_refused_by_name(tmp_path: Path):
    """A misspelt header never passes: exit 2, naming it, and no OUT."""
    for name, write in (
        ("in.csv", lambda p: p.write_text("pain_levle\n3\n", encoding="utf-8")),
        ("in.parquet", lambda p: pq.write_table(pa.table({"pain_levle": [3]}), p)),
    ):
        source = tmp_path / name
        write(source)
        run = cli("evaluate-table", source, "-o", tmp_path / "out.parquet")
        assert_clean_failure(run)
        assert "'pain_levle'" in run.err
        assert not (tmp_path / "out.parquet").exists()
        assert leftovers(tmp_path) == []


def test_a_corrupt_parquet_file_is_a_clear_error(tmp_path: Path):
    """Not Parquet at all: exit 2 with the file's name, no traceback, no OUT."""
    source = tmp_path / "in.parquet"
    source.write_bytes(b"PAR1 this is not parquet")
    run = cli("evaluate-table", source, "-o", tmp_path / "out.csv")
    assert_clean_failure(run)
    assert "cannot read" in run.err
    assert not (tmp_path / "out.csv").exists()


def test_a_run_that_fails_midway_leaves_out_as_it_was(tmp_path: Path, monkeypatch):
    """A write that fails after some batches: the old OUT stays, no temporary file is left."""
    rows = [{"pain_level": pain % 11} for pain in range(40)]
    source, target = parquet_in(tmp_path, rows), tmp_path / "out.jsonl"
    target.write_text("the old output\n", encoding="utf-8")
    monkeypatch.setattr(_table, "BATCH_ROWS", 10)
    written = []
    real = _table._Writer.write

    def failing(self: Any, batch: Any) -> None:
        if written:
            raise OSError(28, "No space left on device")
        written.append(batch)
        real(self, batch)

    monkeypatch.setattr(_table._Writer, "write", failing)
    run = cli("evaluate-table", source, "-o", target, "--backend", "reference")
    assert_clean_failure(run)
    assert "No space left on device" in run.err
    assert target.read_text(encoding="utf-8") == "the old output\n"
    assert leftovers(tmp_path) == []


def test_an_empty_table_gives_an_empty_readable_out(tmp_path: Path):
    """No rows in, no rows out, and the summary says so."""
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"pain_level": pa.array([], pa.int64())}), source)
    target = tmp_path / "out.parquet"
    run = cli("evaluate-table", source, "-o", target)
    assert run.code == 0
    assert pq.read_table(target).num_rows == 0
    assert run.err == table_summary([])

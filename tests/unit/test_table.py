"""evaluate_table(): row for row what evaluate() decides, on every class and on drawn tables."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, model_validator

pa = pytest.importorskip("pyarrow")

from neurotriage import (  # noqa: E402 - after the optional import
    Profile,
    default_rules,
    evaluate,
    evaluate_table,
    load_rules,
)
from neurotriage.analysis import input_space  # noqa: E402
from neurotriage.fields import PackModel  # noqa: E402
from neurotriage.table import TableError, table_schema  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.rulefiles import write_pack  # noqa: E402
from tests.tables import expected_row, row_of  # noqa: E402


def check_rows(table: Any, **options: Any) -> list[dict[str, Any]]:
    """evaluate_table(table) equals evaluate() on each of its rows; the output rows."""
    out = evaluate_table(table, **options)
    assert out.schema == table_schema()
    assert out.num_rows == table.num_rows  # no row is ever dropped
    got = out.to_pylist()
    for values, row in zip(table.to_pylist(), got, strict=True):
        assert row == expected_row(values, **options), values
    return got


def test_every_class_of_the_default_pack_decides_as_evaluate(backend):
    """One row per class of the built-in pack's input space: each row as evaluate() says."""
    rules = load_rules(ROOT / "rules")  # fresh: nothing remembered from other tests
    space = input_space(rules)
    table = pa.Table.from_pylist([profile.model_dump() for profile in space])
    assert table.num_rows == space.size == 104_976
    out = evaluate_table(table, rules=rules, backend=backend).to_pylist()
    assert out == [row_of(evaluate(p, rules=rules, backend=backend)) for p in space]


#: Per field, the column types a drawn table may give it, and values of each.
COLUMNS: dict[str, list[tuple[Any, st.SearchStrategy[Any]]]] = {
    "diabetes": [(pa.bool_(), st.booleans()), (pa.int64(), st.integers(0, 2))],
    "neuropathy_severity": [
        (pa.string(), st.sampled_from(["mild", "moderate", "severe", "Mild", "very", ""])),
        (pa.dictionary(pa.int8(), pa.string()), st.sampled_from(["mild", "severe", "bad"])),
    ],
    "pain_level": [
        (pa.int64(), st.integers(-2, 12)),
        (pa.int8(), st.integers(0, 10)),
        (pa.float64(), st.sampled_from([3.0, 7.5])),
        (pa.string(), st.sampled_from(["7", "seven"])),
    ],
    "symptoms_worsening": [(pa.bool_(), st.booleans())],
    "open_wounds": [(pa.bool_(), st.booleans()), (pa.string(), st.sampled_from(["yes", "true"]))],
    "foot_infection": [(pa.bool_(), st.booleans())],
    "home_remedies_no_relief": [(pa.bool_(), st.booleans())],
    "other_conditions": [
        (
            pa.list_(pa.string()),
            st.lists(
                st.sampled_from(
                    ["Kidney Disease", "kidney disease", "gout", "varicose veins", " Gout ", ""]
                ),
                max_size=3,
            ),
        ),
        (pa.list_(pa.string()), st.lists(st.sampled_from(["a\x1fb", "a", "b"]), max_size=2)),
        (pa.list_(pa.int64()), st.lists(st.integers(0, 3), max_size=2)),
    ],
    "cleared_by_clinician": [(pa.bool_(), st.booleans())],
    "sharp_pain_during_massage": [(pa.bool_(), st.booleans())],
    "requested_pressure": [(pa.string(), st.sampled_from(["light", "moderate", "firm", "hard"]))],
}


@st.composite
def tables(draw: st.DrawFn) -> Any:
    """A table of some of the fields, each column of a drawn type, with nulls and bad values."""
    rows = draw(st.integers(1, 40))
    names = draw(st.lists(st.sampled_from(list(COLUMNS)), unique=True, max_size=len(COLUMNS)))
    arrays, fields = [], []
    for name in names:
        kind, values = draw(st.sampled_from(COLUMNS[name]))
        column = draw(st.lists(st.none() | values, min_size=rows, max_size=rows))
        if kind == pa.list_(pa.string()) and draw(st.booleans()):
            column[0] = ["gout", None]  # a null item: the list is not valid
        arrays.append(pa.array(column, kind))
        fields.append(name)
    if not fields:
        return pa.table({"diabetes": pa.array([None] * rows, pa.bool_())})
    return pa.table(dict(zip(fields, arrays, strict=True)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_drawn_tables_with_nulls_and_bad_values_decide_row_by_row_as_evaluate(table):
    """Each row, good or bad, gets what evaluate() gives it: its decision or its error."""
    check_rows(table, backend="reference")


def test_a_table_in_many_batches_and_a_reader_decide_alike(backend):
    """Chunked tables, record batches and readers give one output row per input row."""
    rows = [{"pain_level": pain % 11, "diabetes": pain % 3 == 0} for pain in range(200)]
    table = pa.Table.from_pylist(rows)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=7))
    expected = check_rows(table, backend=backend)
    assert evaluate_table(chunked, backend=backend).to_pylist() == expected
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=50))
    assert evaluate_table(reader, backend=backend).to_pylist() == expected
    batch = table.to_batches()[0]
    assert evaluate_table(batch, backend=backend).to_pylist() == expected


def test_a_pandas_frame_goes_in_through_the_arrow_stream():
    """Anything with __arrow_c_stream__ is a table (pandas here, with its nullable types)."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "pain_level": pd.array([2, 9, None], dtype="Int64"),
            "open_wounds": pd.array([False, True, None], dtype="boolean"),
        }
    )
    out = evaluate_table(frame, backend="reference").to_pylist()
    frame_rows = pa.Table.from_pandas(frame, preserve_index=False).to_pylist()
    assert out == [expected_row(values, backend="reference") for values in frame_rows]
    assert out[1]["verdict"] == "see_doctor"
    # NumPy's float for an int column with gaps is not a whole number: each such row says so
    floats = evaluate_table(pd.DataFrame({"pain_level": [2, None]}), backend="reference")
    assert "field 'pain_level'" in floats.to_pylist()[0]["error"]


def test_columns_that_are_no_field_are_refused_by_name():
    """A misspelt column is never ignored: the error names it and the pack's fields."""
    table = pa.table({"pain_levle": [3], "patient_id": ["a"]})
    with pytest.raises(TableError, match="'pain_levle', 'patient_id' are not a field") as info:
        evaluate_table(table)
    assert "pain_level" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_missing_column_takes_the_default_and_an_empty_table_gives_an_empty_one():
    """No column: the field's default, as a key missing from a mapping; zero rows: zero rows."""
    out = evaluate_table(pa.table({"pain_level": [3]}), backend="reference").to_pylist()
    assert out == [expected_row({"pain_level": 3}, backend="reference")]
    empty = evaluate_table(pa.table({"pain_level": pa.array([], pa.int64())}))
    assert empty.num_rows == 0
    assert empty.schema == table_schema()


def test_a_null_where_the_field_cannot_be_unknown_is_that_rows_error():
    """cleared_by_clinician cannot be unknown: a null there is an error, never a guess."""
    table = pa.table({"cleared_by_clinician": pa.array([True, None], pa.bool_())})
    good, bad = evaluate_table(table, backend="reference").to_pylist()
    assert good["error"] is None
    assert bad["verdict"] is None
    assert "cleared_by_clinician" in bad["error"]


def test_not_a_table_is_a_type_error():
    """A list of dicts is not a table: say what is."""
    with pytest.raises(TypeError, match="pyarrow Table"):
        evaluate_table([{"pain_level": 3}])
    with pytest.raises(TypeError, match="RuleSet"):
        evaluate_table(pa.table({"pain_level": [3]}), rules="rules")  # type: ignore[arg-type]


class TiedCalf(PackModel):
    """An app's model whose validator ties two fields: columns cannot be validated alone."""

    swollen: bool | None = Field(default=None, json_schema_extra={"question": "Swollen?"})
    age: Annotated[int, Field(ge=0, le=120)] | None = None

    @model_validator(mode="after")
    def _age_with_swelling(self) -> TiedCalf:
        if self.swollen and self.age is None:
            raise ValueError("age is needed when the calf is swollen")
        return self


def test_an_app_model_with_its_own_validators_is_validated_row_by_row(tmp_path: Path):
    """Rows are valid or not as the model says, though each column alone would pass."""
    rules = load_rules(write_pack(tmp_path), model=TiedCalf, verify=False)
    table = pa.table(
        {"swollen": [True, True, False, None], "age": pa.array([40, None, None, 3], pa.int64())}
    )
    out = evaluate_table(table, rules=rules, backend="reference").to_pylist()
    assert out[1]["error"] is not None
    assert "age is needed" in out[1]["error"]
    for values, row in zip(table.to_pylist(), out, strict=True):
        assert row == expected_row(values, rules=rules, backend="reference")


def test_many_classes_and_repeats_decide_alike_on_a_second_call():
    """What a rule set remembers between calls never changes an answer."""
    rules = load_rules(ROOT / "rules")
    profiles = list(itertools.islice(input_space(rules), 0, None, 13))
    table = pa.Table.from_pylist([p.model_dump() for p in profiles] * 2)
    first = evaluate_table(table, rules=rules, backend="reference").to_pylist()
    again = evaluate_table(table, rules=rules, backend="reference").to_pylist()
    assert first == again
    assert first[: len(profiles)] == first[len(profiles) :]
    assert first[5] == row_of(evaluate(Profile.model_validate(profiles[5].model_dump())))


def test_the_default_rules_are_used_without_rules():
    """rules=None is the built-in pack, as for evaluate()."""
    out = evaluate_table(pa.table({"open_wounds": [True]})).to_pylist()
    assert out == [row_of(evaluate({"open_wounds": True}, rules=default_rules()))]


def test_lists_that_join_alike_stay_apart():
    """[] and [""] (both joined to ""), and items holding the joining character, decide apart."""
    rows = [[], [""], ["a\x1fb"], ["a", "b"], None, ["gout", None]]
    table = pa.table({"other_conditions": pa.array(rows, pa.list_(pa.string()))})
    out = check_rows(table, backend="reference")
    assert out[0]["error"] is None
    assert out[1]["error"] is not None  # an empty name is not a name
    assert out[5]["error"] is not None  # nor is a null item

"""neurotriage.dask.evaluate() on a real LocalCluster: row by row what evaluate() decides."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import dask  # noqa: E402 - after the optional imports
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import neurotriage.dask as ndask  # noqa: E402
from neurotriage import RuleSet, default_rules  # noqa: E402
from neurotriage.analysis import input_space  # noqa: E402
from tests.rulefiles import load_unproved, with_default_catalogue  # noqa: E402
from tests.tables import expected_row  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two worker processes on 127.0.0.1, started and stopped here.

    Dask turns object columns into strings by default, lists of names included;
    a frame that carries lists must turn that off (docs/population-screening.md).
    """
    with (
        dask.config.set({"dataframe.convert-string": False}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # a free port: 8787 may be taken
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def spread(step: int) -> list[dict[str, Any]]:
    """Profiles spread over the built-in pack's input space, as full mappings."""
    rules = default_rules()
    return [p.model_dump() for p in itertools.islice(input_space(rules), 0, None, step)]


def frame_of(rows: list[dict[str, Any]]) -> Any:
    """A pandas frame with nullable types, so a gap is a null, never a float."""
    frame = pd.DataFrame(rows)
    kinds = {"pain_level": "Int64"}
    for name in frame.columns:
        if name in kinds:
            frame[name] = frame[name].astype(kinds[name])
        elif name not in ("other_conditions", "neuropathy_severity", "requested_pressure"):
            frame[name] = frame[name].astype("boolean")
    return frame


def check(rows: list[dict[str, Any]], got: list[dict[str, Any]], rules: RuleSet | None) -> None:
    options = {} if rules is None else {"rules": rules}
    assert len(got) == len(rows)
    for values, row in zip(rows, got, strict=True):
        assert row == expected_row(values, **options), values


def test_a_dataframe_decides_row_by_row_as_evaluate(client):
    """Every row of several partitions, a bad value and gaps included, is evaluate()'s answer."""
    rows = spread(37)[:3000]
    rows[5] = {**rows[5], "pain_level": 11}  # not a pain level: that row's error
    rows[6] = {**rows[6], "pain_level": None, "diabetes": None}
    frame = frame_of(rows)
    result = ndask.evaluate(dd.from_pandas(frame, npartitions=6))
    assert list(result.columns) == list(ndask.OUTPUT_COLUMNS)
    out = result.compute()
    assert list(out.index) == list(frame.index)  # each partition keeps its index
    got = out.to_dict("records")
    check(rows, got, None)
    assert "field 'pain_level'" in got[5]["error"]


def test_a_bag_of_mappings_decides_each_as_evaluate(client):
    """A Bag of profile dicts gives a Bag of output rows, in order."""
    rows = [*spread(997), {"pain_level": 11}, {"open_wounds": True}]
    got = ndask.evaluate(db.from_sequence(rows, npartitions=4)).compute()
    check(rows, got, None)


def test_the_callers_rule_set_is_used_and_shipped_as_one_key(client, tmp_path: Path):
    """Workers decide with the caller's rules (not the default), sent once, not per task."""
    rule = "rules:\n  - {id: diabetes-stop, description: d, when: diabetes, block: all}\n"
    rules = load_unproved(with_default_catalogue(tmp_path / "rules", {"rules.yaml": rule}))
    rows = [{"diabetes": True}, {"diabetes": False}] * 20
    result = ndask.evaluate(dd.from_pandas(frame_of(rows), npartitions=4), rules=rules)
    graph = dict(result.__dask_graph__())
    shipped = [
        key for key, node in graph.items() if isinstance(getattr(node, "value", node), RuleSet)
    ]
    assert len(shipped) == 1
    got = result.compute().to_dict("records")
    check(rows, got, rules)
    assert got[0]["fired_rules"] == ["diabetes-stop"]


def test_what_is_not_a_collection_or_a_rule_set_is_a_type_error():
    """A pandas frame is not a Dask collection; a path is not a RuleSet."""
    with pytest.raises(TypeError, match="Dask DataFrame or a Dask Bag"):
        ndask.evaluate(pd.DataFrame({"pain_level": [3]}))
    with pytest.raises(TypeError, match="RuleSet"):
        ndask.evaluate(db.from_sequence([{}]), rules="rules")  # type: ignore[arg-type]

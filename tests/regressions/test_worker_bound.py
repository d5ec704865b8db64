"""The number of workers is bounded: 4 per usable CPU, 64 at most.

``--workers 100000`` started 50 interpreters and 2 GB before failing; a
number over the bound is now refused before anything starts.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest

import neurotriage.pipeline.batch
from neurotriage import evaluate_many
from neurotriage.pipeline.batch import worker_limit
from tests.clitools import assert_clean_failure, cli
from tests.conftest import SAFE


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make this process see two usable CPUs, so the bound is 8."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)


@pytest.mark.parametrize(
    ("cpus", "bound"), [(1, 4), (2, 8), (16, 64), (100, 64)], ids=["1", "2", "16", "100"]
)
def test_the_bound_is_4_per_usable_cpu_and_64_at_most(monkeypatch, cpus, bound):
    """worker_limit() is 4 per CPU this process may use, never more than 64."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert worker_limit() == bound


def test_without_affinity_the_cpu_count_is_used(monkeypatch):
    """Where os.sched_getaffinity does not exist, os.cpu_count() counts the CPUs."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert worker_limit() == 12
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert worker_limit() == 4


@pytest.mark.usefixtures("two_cpus")
def test_evaluate_many_refuses_more_workers_than_the_bound_at_the_call():
    """workers over the bound raise ValueError stating the bound; nothing starts."""
    with pytest.raises(ValueError, match=r"^workers must be at most 8") as caught:
        evaluate_many([SAFE], workers=100_000)
    assert str(caught.value) == (
        "workers must be at most 8 on this machine (4 per CPU, never more than 64), not 100000"
    )
    with pytest.raises(ValueError, match=r"not 9$"):
        evaluate_many([SAFE], workers=9)
    assert multiprocessing.active_children() == []


@pytest.mark.usefixtures("two_cpus")
def test_evaluate_many_accepts_the_bound_itself(monkeypatch):
    """workers equal to the bound is accepted (checked without starting eight workers)."""
    seen = []
    monkeypatch.setattr(
        neurotriage.pipeline.batch, "_decisions", lambda *args: seen.append(args[-1]) or iter([])
    )
    assert list(evaluate_many([SAFE], workers=8)) == []
    assert seen == [8]


@pytest.mark.usefixtures("two_cpus")
@pytest.mark.parametrize("workers", ["9", "100000"])
def test_the_command_refuses_more_workers_than_the_bound(tmp_path, workers):
    """``--workers`` over the bound is a usage error (exit 2) stating the bound."""
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    run = cli("evaluate-many", source, "-o", tmp_path / "out.jsonl", "--workers", workers)
    assert_clean_failure(run)
    assert run.err.splitlines()[-1] == (
        "neurotriage evaluate-many: error: argument --workers: must be at most 8 on this"
        f" machine (4 per CPU, never more than 64), not '{workers}'"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]

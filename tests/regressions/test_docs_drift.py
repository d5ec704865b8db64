"""The docs had drifted from the code: checkout paths, stale outputs, numbers that disagreed."""

from __future__ import annotations

import re

import pytest

from tests.docs_pages import DOCS, ROOT, bench_numbers, blocks, markers, pages
from tests.docs_shell import Shell

PERFORMANCE = DOCS / "performance.md"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_no_page_shows_the_checkout_path(page):
    """No page holds the absolute path of the checkout it was written in."""
    assert str(ROOT) not in page.read_text(encoding="utf-8")


def test_printed_checkout_paths_are_compared_relative(tmp_path):
    """A rule location the command prints under the checkout is compared as rules/..."""
    shell = Shell(tmp_path)
    printed = f"  always-gentle-pressure  ({ROOT}/rules/session.yaml:32)\n"
    assert shell.normalise(printed) == "  always-gentle-pressure  (rules/session.yaml:32)\n"
    shown = "/tmp/unsafe-rules/x.yaml:1"  # noqa: S108 - what the page shows
    assert shell.normalise(f"{tmp_path}/unsafe-rules/x.yaml:1") == shown


@pytest.mark.parametrize("name", ["batch.md", "testing.md", "verification.md", "performance.md"])
def test_pages_once_left_out_are_tested(name):
    """The pages a hand-written list used to miss are found, and each runs an example."""
    page = DOCS / name
    assert page in pages()
    runnable = [
        b for b in blocks(page) if b.lang == "console" or (b.lang == "python" and not b.options)
    ]
    assert runnable, f"{name} runs no example"


def test_batch_rate_is_the_one_the_benchmark_printed():
    """batch.md quotes the evaluate_many rate that performance.md's report shows."""
    quoted = {name: value for _, name, value in markers((DOCS / "batch.md").read_text())}
    rate = quoted["batch.evaluate_many.reference.workers_1"]
    [line] = [
        line
        for line in bench_numbers()["blocks"]["batch"]
        if line.startswith("evaluate_many reference")
    ]
    assert f"workers=1 {rate}," in line


def test_reference_latency_in_prose_is_the_table_row():
    """The 'us from a Profile' quoted in performance.md is the table's median."""
    text = PERFORMANCE.read_text(encoding="utf-8")
    quoted = re.search(
        r"<!--bench:latency\.reference\.profile-->([\d.]+) us from a `Profile`", text
    )
    assert quoted is not None
    [row] = [
        line
        for line in bench_numbers()["blocks"]["report"]
        if line.startswith("reference evaluate(Profile)")
    ]
    assert row.split()[2] == quoted[1]

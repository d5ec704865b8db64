"""Huge and deeply nested inputs: refused or handled in bounded time and memory, clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from pydantic import ValidationError

from neurotriage import evaluate, evaluate_many
from tests.clitools import assert_clean_failure, cli, many_summary
from tests.conftest import SAFE

TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("profile", "location"),
    [
        pytest.param({"other_conditions": ["gout"] * 1_000_000}, ("other_conditions",), id="list"),
        pytest.param({"other_conditions": ["x" * TEN_MB]}, ("other_conditions", 0), id="item"),
        pytest.param({"diabetes": "x" * TEN_MB}, ("diabetes",), id="string-value"),
        pytest.param({"pain_level": 10**4000}, ("pain_level",), id="huge-int"),
        pytest.param({"x" * TEN_MB: True}, ("x" * TEN_MB,), id="string-key"),
    ],
)
def test_huge_values_are_refused_quickly_naming_the_field(profile, location):
    """~10 MB in one field (or as a key) gives a ValidationError naming it, within a second."""
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        evaluate(profile)
    assert time.perf_counter() - started < 1
    assert caught.value.errors()[0]["loc"] == location


def test_evaluate_many_refuses_a_huge_profile_at_its_index():
    """A 10 MB item among good ones is refused at its position, quickly."""
    started = time.perf_counter()
    decisions = evaluate_many([SAFE, {"other_conditions": ["x" * TEN_MB]}])
    assert next(decisions) == evaluate(SAFE)
    with pytest.raises(ValidationError):
        next(decisions)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "[" * 1_000_000,
            "standard input is not a valid profile: it is nested too deeply",
            id="1M-brackets",
        ),
        pytest.param(
            '{"a": ' * 100_000,
            "standard input is not a valid profile: it is nested too deeply",
            id="100k-objects",
        ),
        pytest.param(
            '{"other_conditions": ' + "[" * 50_000 + "]" * 50_000 + "}",
            "standard input is not a valid profile: it is nested too deeply",
            id="nested-value",
        ),
        pytest.param(
            '"' + "x" * TEN_MB + '"',
            "standard input is too large to be a profile: more than 1 MiB",
            id="10MB-string",
        ),
        pytest.param(
            json.dumps({"x" * 500_000: True}),
            "standard input is not a valid profile: field '"
            + "x" * 60
            + "... (500,000 characters)': unknown field (got true)",
            id="500k-key",
        ),
    ],
)
def test_evaluate_from_stdin_refuses_huge_and_deep_json_in_one_line(text, message):
    """``evaluate -`` gives exit 2 and one short line for deep or huge JSON, quickly."""
    started = time.perf_counter()
    run = cli("evaluate", "-", stdin=text)
    assert time.perf_counter() - started < 5
    assert_clean_failure(run)
    assert run.err == f"neurotriage: error: {message}\n"


def test_evaluate_many_handles_huge_and_deep_lines(tmp_path):
    """Deep and 10 MB lines get error records; the lines around them are still evaluated."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps(SAFE),
        "[" * 1_000_000,
        '"' + "x" * TEN_MB + '"',
        '{"a": ' * 100_000,
        json.dumps({"other_conditions": ["x"] * 5000}),
        json.dumps(SAFE),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    run = cli("evaluate-many", source, "-o", target)
    assert time.perf_counter() - started < 10
    verdict = evaluate(SAFE).verdict
    assert (run.code, run.err) == (1, many_summary([verdict, None, None, None, None, verdict]))
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [set(r) - {"line"} for r in records] == [
        {"decision"},
        {"error"},
        {"error"},
        {"error"},
        {"error"},
        {"decision"},
    ]
    assert records[1]["error"] == "line 2 is not a valid profile: it is nested too deeply"
    assert records[2]["error"] == "line 3 is too large to be a profile: more than 1 MiB"
    assert records[4]["error"] == (
        "line 5 is not a valid profile: field 'other_conditions': List should have at most 100"
        " items after validation, not 5000 (got an array of 5,000 items)"
    )


MAX_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=False, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_kib(*argv: str | os.PathLike[str]) -> int:
    """The peak resident memory (KiB) of a command, measured in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", MAX_RSS, *map(os.fspath, argv)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout)


def test_a_100_mb_line_is_never_held_in_memory(tmp_path):
    """evaluate-many reads an overlong line piece by piece: memory stays flat at 100 MB."""
    small, huge = tmp_path / "small.jsonl", tmp_path / "huge.jsonl"
    small.write_text(json.dumps(SAFE) + "\n", encoding="utf-8")
    with huge.open("w", encoding="utf-8") as handle:
        handle.write('{"other_conditions": ["')
        for _ in range(100):
            handle.write("x" * (1024 * 1024))
        handle.write('"]}\n' + json.dumps(SAFE) + "\n")
    command = [sys.executable, "-m", "neurotriage", "evaluate-many"]
    baseline = peak_kib(*command, small, "-o", tmp_path / "a.jsonl")
    peak = peak_kib(*command, huge, "-o", tmp_path / "b.jsonl")
    assert peak - baseline < 16 * 1024, f"peak {peak} KiB against {baseline} KiB for one line"
    records = (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(records) == 2
    assert json.loads(records[0])["error"] == "line 1 is too large to be a profile: more than 1 MiB"

"""``neurotriage evaluate-many``: one JSON record per input line, in order, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import neurotriage.cli._many
from neurotriage import BackendError, Decision, WorkerError, default_rules, evaluate, load_rules
from neurotriage.analysis import input_space
from neurotriage.cli import main
from neurotriage.cli._inputs import MAX_PROFILE_BYTES
from tests.clitools import Run, assert_clean_failure, cli, many_summary
from tests.conftest import ROOT, SAFE
from tests.rulefiles import BROKEN_RULES, write

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def jsonl(*profiles: Any) -> bytes:
    """Profiles as JSON Lines (each item a dict, or raw bytes for a line as it is)."""
    return b"".join(
        (p if isinstance(p, bytes) else json.dumps(p).encode()) + b"\n" for p in profiles
    )


def run_many(tmp_path: Path, content: bytes, *options: str) -> tuple[Run, list[dict[str, Any]]]:
    """Run evaluate-many on ``content`` written to a file; the run and the records read back."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(content)
    run = cli("evaluate-many", source, "-o", target, *options)
    lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    return run, [json.loads(line) for line in lines]


def decision_of(record: dict[str, Any]) -> Decision:
    """The Decision held by a success record."""
    return Decision.model_validate(record["decision"])


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# --- records --------------------------------------------------------------------------------


def test_every_line_gets_one_record_in_order(tmp_path):
    """Each line has exactly one record, numbered from 1, holding evaluate()'s decision."""
    profiles = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    profiles += [p.model_dump() for p in list(input_space(default_rules()))[::997]]
    run, records = run_many(tmp_path, jsonl(*profiles))
    assert run == Run(0, "", many_summary(evaluate(p).verdict for p in profiles))
    assert [r["line"] for r in records] == list(range(1, len(profiles) + 1))
    for record, profile in zip(records, profiles, strict=True):
        assert set(record) == {"line", "decision"}
        assert decision_of(record) == evaluate(profile)


def test_a_record_is_one_line_with_line_first(tmp_path):
    """A success record is ``{"line": N, "decision": {...}}`` on one line."""
    run, _ = run_many(tmp_path, jsonl({"open_wounds": True}))
    text = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert text.count("\n") == 1
    assert text.startswith('{"line": 1, "decision": {"verdict":"see_doctor",')
    assert run.code == 0


BAD_LINES = [
    pytest.param(
        b'{"pain_level": 3, "diabetes": }',
        "line 2 is not valid JSON: Expecting value at column 31",
        id="invalid-json",
    ),
    pytest.param(b"", "line 2 is blank; write one JSON profile per line", id="blank"),
    pytest.param(b" \t\r", "line 2 is blank; write one JSON profile per line", id="spaces"),
    pytest.param(
        b"[1, 2]", "line 2 must hold a JSON object of profile fields, not an array", id="array"
    ),
    pytest.param(b"null", "line 2 must hold a JSON object of profile fields, not null", id="null"),
    pytest.param(
        b'{"diabetes": true, "diabetes": false}',
        "line 2 is not a valid profile: duplicate key 'diabetes'",
        id="duplicate-key",
    ),
    pytest.param(
        b'{"diabetis": true}',
        "line 2 is not a valid profile: field 'diabetis': unknown field (got true)",
        id="unknown-field",
    ),
    pytest.param(
        b'{"pain_level": 11, "open_wounds": "no"}',
        "line 2 is not a valid profile: field 'pain_level': Input should be less than or equal"
        " to 10 (got 11); field 'open_wounds': Input should be a valid boolean (got \"no\")",
        id="every-problem",
    ),
    pytest.param(
        b'{"diabetes": \xff}',
        "line 2 is not valid UTF-8: 'utf-8' codec can't decode byte 0xff in position 13:"
        " invalid start byte",
        id="not-utf8",
    ),
    pytest.param(
        b"[" * 100_000,
        "line 2 is not a valid profile: it is nested too deeply",
        id="deeply-nested",
    ),
    pytest.param(
        b'{"other_conditions": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        "line 2 is not a valid profile: it is nested too deeply",
        id="deeply-nested-value",
    ),
    pytest.param(
        b'"' + b"x" * (10 * 1024 * 1024) + b'"',
        "line 2 is too large to be a profile: more than 1 MiB",
        id="10-MB-string",
    ),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_a_bad_line_gets_an_error_record_and_the_rest_go_on(tmp_path, line, message):
    """A bad line gets ``{"line": N, "error": ...}`` naming the problem; exit 1; the rest run."""
    run, records = run_many(tmp_path, jsonl(SAFE, line, {"open_wounds": True}))
    assert run == Run(1, "", many_summary([evaluate(SAFE).verdict, None, "see_doctor"]))
    assert records[1] == {"line": 2, "error": message}
    assert [r["line"] for r in records] == [1, 2, 3]
    assert decision_of(records[0]) == evaluate(SAFE)
    assert decision_of(records[2]) == evaluate({"open_wounds": True})


def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(tmp_path):
    """A line of 1 MiB is parsed; a line of 1 MiB + 1 byte is refused as too large."""
    padded = b'{"open_wounds": true}'.ljust(MAX_PROFILE_BYTES, b" ")
    run, records = run_many(tmp_path, jsonl(padded, padded + b" ", SAFE))
    assert run.code == 1
    assert decision_of(records[0]) == evaluate({"open_wounds": True})
    assert records[1] == {
        "line": 2,
        "error": "line 2 is too large to be a profile: more than 1 MiB",
    }
    assert decision_of(records[2]) == evaluate(SAFE)


def test_the_last_line_needs_no_newline_and_crlf_and_bom_are_accepted(tmp_path):
    """A missing final newline, CRLF line ends and a leading byte-order mark are all fine."""
    content = b'\xef\xbb\xbf{"open_wounds": true}\r\n{"open_wounds": false}'
    run, records = run_many(tmp_path, content)
    assert run == Run(0, "", many_summary(["see_doctor", "needs_answers"]))
    assert [decision_of(r) for r in records] == [
        evaluate({"open_wounds": True}),
        evaluate({"open_wounds": False}),
    ]


def test_an_empty_input_gives_an_empty_output(tmp_path):
    """No lines in, no records out, exit 0; the summary says so, every verdict at 0."""
    run, records = run_many(tmp_path, b"")
    summary = (
        "neurotriage: lines read 0, decided 0, failed 0; proceed 0, consult_first 0,"
        " needs_answers 0, needs_clearance 0, see_doctor 0, stop 0\n"
    )
    assert (run, records) == (Run(0, "", summary), [])
    assert (tmp_path / "out.jsonl").read_bytes() == b""


def test_stdin_to_stdout(tmp_path):
    """``-`` reads standard input and ``-o -`` writes the records to standard output."""
    run = cli("evaluate-many", "-", "-o", "-", stdin='{"open_wounds": true}\n[]\n')
    assert run.code == 1
    first, second = (json.loads(line) for line in run.out.splitlines())
    assert decision_of(first) == evaluate({"open_wounds": True})
    assert second == {
        "line": 2,
        "error": "line 2 must hold a JSON object of profile fields, not an array",
    }
    assert run.err == many_summary(["see_doctor", None])


def test_custom_rules_and_backend_options(tmp_path):
    """``--rules`` and ``--backend`` work as they do for evaluate."""
    rules_dir = ROOT / "rules"
    run, records = run_many(
        tmp_path, jsonl(SAFE, {}), "--rules", str(rules_dir), "--backend", "reference"
    )
    assert run.code == 0
    rules = load_rules(rules_dir)
    assert [decision_of(r) for r in records] == [
        evaluate(SAFE, rules=rules, backend="reference"),
        evaluate({}, rules=rules, backend="reference"),
    ]


def test_two_workers_write_exactly_what_one_process_writes(tmp_path):
    """``--workers 2`` gives byte-identical output to the default, bad lines included."""
    profiles = [p.model_dump() for p in list(input_space(default_rules()))[::311]]
    content = jsonl(*profiles[:300], b"{bad", b"", *profiles[300:])
    one, _ = run_many(tmp_path, content)
    single = (tmp_path / "out.jsonl").read_bytes()
    two, records = run_many(tmp_path, content, "--workers", "2")
    verdicts = [evaluate(p).verdict for p in profiles]
    assert one == two == Run(1, "", many_summary([*verdicts[:300], None, None, *verdicts[300:]]))
    assert (tmp_path / "out.jsonl").read_bytes() == single
    assert len(records) == len(profiles) + 2


# --- --compact ------------------------------------------------------------------------------

#: The keys of a --compact record, in the order they are written.
COMPACT_KEYS = [
    "line",
    "verdict",
    "allowed",
    "referral",
    "warnings",
    "questions",
    "fired_rules",
    "ruleset_version",
]


def corpus() -> list[dict[str, Any]]:
    """Every example profile and one profile in 97 of the built-in rules' input space."""
    profiles = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    return profiles + [p.model_dump() for p in list(input_space(default_rules()))[::97]]


def test_a_compact_record_holds_ids_and_codes_with_its_keys_in_order(tmp_path):
    """``--compact`` writes, per line, the decision's ids and codes under fixed keys, in order."""
    profiles = corpus()[::7]
    run, records = run_many(tmp_path, jsonl(*profiles), "--compact")
    assert run == Run(0, "", many_summary(evaluate(p).verdict for p in profiles))
    for number, (record, profile) in enumerate(zip(records, profiles, strict=True), start=1):
        decision = evaluate(profile)
        assert list(record) == COMPACT_KEYS
        assert record == {
            "line": number,
            "verdict": decision.verdict,
            "allowed": [t.technique for t in decision.allowed_techniques],
            "referral": decision.referral.level,
            "warnings": [w.code for w in decision.warnings],
            "questions": list(decision.questions),
            "fired_rules": list(decision.fired_rules),
            "ruleset_version": decision.ruleset_version,
        }


def test_a_compact_record_is_one_line_of_json_with_line_first(tmp_path):
    """A compact record reads ``{"line": 1, "verdict": ..., "allowed": [...], ...}`` on one line."""
    run_many(tmp_path, jsonl({"open_wounds": True}), "--compact")
    text = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert text.count("\n") == 1
    assert text.startswith(
        '{"line": 1, "verdict": "see_doctor", "allowed": [], "referral": "see_doctor",'
        ' "warnings": ["open-wounds", '
    )
    version = evaluate({"open_wounds": True}).ruleset_version
    assert text.endswith(f'"unknown-symptoms-worsening"], "ruleset_version": "{version}"}}\n')


def test_compact_error_records_are_the_same_as_without_it(tmp_path):
    """With ``--compact`` a bad line gets the very same error record, exit code and summary."""
    content = jsonl(SAFE, *(line.values[0] for line in BAD_LINES[:9]), {"open_wounds": True})
    full, full_records = run_many(tmp_path, content)
    compact, compact_records = run_many(tmp_path, content, "--compact")
    assert full == compact
    assert full.code == 1
    assert compact_records[1:-1] == full_records[1:-1]
    assert all(set(r) == {"line", "error"} for r in compact_records[1:-1])
    assert list(compact_records[0]) == list(compact_records[-1]) == COMPACT_KEYS


def test_two_workers_write_exactly_what_one_process_writes_compact(tmp_path):
    """``--compact --workers 2`` gives byte-identical output to ``--compact`` alone."""
    profiles = corpus()
    content = jsonl(*profiles[:300], b"{bad", *profiles[300:])
    one, _ = run_many(tmp_path, content, "--compact")
    single = (tmp_path / "out.jsonl").read_bytes()
    two, records = run_many(tmp_path, content, "--compact", "--workers", "2")
    assert one == two
    assert (tmp_path / "out.jsonl").read_bytes() == single
    assert len(records) == len(profiles) + 1


def test_compact_records_are_at_least_five_times_smaller(tmp_path):
    """On the examples and a spread of the input space, --compact writes 5x fewer bytes or less."""
    profiles = corpus()
    sizes = {}
    for options in ((), ("--compact",)):
        run, _ = run_many(tmp_path, jsonl(*profiles), *options)
        assert run.code == 0
        sizes[options] = (tmp_path / "out.jsonl").stat().st_size / len(profiles)
    full, compact = sizes[()], sizes[("--compact",)]
    assert full >= 5 * compact, f"{full:,.0f} bytes per full record, {compact:,.0f} compact"


# --- the summary line -----------------------------------------------------------------------


def test_the_summary_line_counts_lines_and_every_verdict(tmp_path):
    """A finished run ends with one line: lines read, decided, failed, then each verdict's count."""
    run, _ = run_many(tmp_path, jsonl(*[SAFE] * 1000, {"open_wounds": True}, b"[]"))
    assert evaluate(SAFE).verdict == "consult_first"
    assert run == Run(
        1,
        "",
        "neurotriage: lines read 1,002, decided 1,001, failed 1; proceed 0,"
        " consult_first 1,000, needs_answers 0, needs_clearance 0, see_doctor 1, stop 0\n",
    )


class UnwritableStream(io.StringIO):
    """A standard error that cannot be written (closed pipe, full disk)."""

    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


def test_an_unwritable_stderr_does_not_fail_a_finished_run(tmp_path):
    """The summary cannot be written: OUT is in place all the same, and the exit code stands."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(jsonl(SAFE, {"open_wounds": True}))
    code = main(
        ["evaluate-many", str(source), "-o", str(target)],
        stdout=io.StringIO(),
        stderr=UnwritableStream(),
    )
    assert code == 0
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [decision_of(r) for r in records] == [evaluate(SAFE), evaluate({"open_wounds": True})]


# --- progress -------------------------------------------------------------------------------


def test_progress_is_shown_on_a_terminal_only(tmp_path):
    """On a terminal a progress line is drawn, then replaced by the summary; otherwise no \\r."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(SAFE, b"oops", SAFE))
    err = FakeTerminal()
    code = main(
        ["evaluate-many", str(source), "-o", str(tmp_path / "out.jsonl")],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1
    progress, final = err.getvalue().split("\r")[1:]
    assert progress.startswith("neurotriage: 3 lines, 1 failed, ")
    assert progress.endswith(" lines/s ")
    summary = many_summary([evaluate(SAFE).verdict, None, evaluate(SAFE).verdict])
    assert final == summary[:-1].ljust(len(progress)) + "\n"  # it covers the whole progress line
    quiet = cli("evaluate-many", source, "-o", tmp_path / "out.jsonl")
    assert (quiet.code, quiet.err) == (1, summary)


# --- unusable arguments, files and rules: exit 2, nothing written ------------------------


def test_missing_input_exits_2_and_writes_nothing(tmp_path):
    """An input file that does not exist gives exit 2 and no output file."""
    missing, target = tmp_path / "nope.jsonl", tmp_path / "out.jsonl"
    run = cli("evaluate-many", missing, "-o", target)
    assert run == Run(
        2, "", f"neurotriage: error: cannot read {missing}: No such file or directory\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("{tmp}", "cannot write {tmp}: Is a directory", id="directory"),
        pytest.param(
            "{tmp}/no/such/dir/out.jsonl",
            "cannot write {tmp}/no/such/dir/out.jsonl: No such file or directory",
            id="missing-directory",
        ),
        pytest.param(
            "{tmp}/in.jsonl",
            "{tmp}/in.jsonl is the input file; write the records to another file",
            id="same-as-input",
        ),
    ],
)
def test_unusable_output_exits_2_and_leaves_files_alone(tmp_path, target, message):
    """An output that cannot be written, or is the input, gives exit 2; the input is intact."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(SAFE))
    run = cli("evaluate-many", source, "-o", target.format(tmp=tmp_path))
    assert run == Run(2, "", f"neurotriage: error: {message.format(tmp=tmp_path)}\n")
    assert source.read_bytes() == jsonl(SAFE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_broken_rules_exit_2_before_any_record(tmp_path):
    """A broken rule set gives exit 2 with the located problem and no output file."""
    rules_dir = write(tmp_path / "broken", {"catalogue.yaml": BROKEN_RULES})
    run, records = run_many(tmp_path, jsonl(SAFE), "--rules", str(rules_dir))
    assert_clean_failure(run)
    assert run.err.startswith("neurotriage: error: 1 problem in rule set:\n")
    assert records == []
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["evaluate-many", "in.jsonl"],
            "neurotriage evaluate-many: error: the following arguments are required: -o/--output",
            id="missing-output",
        ),
        pytest.param(
            ["evaluate-many", "-o", "out.jsonl"],
            "neurotriage evaluate-many: error: the following arguments are required: IN",
            id="missing-input",
        ),
        pytest.param(
            ["evaluate-many", "in.jsonl", "-o", "out.jsonl", "--workers", "0"],
            "neurotriage evaluate-many: error: argument --workers: must be a whole number of"
            " at least 1, not '0'",
            id="zero-workers",
        ),
        pytest.param(
            ["evaluate-many", "in.jsonl", "-o", "out.jsonl", "--workers", "two"],
            "neurotriage evaluate-many: error: argument --workers: must be a whole number of"
            " at least 1, not 'two'",
            id="word-workers",
        ),
        pytest.param(
            ["evaluate-many", "in.jsonl", "-o", "out.jsonl", "--backend", "fast"],
            "neurotriage evaluate-many: error: argument --backend: invalid choice: 'fast'",
            id="unknown-backend",
        ),
    ],
)
def test_usage_errors_exit_2(argv, message):
    """A wrong command line gives exit 2, the usage and one error line."""
    run = cli(*argv)
    assert_clean_failure(run)
    assert run.err.startswith("usage: neurotriage evaluate-many")
    assert run.err.splitlines()[-1].startswith(message)


def test_a_failure_mid_run_leaves_no_partial_output(tmp_path, monkeypatch):
    """If evaluation fails part-way, exit 2 and OUT keeps its old content; no temp file stays."""
    calls = []

    def failing(profile: Any, **kwargs: Any) -> Decision:
        calls.append(profile)
        if len(calls) == 3:
            raise BackendError("durable-rules answered status 1 for a new fact")
        return evaluate(profile, **kwargs)

    monkeypatch.setattr(neurotriage.cli._many, "evaluate", failing)
    target = tmp_path / "out.jsonl"
    target.write_text("old results\n", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(SAFE, SAFE, SAFE, SAFE))
    run = cli("evaluate-many", source, "-o", target)
    assert run == Run(2, "", "neurotriage: error: durable-rules answered status 1 for a new fact\n")
    assert target.read_text(encoding="utf-8") == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_help_lists_evaluate_many():
    """``--help`` names the evaluate-many command."""
    assert "evaluate-many" in cli("--help").out


# --- the real process -----------------------------------------------------------------------


def test_python_m_neurotriage_runs_worker_processes(tmp_path):
    """``python -m neurotriage evaluate-many --workers 2`` works in a real process."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(jsonl(*[SAFE] * 600, b"[]"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "neurotriage",
            "evaluate-many",
            source,
            "-o",
            target,
            "--workers",
            "2",
        ],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    summary = many_summary([evaluate(SAFE).verdict] * 600 + [None]).encode()
    assert (done.returncode, done.stdout, done.stderr) == (1, b"", summary)
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 601
    assert (
        records[-1]["error"] == "line 601 must hold a JSON object of profile fields, not an array"
    )


def test_a_dead_worker_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    """If a worker process dies mid-run, exit 2 with one line and no OUT."""

    def dying(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield None, ("proceed", '{"line": 1, "decision": {}}')
        raise WorkerError(
            "worker process 2 of 2 (pid 4242) was killed by SIGKILL (signal 9) before line 2"
            " was decided",
            2,
            4242,
            -9,
            1,
        )

    monkeypatch.setattr(neurotriage.cli._many, "map_ordered", dying)
    run, records = run_many(tmp_path, jsonl(SAFE, SAFE), "--workers", "2")
    assert run == Run(
        2,
        "",
        "neurotriage: error: worker process 2 of 2 (pid 4242) was killed by SIGKILL (signal 9)"
        " before line 2 was decided\n",
    )
    assert records == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path, monkeypatch):
    """Ctrl-C part-way gives exit 130, one line, and no OUT (nor a temporary file)."""

    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(neurotriage.cli._many, "_record", interrupted)
    run, records = run_many(tmp_path, jsonl(SAFE))
    assert run == Run(130, "", "neurotriage: interrupted\n")
    assert records == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]

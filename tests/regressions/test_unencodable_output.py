"""Output the stream cannot encode is escaped, not a UnicodeEncodeError traceback.

With ``PYTHONIOENCODING=ascii``, ``explain`` of a rule set whose texts are
not ASCII crashed with UnicodeEncodeError. The command's own streams now
write what they cannot encode as JSON escapes (``\\u00e9``), so text stays
readable and JSON output stays valid JSON with the same strings.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from neurotriage import Decision, evaluate
from neurotriage.cli._process import ESCAPE, escape_unencodable
from tests.clitools import many_summary
from tests.processes import console_command
from tests.rulefiles import load_unproved, write

RULES = """\
version: "1.0"
techniques:
  - id: soak
    name: Bain de pieds tiède
    area: pied
    how_to: Eau à 37 °C, jamais plus chaude 🦶.
    pressure_ceiling: light
rules:
  - id: plaie
    description: Une plaie ouverte exclut le massage — voir un médecin.
    when: open_wounds
    block: all
    verdict: see_doctor
    warn: {code: plaie, severity: danger, message: "Plaie ouverte : consultez un médecin."}
"""


@pytest.fixture
def french(tmp_path: Path) -> Path:
    """A rule set whose names, descriptions and messages are not ASCII."""
    return write(tmp_path / "règles", {"rules.yaml": RULES})


def run_ascii(
    *argv: str | os.PathLike[str], stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    """Run the command with ASCII standard streams."""
    return subprocess.run(
        [*console_command(), *map(os.fspath, argv)],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )


def test_explain_escapes_what_ascii_cannot_encode(tmp_path, french):
    """``explain`` prints the rule's French description with \\u escapes, exit 0."""
    profile = tmp_path / "p.json"
    profile.write_text('{"open_wounds": true}', encoding="utf-8")
    done = run_ascii("explain", profile, "--unverified", "--rules", french)
    assert (done.returncode, done.stderr) == (0, b"")
    lines = done.stdout.decode("ascii").splitlines()
    assert "    Une plaie ouverte exclut le massage \\u2014 voir un m\\u00e9decin." in lines


def test_json_output_stays_valid_json_with_the_same_text(tmp_path, french):
    """``evaluate --json`` on an ASCII stream is ASCII JSON equal to the decision."""
    profile = tmp_path / "p.json"
    profile.write_text('{"open_wounds": false}', encoding="utf-8")
    done = run_ascii("evaluate", "--json", profile, "--unverified", "--rules", french)
    assert (done.returncode, done.stderr) == (0, b"")
    decision = Decision.model_validate_json(done.stdout.decode("ascii"))
    assert decision == evaluate({"open_wounds": False}, rules=load_unproved(french))
    assert decision.allowed_techniques[0].how_to == "Eau à 37 °C, jamais plus chaude 🦶."
    assert b"\\u00e0 37 \\u00b0C, jamais plus chaude \\ud83e\\uddb6." in done.stdout


def test_evaluate_many_records_on_an_ascii_stdout_are_json(french):
    """``evaluate-many - -o -`` writes records that parse back to the decisions."""
    done = run_ascii(
        "evaluate-many",
        "-",
        "-o",
        "-",
        "--unverified",
        "--rules",
        french,
        stdin=b'{"open_wounds": true}\n',
    )
    expected = evaluate({"open_wounds": True}, rules=load_unproved(french))
    assert (done.returncode, done.stderr) == (0, many_summary([expected.verdict]).encode())
    (record,) = (json.loads(line) for line in done.stdout.decode("ascii").splitlines())
    assert Decision.model_validate(record["decision"]) == expected
    assert record["decision"]["warnings"][0]["message"] == "Plaie ouverte : consultez un médecin."


def test_an_error_on_stderr_escapes_a_file_name(tmp_path):
    """An error naming a non-ASCII file goes to an ASCII stderr escaped, on one line."""
    missing = tmp_path / "fïche.json"
    done = run_ascii("evaluate", missing)
    assert (done.returncode, done.stdout) == (2, b"")
    shown = str(missing).replace("ï", "\\u00ef")
    assert (
        done.stderr
        == f"neurotriage: error: cannot read {shown}: No such file or directory\n".encode()
    )


def test_the_escape_is_json_for_every_plane():
    """Latin-1, BMP and astral characters become \\u escapes that JSON reads back."""
    text = "é — 🦶"
    escaped = text.encode("ascii", ESCAPE).decode("ascii")
    assert escaped == "\\u00e9 \\u2014 \\ud83e\\uddb6"
    assert json.loads(f'"{escaped}"') == text


def test_escape_unencodable_sets_the_stream_and_leaves_others_alone():
    """A text stream over bytes gets the escaping handler; a StringIO is returned as it is."""
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert escape_unencodable(stream) is stream
    stream.write("médecin")
    stream.flush()
    assert stream.buffer.getvalue() == b"m\\u00e9decin"  # type: ignore[attr-defined]
    text = io.StringIO()
    assert escape_unencodable(text) is text

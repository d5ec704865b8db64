"""A rule file that is not UTF-8 was reported without a line (issue 8, item 11).

The error quoted Python's codec message ("position 38"); it now gives the line
and column of the first byte that is not UTF-8 and quotes that line, the bad
byte shown as U+FFFD under the caret.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from tests.rulefiles import write_file


def problem_of(tmp_path: Path, data: bytes) -> str:
    """The text of the only problem of a rule file holding ``data``."""
    path = write_file(tmp_path / "rules.yaml", data)
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    (problem,) = caught.value.problems
    return str(problem).replace(str(path), "rules.yaml")


def test_a_latin1_byte_is_located_at_its_line_and_column(tmp_path: Path):
    """'caf\\xe9' saved as Latin-1: line 3, column 22, the line quoted with a caret under it."""
    data = b'rules:\n  - id: x\n    description: "caf\xe9 au lait"\n'
    assert problem_of(tmp_path, data) == (
        "rules.yaml:3:22: the file is not valid UTF-8: cannot decode byte 0xe9 "
        "(invalid continuation byte); save it as UTF-8\n"
        '        description: "caf\ufffd au lait"\n'
        "                         ^"
    )


def test_the_column_counts_characters_not_bytes(tmp_path: Path):
    """Multi-byte characters before the bad byte count as one column each."""
    data = "# été\n# ".encode() + "é".encode() * 3 + b"\xff\n"
    assert problem_of(tmp_path, data) == (
        "rules.yaml:2:6: the file is not valid UTF-8: cannot decode byte 0xff "
        "(invalid start byte); save it as UTF-8\n"
        "    # ééé\ufffd\n"
        "         ^"
    )


def test_windows_line_ends_count_as_one(tmp_path: Path):
    """With \\r\\n line ends the line number is still the editor's."""
    data = b"rules: []\r\n# ok\r\n# \x80\r\n"
    assert problem_of(tmp_path, data).startswith(
        "rules.yaml:3:3: the file is not valid UTF-8: cannot decode byte 0x80 "
    )


def test_a_sequence_cut_at_the_end_of_the_file(tmp_path: Path):
    """A multi-byte character cut off by the end of the file is located too."""
    data = b"rules: []\n# \xe2\x82"
    assert problem_of(tmp_path, data) == (
        "rules.yaml:2:3: the file is not valid UTF-8: cannot decode byte 0xe2 "
        "(unexpected end of data); save it as UTF-8\n"
        "    # \ufffd\n"
        "      ^"
    )


def test_utf16_is_refused_at_its_first_byte(tmp_path: Path):
    """A file saved as UTF-16 (with its byte-order mark) is refused at line 1, column 1."""
    data = "rules: []\n".encode("utf-16")
    problem = problem_of(tmp_path, data)
    assert problem.startswith(
        "rules.yaml:1:1: the file is not valid UTF-8: cannot decode byte 0xff (invalid start byte)"
    )

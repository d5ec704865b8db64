"""A rules directory that could not be listed was reported as "cannot write the output".

``os.scandir``'s PermissionError escaped load_rules and the CLI took it for a
failed write (issue 8, item 11). It is now a RuleError naming the directory.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from neurotriage import RuleError, load_rules
from neurotriage.loading import _sources as sources
from tests.clitools import assert_clean_failure, cli
from tests.conftest import ROOT
from tests.rulefiles import copy_rules

OPEN_WOUND = ROOT / "examples" / "open-wound.json"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A copy of the built-in rules/ directory."""
    return copy_rules(tmp_path / "rules")


@pytest.fixture
def unreadable(rules_dir: Path) -> Iterator[Path]:
    """``rules_dir`` with no permissions at all, restored afterwards."""
    rules_dir.chmod(0)
    yield rules_dir
    rules_dir.chmod(0o755)


def expected(directory: Path) -> str:
    return (
        "neurotriage: error: 1 problem in rule set:\n"
        f"{directory}: cannot list the directory: Permission denied\n"
    )


def test_a_directory_that_cannot_be_listed_is_a_rule_error(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """scandir refused (as for a directory without read permission): a RuleError naming it."""

    def refuse(path: object) -> os.DirEntry[str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(sources.os, "scandir", refuse)
    run = cli("evaluate", "--rules", rules_dir, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err == expected(rules_dir)


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="chmod 000 does not stop root (or a non-POSIX system) from listing a directory",
)
def test_a_directory_without_permissions_is_a_rule_error(unreadable: Path):
    """A rules directory chmod 000: exit 2 and a RuleError naming it, not a write error."""
    run = cli("evaluate", "--rules", unreadable, OPEN_WOUND)
    assert_clean_failure(run)
    assert run.err == expected(unreadable)


def test_the_rule_error_names_the_directory(rules_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """load_rules raises RuleError (not PermissionError) whose file is the directory."""

    def refuse(path: object) -> os.DirEntry[str]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(sources.os, "scandir", refuse)
    with pytest.raises(RuleError) as caught:
        load_rules(rules_dir)
    assert (caught.value.file, caught.value.line) == (str(rules_dir), None)

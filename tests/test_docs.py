"""Every ```python block in docs/*.md and README.md runs as written.

The blocks of one page share a namespace and run in order, top to bottom, with
the repository root as the working directory (so ``examples/...`` resolves).
A block fenced as ```python skip-test is shown but not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

#: An opening ```python fence (with any options after it), its body, and the closing fence.
FENCE = re.compile(
    r"^```python(?P<options>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """The (line number, code) of each runnable python block of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if "skip-test" in match["options"].split():
            continue
        line = text.count("\n", 0, match.start("body")) + 1
        blocks.append((line, match["body"]))
    return blocks


def test_every_documented_page_is_collected():
    """The pages the docs index links to all exist and are tested here."""
    names = {page.name for page in PAGES}
    linked = {
        "index.md",
        "quickstart.md",
        "rule-language.md",
        "safety-model.md",
        "api.md",
        "cli.md",
        "performance.md",
    }
    assert linked | {"README.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch):
    """Each page's python blocks run in order in one fresh namespace from the repo root."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for line, code in python_blocks(page):
        # pad with newlines so a traceback points at the page's own line numbers
        compiled = compile("\n" * (line - 1) + code, str(page), "exec")
        exec(compiled, namespace)  # noqa: S102 - running our own documentation

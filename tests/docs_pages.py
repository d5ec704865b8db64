"""Reading the documentation pages: fenced blocks, links, headings and bench numbers.

Plain parsing, no running: ``tests/docs_examples.py`` runs what this finds, and
``tests/test_docs.py`` checks it. See the docstring of ``tests/test_docs.py``
for the conventions the pages follow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
INDEX = DOCS / "index.md"
#: The committed numbers every page quotes, written by ``bench/docs_numbers.py``.
NUMBERS = DOCS / "_numbers.json"

#: An opening fence at the start of a line: three backticks, a language, options.
OPENING = re.compile(r"^```(?P<lang>[^\s`]*)(?P<options>[^\n`]*)$")
CLOSING = re.compile(r"^```[ \t]*$")

#: ``<!--bench:NAME-->VALUE``: a number quoted from ``docs/_numbers.json``.
MARKER = re.compile(
    r"<!--bench:(?P<name>[a-z0-9_.\-]+)-->(?P<value>[+-]?\d[\d,]*(?:\.\d+)?|yes|no)?"
)
#: What a generated value may look like, so a marker can always find its end.
VALUE = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?|yes|no")

LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")


def shown(path: Path) -> str:
    """A page's path for messages: relative to the checkout when it is in it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def pages() -> list[Path]:
    """Every page whose examples are tested: each ``docs/*.md``, then the README."""
    return [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # the page's line number of the block's first body line
    lang: str
    options: tuple[str, ...]
    body: str  # the lines between the fences, each ending with a newline
    start: int  # offset of the body in the page's text
    end: int  # offset of the closing fence

    @property
    def where(self) -> str:
        """``docs/page.md:LINE``, for messages."""
        return f"{shown(self.page)}:{self.line}"

    def option(self, prefix: str) -> str | None:
        """The rest of the first option that starts with ``prefix``, if any."""
        for option in self.options:
            if option.startswith(prefix):
                return option[len(prefix) :]
        return None


def blocks(page: Path, text: str | None = None) -> list[Block]:
    """The fenced blocks of ``page`` in order (fences at the start of a line only)."""
    text = page.read_text(encoding="utf-8") if text is None else text
    found: list[Block] = []
    opened: tuple[re.Match[str], int, int] | None = None  # the fence, its line, body offset
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.rstrip("\n")
        if opened is None:
            fence = OPENING.match(stripped)
            if fence:
                opened = (fence, number + 1, offset + len(line))
        elif CLOSING.match(stripped):
            fence, first, start = opened
            found.append(
                Block(
                    page=page,
                    line=first,
                    lang=fence["lang"],
                    options=tuple(fence["options"].split()),
                    body=text[start:offset],
                    start=start,
                    end=offset,
                )
            )
            opened = None
        offset += len(line)
    if opened is not None:
        raise ValueError(f"{shown(page)}:{opened[1] - 1}: a fence is never closed")
    return found


def prose(text: str, page: Path) -> str:
    """The page without its fenced blocks (each replaced by as many empty lines)."""
    parts, last = [], 0
    for block in blocks(page, text):
        parts += [text[last : block.start], "\n" * block.body.count("\n")]
        last = block.end
    parts.append(text[last:])
    return "".join(parts)


def links(page: Path) -> list[tuple[int, str]]:
    """The (line, target) of every markdown link outside code, in order."""
    text = prose(page.read_text(encoding="utf-8"), page)
    text = re.sub(r"`[^`\n]*`", lambda m: " " * len(m[0]), text)  # no links in inline code
    return [(text.count("\n", 0, m.start()) + 1, m["target"]) for m in LINK.finditer(text)]


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    title = re.sub(r"<[^>]+>", "", title).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``, repeated titles numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(page.read_text(encoding="utf-8"), page).splitlines():
        heading = HEADING.match(line)
        if heading:
            base = slug(heading["title"])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """Each relative link of ``page`` whose file or heading does not exist."""
    problems = []
    for line, target in links(page):
        if re.match(r"[a-z][a-z0-9+.\-]*:", target):  # https:, mailto: ...: not checked here
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        where = f"{shown(page)}:{line}"
        if not destination.exists():
            problems.append(f"{where}: {target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{where}: {target}: no heading #{anchor} in {destination.name}")
    return problems


@cache
def bench_numbers() -> dict[str, Any]:
    """``docs/_numbers.json``: ``numbers`` (name to text) and ``blocks`` (name to lines)."""
    data: dict[str, Any] = json.loads(NUMBERS.read_text(encoding="utf-8"))
    return data


def markers(text: str) -> list[tuple[int, str, str | None]]:
    """The (line, name, quoted value or None) of every bench marker in ``text``."""
    return [
        (text.count("\n", 0, m.start()) + 1, m["name"], m["value"]) for m in MARKER.finditer(text)
    ]


def with_numbers(text: str, numbers: dict[str, str]) -> str:
    """``text`` with every marker's value replaced by the generated one."""

    def quote(match: re.Match[str]) -> str:
        value = numbers.get(match["name"])
        if value is None:
            return match[0]
        return f"<!--bench:{match['name']}-->{value}"

    return MARKER.sub(quote, text)

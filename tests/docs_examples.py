"""Run the examples of a docs page, and rewrite their shown output: ``--update``.

``tests/test_docs.py`` uses this to check every page; run it yourself to see every
difference at once, or to rewrite the pages after a change of behaviour:

    .venv/bin/python -m tests.docs_examples [PAGE ...]            # check, print diffs
    .venv/bin/python -m tests.docs_examples --update [PAGE ...]   # rewrite, then check

``--update`` rewrites the shown output of each ```console command that no longer
matches (keeping each ``...`` where it still hides something, and writing elapsed
times as ``<seconds>``), every bench number from ``docs/_numbers.json`` and every
``bench:NAME`` block. Then it checks the pages again and lists what it could not
fix (a ``...`` that now hides nothing, say). Review the result with ``git diff``:
a changed output is a changed behaviour.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs_pages import ROOT, Block, bench_numbers, blocks, pages, shown, with_numbers
from tests.docs_shell import Shell, ShellError, difference, shown_matches, updated


@dataclass(frozen=True)
class Command:
    """One ``$ COMMAND`` of a console block and the output shown under it."""

    line: int  # the page's line number of the ``$``
    raw: tuple[str, ...]  # the command's lines as written, continuations included
    shown: tuple[str, ...]

    @property
    def text(self) -> str:
        """The command line, continuations joined."""
        parts = [self.raw[0].removeprefix("$ ")] + [line.strip() for line in self.raw[1:]]
        return " ".join(part.removesuffix("\\").strip() for part in parts)

    def written(self, shown: Sequence[str]) -> str:
        """The command with ``shown`` as its output, as lines of a console block."""
        return "".join(line + "\n" for line in (*self.raw, *shown))


def commands(block: Block) -> list[Command]:
    """The commands of a console block, in order."""
    lines = block.body.splitlines()
    if not lines or not lines[0].startswith("$ "):
        raise ShellError(f"{block.where}: a console block starts with '$ COMMAND'")
    found: list[Command] = []
    index = 0
    while index < len(lines):
        start = index
        while lines[index].endswith("\\") and index + 1 < len(lines):
            index += 1
        raw = lines[start : index + 1]
        index += 1
        shown_from = index
        while index < len(lines) and not lines[index].startswith("$ "):
            index += 1
        found.append(Command(block.line + start, tuple(raw), tuple(lines[shown_from:index])))
    return found


@dataclass(frozen=True)
class Mismatch:
    """A command whose shown output is not what it prints."""

    where: str
    command: str
    shown: tuple[str, ...]
    printed: str

    def __str__(self) -> str:
        """Where, the command, and a diff from the shown lines to those it would be updated to."""
        new = updated(list(self.shown), self.printed)
        return f"{self.where}: $ {self.command}\n{difference(list(self.shown), new)}"


@dataclass
class PageRun:
    """What running one page found, and the console blocks as they would be updated."""

    page: Path
    mismatches: list[Mismatch] = field(default_factory=list)
    rewritten: list[tuple[Block, str]] = field(default_factory=list)  # (block, new body)


@contextlib.contextmanager
def environment(tmp: Path) -> Iterator[None]:
    """The repository root as working directory, ``tmp`` as tempfile's, 80 columns."""
    saved = (Path.cwd(), tempfile.tempdir, os.environ.get("COLUMNS"))
    os.chdir(ROOT)
    tempfile.tempdir = str(tmp)
    os.environ["COLUMNS"] = "80"  # argparse wraps --help to the terminal's width
    try:
        yield
    finally:
        os.chdir(saved[0])
        tempfile.tempdir = saved[1]
        if saved[2] is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved[2]


def run_page(page: Path, tmp: Path) -> PageRun:
    """Run the page's python blocks and console commands in order, in ``environment(tmp)``.

    The python blocks share one namespace. A block of any language fenced with the
    option ``file=/tmp/NAME`` is written to that file (under ``tmp``) instead of run.
    A python block that raises stops the run (the exception propagates, its
    traceback pointing at the page's own lines).
    """
    result = PageRun(page)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    shell = Shell(tmp)
    with environment(tmp):
        try:
            for block in blocks(page):
                if (name := block.option("file=")) is not None:
                    shell.writable(name).write_text(block.body, encoding="utf-8")
                elif block.lang == "console":
                    run_console(block, shell, result)
                elif block.lang == "python" and "skip-test" not in block.options:
                    # pad with newlines so a traceback points at the page's own line numbers
                    code = compile("\n" * (block.line - 1) + block.body, str(page), "exec")
                    exec(code, namespace)  # noqa: S102 - running our own documentation
        finally:
            shell.close()  # the servers it started in the background
    return result


def run_console(block: Block, shell: Shell, result: PageRun) -> None:
    """Run each command of ``block``; note mismatches and the block's updated body."""
    body, changed = [], False
    for command in commands(block):
        printed = shell.run(command.text)
        if shown_matches(list(command.shown), printed):
            body.append(command.written(command.shown))
            continue
        where = f"{shown(block.page)}:{command.line}"
        result.mismatches.append(Mismatch(where, command.text, command.shown, printed))
        body.append(command.written(updated(list(command.shown), printed)))
        changed = True
    if changed:
        result.rewritten.append((block, "".join(body)))


def rewrite(page: Path, run: PageRun) -> bool:
    """Write the page with updated console output, bench numbers and bench blocks."""
    text = page.read_text(encoding="utf-8")
    for block, body in sorted(run.rewritten, key=lambda item: item[0].start, reverse=True):
        text = text[: block.start] + body + text[block.end :]
    numbers = bench_numbers()
    text = with_numbers(text, numbers["numbers"])
    for block in reversed(blocks(page, text)):
        name = block.option("bench:")
        if name is not None and name in numbers["blocks"]:
            body = "".join(line + "\n" for line in numbers["blocks"][name])
            text = text[: block.start] + body + text[block.end :]
    if text == page.read_text(encoding="utf-8"):
        return False
    page.write_text(text, encoding="utf-8")
    return True


def check(page: Path, *, update: bool) -> list[str]:
    """Run (and with ``update`` rewrite) one page; return what is still wrong."""
    for attempt in ("run", "after the update"):
        with tempfile.TemporaryDirectory(prefix="docs-") as tmp:
            try:
                run = run_page(page, Path(tmp))
            except Exception:  # noqa: BLE001 - report any failing example, go on to the next page
                return [f"{shown(page)}: an example failed:\n{traceback.format_exc()}"]
        if not update or attempt != "run":
            break
        if rewrite(page, run):
            print(f"updated {shown(page)}")
    return [str(mismatch) for mismatch in run.mismatches]


def main(argv: Sequence[str] | None = None) -> int:
    """Check (or ``--update``) the given pages, or every page; 1 if anything is wrong."""
    parser = argparse.ArgumentParser(prog="python -m tests.docs_examples", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--update", action="store_true", help="rewrite the shown output")
    parser.add_argument("pages", nargs="*", type=Path, help="default: every page")
    args = parser.parse_args(argv)
    problems = []
    for page in [p.resolve() for p in args.pages] or pages():
        problems += check(page, update=args.update)
    for problem in problems:
        print(problem, end="\n\n")
    print(f"{len(problems)} problem(s)" if problems else "every example matches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The docs are executed: every example runs, every shown output is what the command prints.

Pages: every ``docs/*.md`` and ``README.md`` (found, not listed). Every page but
``docs/index.md`` must be linked from ``docs/index.md``, and every relative link
of every page (file and ``#heading``) must resolve.

How to write a page so that it is checked (notes for contributors):

- ```python blocks run in order, top to bottom, sharing one namespace per page,
  with the repository root as working directory (so ``examples/...`` resolves).
  ```python skip-test is shown but not run (say why next to it).
- ```console blocks are terminal sessions: ``$ COMMAND`` lines, each followed by
  the output it shows. They run in the same order as the python blocks, in-process
  (``neurotriage.cli.main``), and the shown output must be what the command prints.
  ``tests/docs_shell.py`` says which shell forms run (pipes to ``head``/``cut``,
  ``echo ... |``, ``> FILE``, ``echo $?`` for an exit status) and how output is
  normalised: the checkout's absolute path is dropped (``rules/clearance.yaml``),
  and the page's fresh temporary directory shows as ``/tmp``.
- Placeholders, the only loose parts of a comparison: a line that is only ``...``
  stands for one or more lines left out, ``<seconds>`` for an elapsed time, and
  ``<uuid>``, ``<time>`` and ``<ms>`` for a served decision's id, time and
  duration.
- ``neurotriage serve ... &`` starts a real server in the background for the
  rest of the page (on a free port, shown as the page's), and ``curl`` and
  ``python -m json.tool`` talk to it (``tests/docs_http.py``).
- An example that needs files makes them in a visible ```python block under
  ``tempfile.gettempdir()`` (``/tmp`` for a reader; a fresh directory in the tests,
  so pages never share or leave files), and the commands name them ``/tmp/NAME``.
  Pages never write into the checkout.
- A shell snippet with no output to check is ```sh. A ```text block never starts
  with ``$ `` (that would be an unchecked session: make it ```console).
- Performance numbers are never typed: write ``<!--bench:NAME-->VALUE``, where
  NAME is a key of ``docs/_numbers.json``, and a whole printed table as a
  ```text bench:NAME block. The test checks each VALUE against that file, and a
  number with a unit of time, rate or memory anywhere else in the prose fails
  (unless it is a limit listed in ``NOT_MEASURED`` below).

After a change of behaviour or of the rules, update the pages with one command
and review the diff (a changed output is a changed behaviour):

    .venv/bin/python -m tests.docs_examples --update

After a benchmark run (``make bench`` writes ``bench/results.json``):

    .venv/bin/python bench/docs_numbers.py              # writes docs/_numbers.json
    .venv/bin/python -m tests.docs_examples --update
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs_examples import check, commands, run_page
from tests.docs_pages import (
    DOCS,
    INDEX,
    MARKER,
    NUMBERS,
    ROOT,
    VALUE,
    bench_numbers,
    blocks,
    broken_links,
    links,
    markers,
    pages,
    prose,
)
from tests.docs_shell import Shell, ShellError, shown_matches, updated

PAGES = pages()
IDS = [page.name for page in PAGES]
HINT = "\n\nIf the new output is right: .venv/bin/python -m tests.docs_examples --update"

#: A number with a unit of time, rate, memory or a ratio: what a benchmark measures.
PERFORMANCE = re.compile(
    r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?:[-\u2013]\d[\d,]*(?:\.\d+)?)?\s?"
    r"(?:µs|us|ms|s|seconds?|minutes?|x|MiB|MB|GB|KB|/s|lines/s|profiles/s)(?!\w)"
)
#: Numbers with such units that are limits or facts, not measurements: (page, text).
NOT_MEASURED = {
    ("batch.md", "1 MiB"),  # the largest line evaluate-many reads
    ("cli.md", "1 MiB"),  # the largest profile evaluate reads
    ("rule-language.md", "16 MiB"),  # the largest rule file
    ("rule-language.md", "20 KB"),  # the size of the built-in rule files
    ("testing.md", "200 ms"),  # hypothesis' default deadline
    ("verification.md", "2 GB"),  # analysis.MAX_BYTES
    ("performance.md", "14.5 us"),  # GoRules ZEN's published figure, not ours
    ("server.md", "1 MiB"),  # the largest request body
    ("server.md", "10 MiB"),  # the decision log's rotation size
    ("server.md", "30 s"),  # how long a request body may take to arrive
    ("server.md", "5 seconds"),  # the graceful stop's grace
    ("server.md", "500 ms"),  # the CDS Hooks specification's target, not a measurement
}


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.parent == DOCS and p != INDEX], ids=lambda p: p.name
)
def test_every_page_is_linked_from_the_index(page: Path):
    """Each docs page is reachable from docs/index.md."""
    linked = {(INDEX.parent / target.partition("#")[0]).resolve() for _, target in links(INDEX)}
    assert page in linked, f"docs/index.md does not link to {page.name}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_links_resolve(page: Path):
    """Every relative link of the page names a file that exists, and a heading it has."""
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_page_examples_run(page: Path, tmp_path: Path):
    """Each page's python blocks and console commands run in order; shown output is printed."""
    before = snapshot()
    run = run_page(page, tmp_path)
    assert snapshot() == before, "a docs example wrote into the checkout"
    if run.mismatches:
        pytest.fail("\n\n".join(map(str, run.mismatches)) + HINT, pytrace=False)


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_unchecked_sessions(page: Path):
    """A terminal session is a console block, so its output is checked."""
    unchecked = [
        block.where
        for block in blocks(page)
        if block.lang != "console" and block.body.startswith("$ ")
    ]
    assert unchecked == [], "make these ```console blocks"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_quoted_numbers_are_the_benchmarks(page: Path):
    """Every bench marker and bench block of the page holds the value of docs/_numbers.json."""
    numbers = bench_numbers()
    text = page.read_text(encoding="utf-8")
    wrong = []
    for line, name, value in markers(text):
        expected = numbers["numbers"].get(name)
        if expected is None:
            wrong.append(f"line {line}: no number {name!r} in {NUMBERS.name}")
        elif value != expected:
            wrong.append(f"line {line}: {name} is {value} here, {expected} in {NUMBERS.name}")
    for block in blocks(page, text):
        name = block.option("bench:")
        if name is None:
            continue
        expected_lines = numbers["blocks"].get(name)
        if expected_lines is None:
            wrong.append(f"{block.where}: no block {name!r} in {NUMBERS.name}")
        elif [line.rstrip() for line in block.body.splitlines()] != expected_lines:
            wrong.append(f"{block.where}: block {name} differs from {NUMBERS.name}")
    if wrong:
        pytest.fail("\n".join(wrong) + HINT, pytrace=False)


def test_every_benchmark_number_is_quoted_and_well_formed():
    """docs/_numbers.json holds no number the pages do not quote, and each can be re-found."""
    numbers = bench_numbers()
    texts = [page.read_text(encoding="utf-8") for page in PAGES]
    quoted = {name for text in texts for _, name, _ in markers(text)}
    used_blocks = {
        name
        for page in PAGES
        for block in blocks(page)
        if (name := block.option("bench:")) is not None
    }
    assert set(numbers["numbers"]) - quoted == set()
    assert set(numbers["blocks"]) - used_blocks == set()
    assert [v for v in numbers["numbers"].values() if not VALUE.fullmatch(v)] == []


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_performance_numbers_come_from_the_benchmark(page: Path):
    """No page types a time, rate or memory figure: each is a bench marker (or a limit)."""
    text = prose(page.read_text(encoding="utf-8"), page)
    text = MARKER.sub("", text)  # a marker and its value: checked above
    text = re.sub(r"`[^`\n]*`", "", text)  # code: names and commands, not measurements
    typed = [m[0] for m in PERFORMANCE.finditer(text) if (page.name, m[0]) not in NOT_MEASURED]
    assert typed == [], "quote these from docs/_numbers.json with <!--bench:NAME-->"


def snapshot() -> set[str]:
    """The files in the checkout's top level and in the directories the docs read."""
    return {
        str(path.relative_to(ROOT))
        for folder in (ROOT, ROOT / "docs", ROOT / "examples", ROOT / "rules")
        for path in folder.iterdir()
    }


# --- the checker itself ------------------------------------------------------------------------


def test_shown_output_must_match_line_for_line():
    """Any changed, missing or extra line is a mismatch; trailing spaces are not."""
    printed = "Verdict: stop\nReferral: none\n"
    assert shown_matches(["Verdict: stop", "Referral: none  "], printed)
    assert not shown_matches(["Verdict: proceed", "Referral: none"], printed)
    assert not shown_matches(["Verdict: stop"], printed)
    assert not shown_matches(["Verdict: stop", "Referral: none", ""], printed)
    assert not shown_matches([], printed)


def test_an_elision_stands_for_one_or_more_lines():
    """A '...' line hides at least one line, and only whole lines."""
    printed = "a\nb\nc\nd\n"
    assert shown_matches(["a", "...", "d"], printed)
    assert shown_matches(["a", "  ...", "c", "d"], printed)
    assert shown_matches(["...", "d"], printed)
    assert not shown_matches(["a", "b", "...", "c", "d"], printed)  # hides nothing
    assert not shown_matches(["a", "...", "x"], printed)


def test_seconds_placeholder_matches_only_a_number():
    """<seconds> matches an elapsed time and nothing else."""
    shown = ["Input space: 9 classes, checked in <seconds> s"]
    assert shown_matches(shown, "Input space: 9 classes, checked in 2.7 s\n")
    assert not shown_matches(shown, "Input space: 9 classes, checked in soon s\n")
    assert not shown_matches(shown, "Input space: 8 classes, checked in 2.7 s\n")


def test_update_keeps_elisions_and_placeholders():
    """Rewriting shown output keeps each '...' that still hides lines, and <seconds>."""
    shown = ["Rule set 1", "checked in <seconds> s", "...", "3 properties"]
    printed = "Rule set 2\nchecked in 4.2 s\nPASS a\nPASS b\n4 properties\n"
    new = updated(shown, printed)
    assert new == ["Rule set 2", "checked in <seconds> s", "...", "4 properties"]
    assert shown_matches(new, printed)


def test_console_blocks_split_into_commands_and_output(tmp_path: Path):
    """A console block is '$ ' commands (a trailing backslash continues one) and output."""
    page = tmp_path / "page.md"
    page.write_text("```console\n$ echo a \\\n    b\na b\n$ echo $?\n0\n```\n")
    [block] = blocks(page)
    parsed = commands(block)
    assert [(c.line, c.text, c.shown) for c in parsed] == [
        (2, "echo a b", ("a b",)),
        (5, "echo $?", ("0",)),
    ]


def test_the_shell_maps_tmp_and_runs_the_command_in_process(tmp_path: Path):
    """/tmp is the page's directory; a pipeline feeds the command; echo $? is its status."""  # noqa: S108
    shell = Shell(tmp_path)
    assert shell.run("echo '{\"open_wounds\": true}' > /tmp/p.json") == ""
    assert (tmp_path / "p.json").read_text() == '{"open_wounds": true}\n'
    assert shell.run("neurotriage evaluate /tmp/p.json | head -1") == (
        "Verdict: see_doctor (see a doctor; no massage for now)\n"
    )
    assert shell.run("neurotriage evaluate /tmp/nosuch.json") == (
        "neurotriage: error: cannot read /tmp/nosuch.json: No such file or directory\n"
    )
    assert shell.run("echo $?") == "2\n"
    assert shell.run("printf '%s\\n' a b | cut -c 1-1") == "a\nb\n"


def test_the_shell_refuses_what_it_cannot_run(tmp_path: Path):
    """Unsupported commands and writes outside /tmp are errors, never run in the checkout."""
    shell = Shell(tmp_path)
    with pytest.raises(ShellError, match="cannot run 'sed' in a docs example"):
        shell.run("sed -i s/a/b/ rules/session.yaml")
    with pytest.raises(
        ShellError, match=re.escape("may only write under /tmp, not to 'out.jsonl'")
    ):
        shell.run("echo x > out.jsonl")
    assert not (ROOT / "out.jsonl").exists()


def test_update_rewrites_stale_output_and_keeps_elisions(tmp_path: Path):
    """--update rewrites what a command no longer prints, keeps '...', then checks again."""
    page = tmp_path / "page.md"
    head = "```console\n$ neurotriage evaluate examples/open-wound.json\n"
    page.write_text(f"{head}Verdict: proceed\n...\n$ echo $?\n7\n```\n")
    assert check(page, update=False) != []
    assert check(page, update=True) == []
    assert page.read_text() == (
        f"{head}Verdict: see_doctor (see a doctor; no massage for now)\n...\n$ echo $?\n0\n```\n"
    )

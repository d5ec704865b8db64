"""The small shell that runs the ```console examples of the docs, in-process.

A console block is a terminal session: lines ``$ COMMAND`` (a trailing ``\\``
continues the command on the next line), each followed by what it shows. This
module runs one command and returns what a terminal would show (standard output
of the last command of the pipeline, then standard error), normalised:

- the absolute path of the checkout (and of the built-in rules, wherever they are
  installed) is dropped, so ``/abs/checkout/rules/clearance.yaml`` shows as
  ``rules/clearance.yaml``;
- the page's fresh temporary directory shows as ``/tmp``. Commands run with
  ``/tmp/...`` arguments mapped to that directory, so a page names its files
  ``/tmp/name`` and never touches the real ``/tmp``.

A command is a pipeline of these, nothing else (anything else is an error that
says so; do the setup in a ```python block instead):

- ``neurotriage ARGS``: ``neurotriage.cli.main(ARGS)``, from the repository root;
  in a pipeline it reads the previous command's output as standard input;
- ``pytest ARGS``: ``python -m pytest ARGS`` in a child process, from the
  repository root (the page writes its test file with a ```python file=/tmp/NAME
  block);
- ``echo WORDS``, ``printf FORMAT ARGS`` (``%s`` and ``\\n`` only), ``cat FILE``;
- ``head -n N`` / ``head -N``, ``tail -n N`` / ``tail -N`` and ``cut -c A-B``, on
  standard input or a FILE;
- ``ln -s TARGET LINK``;
- ``echo $?``: the exit status of the previous command, the way to show (and so
  check) an exit status;
- ``neurotriage serve ARGS &`` (a real server in the background, stopped when the
  page ends), ``curl ...`` to it and ``python -m json.tool``: see
  ``tests/docs_http.py``;
- ``> FILE`` after the last command of a pipeline; FILE must be under ``/tmp``
  or ``/dev/null``.

How shown output is compared with what the command printed (trailing spaces are
ignored on both sides):

- a line that is only ``...`` (indented or not) stands for one or more lines
  left out;
- ``<seconds>`` stands for a number of seconds (elapsed time, which varies);
- ``<uuid>`` for a random UUID, ``<time>`` for an ISO 8601 timestamp and
  ``<ms>`` for a duration in milliseconds (what a served decision's card and
  log line hold);
- every other line must be exactly what the command printed.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from neurotriage import default_rules
from neurotriage.cli import main
from neurotriage.engines import durable_available
from tests.docs_http import Servers, curl, json_tool
from tests.docs_pages import ROOT

#: How pages name the page's temporary directory (never written to itself).
SHOWN_TMP = "/tmp"  # noqa: S108
#: A shown line that stands for one or more lines left out.
ELISION = "..."
#: Tokens of shown output that stand for a part that varies from run to run.
PLACEHOLDERS = {
    "<seconds>": r"\d+(?:\.\d+)?",
    "<uuid>": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "<time>": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)",
    "<ms>": r"\d+(?:\.\d+)?",
}
#: Where the variable parts are in printed output: what ``--update`` writes as a token.
VARIABLE = [
    (re.compile(r"(?<=checked in )\d+(?:\.\d+)?(?= s\b)"), "<seconds>"),  # verify
    (re.compile(r"(?<=proved by the solver in )\d+(?:\.\d+)?(?= s\b)"), "<seconds>"),
    (re.compile(r"(?<=(?:passed|failed) in )\d+\.\d+(?=s\b)"), "<seconds>"),  # pytest
    (re.compile(r"(?<=; ready in )\d+\.\d+(?= s\b)"), "<seconds>"),  # serve
    (re.compile(PLACEHOLDERS["<uuid>"]), "<uuid>"),
    (re.compile(PLACEHOLDERS["<time>"]), "<time>"),
    (re.compile(r'(?<="duration_ms": )\d+(?:\.\d+)?'), "<ms>"),
]
#: The commands whose result depends only on their arguments and the files they name:
#: slow enough (they walk the input space) to be worth running once per test session.
PURE = frozenset({"verify", "lint", "diff"})
_CACHE: dict[tuple[object, ...], tuple[int, str, str]] = {}


#: The pages show a machine where durable-rules imports. Where it does not
#: (Python 3.13), evaluate() warns once that it uses the reference backend, as
#: documented, and a child pytest run would print that warning; it is not part
#: of what a page shows, so there (and only there) RuntimeWarnings are ignored.
_QUIET_FALLBACK = (
    {"PYTHONWARNINGS": "ignore::RuntimeWarning"} if durable_available() is not None else {}
)


class ShellError(Exception):
    """A docs example uses a shell form this module does not run."""


@dataclass
class Shell:
    """One page's terminal: its temporary directory and the last exit status."""

    tmp: Path
    status: int = 0
    _names: dict[str, Callable[[list[str], str | None], tuple[int, str, str]]] = field(
        init=False, repr=False
    )
    servers: Servers = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.servers = Servers(self.tmp)
        self._names = {
            "neurotriage": self._neurotriage,
            "pytest": self._pytest,
            "echo": self._echo,
            "printf": self._printf,
            "cat": self._cat,
            "head": self._head,
            "tail": self._tail,
            "cut": self._cut,
            "ln": self._ln,
            "curl": lambda args, _stdin: curl(args, self.servers, self._read),
            "python": json_tool,
        }

    def close(self) -> None:
        """Stop what the page started in the background."""
        self.servers.close()

    # --- running a command -----------------------------------------------------------------

    def run(self, command: str) -> str:
        """Run one command line; return what the terminal shows, normalised."""
        stages, target = parse(command)
        if stages[-1][-1] == "&":
            if len(stages) > 1 or target is not None or stages[0][0] != "neurotriage":
                raise ShellError(
                    f"only 'neurotriage serve ... &' runs in the background: {command!r}"
                )
            self.status = 0
            return self.normalise(self.servers.start([self.path(a) for a in stages[0][1:-1]]))
        stdin: str | None = None
        errors = []
        for stage in stages:
            name, *args = stage
            if stage == ["echo", "$?"]:
                status, stdin, err = 0, f"{self.status}\n", ""
            elif name in self._names:
                status, stdin, err = self._names[name](args, stdin)
            else:
                raise ShellError(
                    f"cannot run {name!r} in a docs example (supported: "
                    f"{', '.join(self._names)}; set files up in a ```python block)"
                )
            errors.append(err)
        self.status = status
        out = stdin or ""
        if target is not None:
            if target != "/dev/null":
                self.writable(target).write_text(out, encoding="utf-8")
            out = ""
        return self.normalise(out + "".join(errors))

    def path(self, word: str) -> str:
        """A command's argument, with ``/tmp`` mapped to the page's temporary directory."""
        if word == SHOWN_TMP or word.startswith(SHOWN_TMP + "/"):
            return str(self.tmp) + word[len(SHOWN_TMP) :]
        return word

    def normalise(self, text: str) -> str:
        """Printed text as a page shows it: no checkout path, ``/tmp`` for the page's,
        the page's port for a background server's."""
        text = self.servers.shown_ports(text)
        for tmp in sorted({str(self.tmp.resolve()), str(self.tmp)}, key=len, reverse=True):
            text = text.replace(tmp, SHOWN_TMP)
        for root, shown in ((builtin_rules_dir(), "rules"), (ROOT, ".")):
            text = text.replace(f"{root}{os.sep}", "" if shown == "." else f"{shown}/")
            text = text.replace(str(root), shown)
        return text

    def writable(self, word: str) -> Path:
        path = Path(self.path(word))
        if not path.is_relative_to(self.tmp):
            raise ShellError(f"a docs example may only write under /tmp, not to {word!r}")
        return path

    # --- the commands ----------------------------------------------------------------------

    def _neurotriage(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        argv = [self.path(a) for a in args]
        key = None
        if argv and argv[0] in PURE:
            key = (tuple(argv), stdin, tuple(fingerprint(Path(a)) for a in argv))
            if key in _CACHE:
                return _CACHE[key]
        out, err = io.StringIO(), io.StringIO()
        status = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin or ""))
        result = (status, out.getvalue(), err.getvalue())
        if key is not None:
            _CACHE[key] = result
        return result

    def _pytest(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        """``python -m pytest ARGS`` in a child process (see ``_QUIET_FALLBACK``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *(self.path(a) for a in args)],
            input=stdin or "",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={
                **env,
                "COLUMNS": "80",
                "HYPOTHESIS_STORAGE_DIRECTORY": str(self.tmp / ".hypothesis"),
                **_QUIET_FALLBACK,
            },
            check=False,
            timeout=300,
        )
        return done.returncode, done.stdout, done.stderr

    def _echo(self, args: list[str], _stdin: str | None) -> tuple[int, str, str]:
        return 0, " ".join(args) + "\n", ""

    def _printf(self, args: list[str], _stdin: str | None) -> tuple[int, str, str]:
        form = args[0] if args else ""
        if not form or set(re.findall(r"%.", form)) - {"%s"} or "\\" in form.replace("\\n", ""):
            raise ShellError(f"printf here takes a format of text, %s and \\n only: {args!r}")
        form, values, slots = form.replace("\\n", "\n"), args[1:], form.count("%s")
        if not slots:
            return 0, form, ""
        chunks = [values[i : i + slots] for i in range(0, len(values), slots)] or [[]]
        return 0, "".join(form % tuple(c + [""] * (slots - len(c))) for c in chunks), ""

    def _cat(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        return 0, "".join(self._read(a) for a in args) if args else stdin or "", ""

    def _head(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        count, lines = self._count_lines("head", args, stdin)
        return 0, "".join(lines[:count]), ""

    def _tail(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        count, lines = self._count_lines("tail", args, stdin)
        return 0, "".join(lines[len(lines) - count :] if count else []), ""

    def _count_lines(self, name: str, args: list[str], stdin: str | None) -> tuple[int, list[str]]:
        match args:
            case ["-n", count, *rest] if count.isdigit():
                pass
            case [option, *rest] if re.fullmatch(r"-\d+", option):
                count = option[1:]
            case _:
                raise ShellError(f"{name} takes -n N or -N: {args!r}")
        return int(count), self._input(rest, stdin).splitlines(keepends=True)

    def _cut(self, args: list[str], stdin: str | None) -> tuple[int, str, str]:
        match args:
            case ["-c", columns, *rest] if re.fullmatch(r"\d+-\d+", columns):
                first, last = (int(n) for n in columns.split("-"))
            case _:
                raise ShellError(f"cut takes -c A-B: {args!r}")
        lines = self._input(rest, stdin).splitlines()
        return 0, "".join(line[first - 1 : last] + "\n" for line in lines), ""

    def _ln(self, args: list[str], _stdin: str | None) -> tuple[int, str, str]:
        if len(args) != 3 or args[0] != "-s":
            raise ShellError(f"ln takes -s TARGET LINK: {args!r}")
        self.writable(args[2]).symlink_to(self.path(args[1]))
        return 0, "", ""

    def _input(self, files: list[str], stdin: str | None) -> str:
        if len(files) > 1:
            raise ShellError(f"one FILE at most: {files!r}")
        return self._read(files[0]) if files else stdin or ""

    def _read(self, word: str) -> str:
        return Path(self.path(word)).read_text(encoding="utf-8")


def parse(command: str) -> tuple[list[list[str]], str | None]:
    """The words of each command of a pipeline, and the FILE of a final ``> FILE``."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars="|>")
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError as error:
        raise ShellError(f"cannot split {command!r}: {error}") from error
    stages: list[list[str]] = [[]]
    for word in words:
        if word == "|":
            stages.append([])
        else:
            stages[-1].append(word)
    target = None
    if ">" in stages[-1]:
        at = stages[-1].index(">")
        if at != len(stages[-1]) - 2:
            raise ShellError(f"'> FILE' must end the command: {command!r}")
        target = stages[-1][at + 1]
        stages[-1] = stages[-1][:at]
    if any(not stage or ">" in stage for stage in stages):
        raise ShellError(f"an empty command or a '>' before a '|': {command!r}")
    return stages, target


def builtin_rules_dir() -> Path:
    """The directory the built-in rule files are loaded from, wherever it is installed."""
    return Path(default_rules().rules[0].file).resolve().parent


def fingerprint(path: Path) -> str:
    """A digest of the names and contents under ``path`` ("" if it does not exist)."""
    if not path.exists():
        return ""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(os.fsencode(file.relative_to(path)) if path.is_dir() else b"")
        digest.update(b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


# --- comparing and updating shown output -------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def _line_pattern(line: str) -> str:
    parts = re.split("(" + "|".join(map(re.escape, PLACEHOLDERS)) + ")", line.rstrip())
    return "".join(PLACEHOLDERS.get(part, re.escape(part)) for part in parts)


def shown_matches(shown: list[str], printed: str) -> bool:
    """Whether the shown lines (with ``...`` and placeholders) match the printed text."""
    pattern = "".join(
        r"(?:[^\n]*\n)+" if line.strip() == ELISION else _line_pattern(line) + r"\n"
        for line in shown
    )
    text = "".join(line + "\n" for line in _lines(printed))
    return re.fullmatch(pattern, text) is not None


def difference(shown: list[str], new: list[str]) -> str:
    """A unified diff from the shown lines to new ones, for a failure message."""
    diff = difflib.unified_diff(
        [line.rstrip() for line in shown], new, "shown", "printed", lineterm=""
    )
    return "\n".join(diff)


def with_placeholders(line: str) -> str:
    """A printed line with its variable parts written as placeholders."""
    for pattern, placeholder in VARIABLE:
        line = pattern.sub(placeholder, line)
    return line


def updated(shown: list[str], printed: str) -> list[str]:
    """New shown lines for ``printed``: the old ones where they still match, ``...`` kept.

    Best effort: lines are aligned with difflib; a changed stretch that held a ``...``
    keeps the ``...`` in place of what it hid, and the literal lines around it are
    replaced by the printed lines in their place. The caller checks the result matches.
    """
    new = [with_placeholders(line) for line in _lines(printed)]
    old = [line.rstrip() for line in shown]
    keys = [_key(line, old) for line in new]
    matcher = difflib.SequenceMatcher(None, old, keys, autojunk=False)
    result: list[str] = []
    for tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        was, now = old[old_from:old_to], new[new_from:new_to]
        if tag == "equal":
            result += was
            continue
        elided = [i for i, line in enumerate(was) if line.strip() == ELISION]
        if not elided or not now:
            result += now
            continue
        head, tail = elided[0], len(was) - elided[-1] - 1
        if head + tail >= len(now):  # not enough printed lines to keep an elision
            result += now
            continue
        result += [*now[:head], was[elided[0]], *now[len(now) - tail :]]
    return result


def _key(line: str, old: list[str]) -> str:
    """The old line that ``line`` matches through a placeholder, else ``line`` itself."""
    for candidate in old:
        if any(token in candidate for token in PLACEHOLDERS) and re.fullmatch(
            _line_pattern(candidate), line
        ):
            return candidate
    return line

"""``neurotriage evaluate-many``: one JSON profile per line in, one JSON record per line out.

Every input line gets exactly one output record, in input order, so nothing
is lost and line N of the output answers line N of the input:

* ``{"line": N, "decision": {...}}``: the Decision, as ``evaluate --json`` prints it;
  with ``--compact``, ``{"line": N, "verdict": ..., "allowed": [...],
  "referral": ..., "warnings": [...], "questions": [...], "fired_rules": [...],
  "ruleset_version": ...}`` instead (ids and codes only, keys in that order);
* ``{"line": N, "error": "line N ..."}``: why line N gave no decision. The
  message is the one ``evaluate`` gives for a file, naming the field. A blank
  line, a line that is not UTF-8 and a line over 1 MiB are errors too: a
  skipped line would shift every later answer.

Each line is read as bytes, at most 1 MiB of it kept (the rest of a longer
line is read and dropped), and decoded as strict UTF-8; a byte-order mark
is allowed at the start of the first line. In worker processes the whole
line (parse, validate, evaluate, encode) is done by the worker; this process
only reads lines and writes records. Each line's task also returns its
verdict (None for an error record), so counting the verdicts for the summary
costs this process a dictionary update per line.

Once every record is in place, standard error gets one summary line (lines
read, decided, failed, and the count of each verdict); on a terminal it
replaces the progress line. A run that fails (exit 2, a signal) prints no
summary: the summary says the run finished.

The output file is written under a temporary name next to it and renamed
over OUT only once every record is written: an interrupted, stopped
(SIGTERM, SIGHUP) or failed run never leaves a partial OUT behind, and
removes the temporary file (``-o -`` streams to standard output). Since OUT
is replaced, not written into, an OUT that exists and is not a regular file
(a symbolic link, a named pipe, a device, a socket, a directory) is refused
before anything is read: replacing ``/dev/full`` or a link would destroy it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import stat
import time
from typing import IO, Any

from neurotriage.cli._inputs import InputError, Line, json_lines, line_profile
from neurotriage.cli._rules_choice import chosen_rules
from neurotriage.decision import VERDICTS, Decision, Verdict
from neurotriage.engines import BackendName, resolve_backend
from neurotriage.pipeline.batch import map_ordered, worker_limit, workers_text
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.pipeline.evaluation import evaluate
from neurotriage.ruleset import RuleSet

__all__ = [
    "EXIT_SOME_FAILED",
    "Output",
    "Progress",
    "check_replaceable",
    "remove_temporary",
    "run_many",
    "same_file",
    "summary",
    "worker_count",
]

#: Some lines gave an error record (every line still has its record).
EXIT_SOME_FAILED = 1

#: What a line's task returns: the verdict (None: an error record) and the JSON record.
Record = tuple[Verdict | None, str]


def worker_count(text: str) -> int:
    """``--workers``: a whole number from 1 to the bound evaluate_many() sets."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    if value > worker_limit():
        raise argparse.ArgumentTypeError(f"must be {workers_text()}, not {text!r}")
    return value


def _decide(rules: RuleSet, backend: BackendName, line: Line) -> Decision | str:
    """The line's Decision, or its error record."""
    number, raw = line
    try:
        profile = line_profile(raw, rules.pack.model)
    except InputError as err:
        return json.dumps({"line": number, "error": f"line {number} {err}"})
    return evaluate(profile, rules=rules, backend=backend)


def _record(rules: RuleSet, backend: BackendName, line: Line) -> Record:
    """Line -> (verdict, its full JSON record). Runs in a worker when there are workers."""
    decision = _decide(rules, backend, line)
    if isinstance(decision, str):
        return None, decision
    return decision.verdict, f'{{"line": {line[0]}, "decision": {decision.model_dump_json()}}}'


def _compact_record(rules: RuleSet, backend: BackendName, line: Line) -> Record:
    """Line -> (verdict, its ``--compact`` record): ids and codes, keys in a fixed order."""
    decision = _decide(rules, backend, line)
    if isinstance(decision, str):
        return None, decision
    record = {
        "line": line[0],
        "verdict": decision.verdict,
        "allowed": [allowed.technique for allowed in decision.allowed_techniques],
        "referral": decision.referral.level,
        "warnings": [warning.code for warning in decision.warnings],
        "questions": decision.questions,
        "fired_rules": decision.fired_rules,
        "ruleset_version": decision.ruleset_version,
    }
    return decision.verdict, json.dumps(record)


def summary(lines: int, failed: int, verdicts: dict[Verdict, int], unit: str = "lines") -> str:
    """The line printed at the end of a finished run: every verdict, in VERDICTS order.

    Each item is a label and its count, whatever the count (``failed 1``,
    ``failed 2``), so a script matches it with one pattern.
    """
    counts = ", ".join(f"{verdict} {verdicts.get(verdict, 0):,}" for verdict in VERDICTS)
    return (
        f"neurotriage: {unit} read {lines:,}, decided {lines - failed:,}, failed {failed:,};"
        f" {counts}"
    )


def _weight(line: Line) -> int:
    return len(line[1] or b"")


class Progress:
    """``N lines, F failed, R lines/s`` redrawn on a terminal; then the summary line."""

    def __init__(self, stream: IO[str], unit: str = "lines") -> None:
        try:
            terminal = stream.isatty()
        except (AttributeError, ValueError, OSError):
            terminal = False
        self.out = stream
        self.stream = stream if terminal else None
        self.started = self.shown = time.monotonic()
        self.width = 0  # of the progress line drawn last; 0: none is drawn
        self.unit = unit

    def update(self, lines: int, failed: int, *, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self.shown < 0.2:
            return
        self.shown = now
        rate = lines / max(now - self.started, 1e-6)
        unit = self.unit
        text = f"neurotriage: {lines:,} {unit}, {failed:,} failed, {rate:,.0f} {unit}/s "
        self.stream.write("\r" + text)
        self.stream.flush()
        self.width = len(text)

    def finish(self, text: str) -> None:
        """The run is done: ``text`` on a line of its own (over the progress line, if drawn).

        OUT is in place by now, so a standard error that cannot be written
        (closed, full) must not turn the run into a failure: nothing more is
        said, and the exit status stands.
        """
        with contextlib.suppress(OSError):
            self.out.write(("\r" + text.ljust(self.width) if self.width else text) + "\n")
            self.out.flush()
        self.width = 0

    def close(self) -> None:
        """End a progress line still drawn, so what follows starts on a line of its own."""
        if self.stream is not None and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0


#: What OUT may be, if it is not a regular file, by the test of its lstat() mode.
_SPECIAL_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_replaceable(name: str) -> None:
    """Refuse an OUT that exists and is not a regular file: it would be replaced, not written."""
    try:
        mode = os.lstat(name).st_mode
    except OSError:
        return  # absent (the usual case), or not reachable: creating the file will say
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(f"cannot write {name}: Is a directory")
    kind = next((kind for test, kind in _SPECIAL_KINDS if test(mode)), "not a regular file")
    raise InputError(
        f"cannot write {name}: it is {kind}; evaluate-many replaces OUT with a new file,"
        " so OUT must be a regular file or a new name (or -, for standard output)"
    )


class Output:
    """Standard output, or a file written under a temporary name and renamed at the end."""

    def __init__(self, name: str, stdout: IO[str]) -> None:
        self.name, self.temp = name, ""
        if name == "-":
            self.stream = stdout
            return
        check_replaceable(name)
        head, tail = os.path.split(os.path.abspath(name))
        self.temp = os.path.join(head, f".{tail}.{secrets.token_hex(4)}.tmp")
        try:
            descriptor = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as err:
            self.temp = ""
            raise InputError(f"cannot write {name}: {err.strerror or err}") from err
        self.stream = open(descriptor, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def commit(self) -> None:
        """Every record is written: put the file in place."""
        self.stream.flush()
        if self.temp:
            self.stream.close()
            check_replaceable(self.name)  # again: OUT may have been replaced during the run
            os.replace(self.temp, self.name)
            self.temp = ""

    def discard(self) -> None:
        """The run failed: remove the temporary file, leave OUT as it was."""
        if self.temp:
            remove_temporary(self.stream, self.temp)
            self.temp = ""


def remove_temporary(stream: IO[Any], temp: str) -> None:
    """Close ``stream`` and remove ``temp``, its file, whatever closing says.

    On a full disk the stream's last flush fails: the file goes all the same,
    and nothing more can be done about an unlink that fails.
    """
    try:
        stream.close()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _open_input(name: str, stdin: IO[str]) -> IO[bytes]:
    if name == "-":
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            stream: IO[bytes] = buffer
            return stream
        # A text stream with no bytes underneath (tests' StringIO): read it whole.
        return io.BytesIO(stdin.read().encode("utf-8", "surrogatepass"))
    try:
        return open(name, "rb")
    except OSError as err:
        raise InputError(f"cannot read {name}: {err.strerror or err}") from err


def same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _line_at(index: int) -> str:
    return f"line {index + 1}"  # json_lines() numbers every line, from 1


def _write_records(
    args: argparse.Namespace,
    source: IO[bytes],
    *,
    rules: RuleSet,
    backend: BackendName,
    stdout: IO[str],
    stderr: IO[str],
) -> int:
    shown = "standard input" if args.input == "-" else args.input
    output = Output(args.output, stdout)
    progress = Progress(stderr)
    records = map_ordered(
        _compact_record if args.compact else _record,
        json_lines(source, shown),
        rules=rules,
        backend=backend,
        workers=args.workers,
        weigh=_weight,
        name_item=_line_at,
    )
    lines = failed = 0
    verdicts = dict.fromkeys(VERDICTS, 0)
    try:
        for _, (verdict, record) in records:
            output.stream.write(record + "\n")
            lines += 1
            if verdict is None:
                failed += 1
            else:
                verdicts[verdict] += 1
            progress.update(lines, failed)
        progress.update(lines, failed, force=True)
        output.commit()
        progress.finish(summary(lines, failed, verdicts))
    finally:
        records.close()  # on an error, stops the worker processes at once
        output.discard()  # nothing left to discard once committed
        progress.close()  # after a failure: the error goes on a line of its own
    return EXIT_SOME_FAILED if failed else 0


def run_many(args: argparse.Namespace, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Run ``evaluate-many``; exit 0, or 1 if some line got an error record.

    Unusable rules, backend or files raise (InputError, NeurotriageError)
    before any record is written.
    """
    rules = chosen_rules(args)
    backend = resolve_backend(args.backend, warn=False)
    compiled_engine(
        rules, backend
    )  # a rule set the backend cannot take fails here, not in a worker
    if "-" not in (args.input, args.output) and same_file(args.input, args.output):
        raise InputError(f"{args.output} is the input file; write the records to another file")
    source = _open_input(args.input, stdin)
    try:
        return _write_records(
            args, source, rules=rules, backend=backend, stdout=stdout, stderr=stderr
        )
    finally:
        if source is not getattr(stdin, "buffer", None):
            source.close()

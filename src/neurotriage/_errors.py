"""The exception hierarchy: one base, each concrete error also a built-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BackendError",
    "NeurotriageError",
    "PackMismatchError",
    "ProofError",
    "RuleError",
    "RuleProblem",
    "UndecidedError",
    "WorkerError",
]


class NeurotriageError(Exception):
    """Base class of every error neurotriage raises on purpose."""


class BackendError(NeurotriageError, RuntimeError):
    """A backend was asked for by name but cannot be used here."""


class PackMismatchError(NeurotriageError, ValueError):
    """Two rule sets were to be compared, but their packs read different input models."""


class UndecidedError(NeurotriageError, RuntimeError):
    """The solver could not decide a property within its time budget.

    ``property`` names it. Nothing is reported as proved when this is raised.
    """

    def __init__(self, property_id: str, seconds: float) -> None:
        self.property = property_id
        self.seconds = seconds
        super().__init__(
            f"could not decide the property {property_id} within the time budget of "
            f"{seconds:g} s per query; nothing was proved (raise the budget with --time-budget)"
        )


#: ``str(RuleError)`` lists at most this many problems, then says how many more
#: there are (``RuleError.problems`` always holds every one).
MAX_SHOWN_PROBLEMS = 20
#: A quoted source line longer than this is shown as a window around the caret.
MAX_SHOWN_LINE = 120
#: A message or rule id longer than this is shown cut (it may quote a huge name).
MAX_SHOWN_MESSAGE = 400
_MORE = "..."


def _cut(text: str, limit: int) -> str:
    """``text``, or its start and its length when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{_MORE} ({len(text):,} characters)"


def _window(line: str, column: int | None) -> tuple[str, int | None]:
    """At most MAX_SHOWN_LINE characters of ``line`` around ``column``, and the column there.

    A cut end is marked with "..."; the returned column still points at the
    same character.
    """
    if len(line) <= MAX_SHOWN_LINE:
        return line, column
    at = 0 if column is None else column - 1
    start = max(0, min(at - MAX_SHOWN_LINE // 2, len(line) - MAX_SHOWN_LINE))
    end = start + MAX_SHOWN_LINE
    head = _MORE if start > 0 else ""
    tail = _MORE if end < len(line) else ""
    shown = head + line[start:end] + tail
    return shown, None if column is None else column - start + len(head)


@dataclass(frozen=True)
class RuleProblem:
    """One problem found while loading a rule set, with its location.

    ``line`` and ``column`` are 1-based; either may be ``None`` when the problem
    has no single place (for example a rule set with no technique catalogue).
    Its text quotes the source line with a caret under the column; a long line
    is quoted as a window around the caret, a long message cut short.
    """

    file: str
    message: str
    rule_id: str | None = None
    line: int | None = None
    column: int | None = None
    source_line: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        rule = f" rule '{_cut(self.rule_id, MAX_SHOWN_MESSAGE)}':" if self.rule_id else ""
        text = f"{where}:{rule} {_cut(self.message, MAX_SHOWN_MESSAGE)}"
        if self.source_line is not None:
            source, column = _window(self.source_line, self.column)
            text += f"\n    {source}"
            if column is not None:
                text += "\n    " + " " * (column - 1) + "^"
        return text


class RuleError(NeurotriageError, ValueError):
    """A rule set could not be loaded; every problem found is listed.

    ``file``, ``rule_id``, ``line`` and ``column`` describe the first problem;
    ``problems`` holds all of them, in file and line order. The message lists
    the first MAX_SHOWN_PROBLEMS and counts the rest.
    """

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        if not problems:
            raise ValueError("RuleError needs at least one problem")
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        first = self.problems[0]
        self.file = first.file
        self.rule_id = first.rule_id
        self.line = first.line
        self.column = first.column
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        shown = [str(p) for p in self.problems[:MAX_SHOWN_PROBLEMS]]
        rest = count - len(shown)
        if rest:
            shown.append(f"and {rest} more problem{'s' if rest > 1 else ''}")
        super().__init__(f"{head} in rule set:\n" + "\n".join(shown))

    def __reduce__(self) -> tuple[type[RuleError], tuple[tuple[RuleProblem, ...]]]:
        # Exceptions pickle as ``cls(*args)``, and ``args`` holds the message, not the
        # problems; rebuild from the problems so a RuleError survives a process boundary.
        return (type(self), (self.problems,))


class WorkerError(NeurotriageError, RuntimeError):
    """A worker process of ``evaluate_many(workers=...)`` died before it answered.

    ``worker`` is its number (1 to the number of workers), ``pid`` its process
    id, ``exitcode`` its exit status (negative: minus the signal that killed it;
    ``None`` if it was still running), and ``index`` the position in the input
    of the first item with no result. Every result before ``index`` was
    yielded before this error was raised.
    """

    def __init__(
        self, message: str, worker: int, pid: int | None, exitcode: int | None, index: int
    ) -> None:
        super().__init__(message)
        self.worker, self.pid, self.exitcode, self.index = worker, pid, exitcode, index

    def __reduce__(
        self,
    ) -> tuple[type[WorkerError], tuple[str, int, int | None, int | None, int]]:
        # ``args`` holds only the message; rebuild from every field (see RuleError).
        return (type(self), (str(self), self.worker, self.pid, self.exitcode, self.index))


class ProofError(RuleError):
    """A rule set loaded, but a safety property of its pack fails: it is not served.

    Each problem names the failing property (an invariant's file and line) and
    its smallest counterexample; ``report`` holds the whole verify report.
    ``load_rules(path, verify=False)`` loads it anyway, unproved.
    """

    def __init__(self, problems: Sequence[RuleProblem], report: object = None) -> None:
        super().__init__(problems)
        self.report = report

"""The exception hierarchy: one base, each concrete error also a built-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BackendError", "NeurotriageError", "RuleError", "RuleProblem", "WorkerError"]


class NeurotriageError(Exception):
    """Base class of every error neurotriage raises on purpose."""


class BackendError(NeurotriageError, RuntimeError):
    """A backend was asked for by name but cannot be used here."""


@dataclass(frozen=True)
class RuleProblem:
    """One problem found while loading a rule set, with its location.

    ``line`` and ``column`` are 1-based; either may be ``None`` when the problem
    has no single place (for example a rule set with no technique catalogue).
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
        rule = f" rule '{self.rule_id}':" if self.rule_id else ""
        text = f"{where}:{rule} {self.message}"
        if self.source_line is not None:
            text += f"\n    {self.source_line}"
            if self.column is not None:
                text += "\n    " + " " * (self.column - 1) + "^"
        return text


class RuleError(NeurotriageError, ValueError):
    """A rule set could not be loaded; every problem found is listed.

    ``file``, ``rule_id``, ``line`` and ``column`` describe the first problem;
    ``problems`` holds all of them, in file and line order.
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
        super().__init__(f"{head} in rule set:\n" + "\n".join(str(p) for p in self.problems))

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

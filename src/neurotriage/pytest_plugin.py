"""A pytest plugin: which rules did your tests exercise?

Installed with neurotriage (entry point ``pytest11``) and off unless asked
for. ``--neurotriage-coverage`` records every decision made in the pytest
process and prints, per rule set, the rules the tests never fired.
``--neurotriage-coverage-fail-under=PCT`` also fails the run when fewer than
PCT percent of the rules fired.

Seen: every :func:`neurotriage.evaluate` call in the pytest process (from any
thread; the ``evaluate``, ``explain`` and ``coverage`` commands run in-process
through ``neurotriage.cli.main`` call it), and every decision
:func:`neurotriage.evaluate_many` yields, with or without ``workers``: its
workers decide and send each distinct decision back once, and the pytest
process records each decision it yields. A decision counts when it is
yielded: the items a consumer never takes from ``evaluate_many`` are not
counted. A table (:func:`neurotriage.evaluate_table`) shows each distinct
decision it makes, the first time it makes it.

Not seen: decisions made in any other process (a command run with
``subprocess``, a ``multiprocessing`` pool of your own, test processes that
a plugin such as pytest-xdist starts), the worker processes of
``neurotriage evaluate-many --workers N`` run through ``main()`` (with one
worker it evaluates in-process and is seen), and the analyses, which drive
the engines directly rather than through evaluate(): ``verify``, ``lint``,
``diff`` and ``counterfactuals`` (so ``explain``'s list of what would change
the decision adds nothing), nor a rule set's engine called directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported on use, so a run without the option loads nothing
    from neurotriage.analysis import CoverageRecorder, RuleCoverage

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]

_RECORDER: pytest.StashKey[CoverageRecorder] = pytest.StashKey()
_REMOVE = pytest.StashKey[Callable[[], None]]()
_BELOW = pytest.StashKey[bool]()


def _percent(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise pytest.UsageError(
            f"--neurotriage-coverage-fail-under takes a percentage, not {value!r}"
        ) from None
    if not 0 <= number <= 100:  # also refuses nan
        raise pytest.UsageError(f"--neurotriage-coverage-fail-under must be 0-100, not {value}")
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the two options."""
    group = parser.getgroup("neurotriage", "neurotriage rule coverage")
    group.addoption(
        "--neurotriage-coverage",
        action="store_true",
        default=False,
        help="report the neurotriage rules that no evaluate() or evaluate_many() decision "
        "of the tests fired",
    )
    group.addoption(
        "--neurotriage-coverage-fail-under",
        metavar="PCT",
        type=_percent,
        default=None,
        help="fail the run if fewer than PCT percent of the rules fired "
        "(implies --neurotriage-coverage)",
    )


def _enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("neurotriage_coverage")
        or config.getoption("neurotriage_coverage_fail_under") is not None
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start recording when the option is on."""
    if not _enabled(config):
        return
    from neurotriage.analysis import CoverageRecorder  # noqa: PLC0415
    from neurotriage.pipeline.evaluation import add_observer  # noqa: PLC0415 - only when enabled

    recorder = CoverageRecorder()
    config.stash[_RECORDER] = recorder
    config.stash[_REMOVE] = add_observer(recorder.record)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop recording."""
    remove = config.stash.get(_REMOVE, None)
    if remove is not None:
        remove()
        del config.stash[_REMOVE]


def _total(found: list[RuleCoverage]) -> tuple[int, int]:
    fired = sum(c.fired for c in found)
    total = sum(len(c.rules.rules) for c in found)
    return fired, total


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run when coverage is below ``--neurotriage-coverage-fail-under``."""
    config = session.config
    recorder = config.stash.get(_RECORDER, None)
    threshold = config.getoption("neurotriage_coverage_fail_under")
    if recorder is None or threshold is None or config.option.collectonly:
        return  # collecting runs no test, so it measures nothing
    fired, total = _total(recorder.coverage())
    percent = 100.0 * fired / total if total else 0.0
    below = percent < threshold
    config.stash[_BELOW] = below
    if below and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the rules the tests never fired."""
    recorder = config.stash.get(_RECORDER, None)
    if recorder is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("neurotriage rule coverage")
    found = recorder.coverage()
    if not found:
        write("no evaluate() or evaluate_many() decisions were recorded: 0 rules exercised")
    for coverage in found:
        total = len(coverage.rules.rules)
        write(
            f"rule set {coverage.rules.version}: {coverage.fired} of {total} rules fired "
            f"({coverage.percent:.1f}%) over {coverage.evaluations} evaluations"
        )
        never = coverage.never_fired
        if never:
            write(f"rules never exercised ({len(never)}):")
            for rule in never:
                write(f"  {rule.file}:{rule.line}: {rule.id}")
    threshold = config.getoption("neurotriage_coverage_fail_under")
    if threshold is not None:
        fired, total = _total(found)
        percent = 100.0 * fired / total if total else 0.0
        if config.stash.get(_BELOW, False):
            write(
                f"FAIL: neurotriage rule coverage {percent:.1f}% is below {threshold:g}%",
                red=True,
            )
        else:
            write(f"neurotriage rule coverage {percent:.1f}% reaches {threshold:g}%")

"""The ``neurotriage`` command.

``main(argv, stdout, stderr) -> int`` takes its own streams so tests can run it
in-process. Exit 0 on success, 2 on bad input or bad rules (one paragraph on
stderr), 130 when interrupted, 143 or 129 when stopped by SIGTERM or SIGHUP;
never a traceback. Exit 1 means the command
found what it looks for: ``evaluate-many`` wrote an error record for some
line, ``verify`` a failing property, ``lint`` an error, ``diff`` a less safe
decision, ``coverage`` a share below ``--fail-under``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from typing import IO, Any, NoReturn

from pydantic import BaseModel

from neurotriage import __version__
from neurotriage._errors import NeurotriageError
from neurotriage.analysis import (
    QUERY_SECONDS,
    SpaceTooLargeError,
    counterfactuals,
    diff,
    lint_path,
    rule_coverage,
    verify,
)
from neurotriage.cli._inputs import InputError, read_json_lines, read_profile
from neurotriage.cli._many import run_many, worker_count
from neurotriage.cli._process import Stopped, escape_unencodable, stop_on_signals
from neurotriage.cli._progress import TerminalProgress
from neurotriage.cli._renderers import renderer
from neurotriage.cli._rules_choice import add_rules_options, chosen_rules, chosen_rules_dir
from neurotriage.cli._serve import (
    add_decision_log_options,
    add_serve_command,
    log_cli_decision,
    run_serve,
)
from neurotriage.cli._summary import (
    counterfactuals_left_out,
    counterfactuals_text,
    explanation,
)
from neurotriage.cli._table import run_table
from neurotriage.decision import Decision
from neurotriage.engines import BACKENDS, backends_summary, resolve_backend
from neurotriage.loading import load_rules
from neurotriage.pipeline.evaluation import evaluate

__all__ = ["main", "run"]

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _UsageError(Exception):
    """argparse wanted to exit; carries its exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that writes to our streams and never calls sys.exit."""

    def __init__(self, *args: Any, out: IO[str], err: IO[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.out, self.err = out, err

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (self.err if file is sys.stderr else self.out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.err.write(message)
        raise _UsageError(status)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The description and --version unwrapped, and help text in column 17 on every Python.

    Python 3.13 widened argparse's help column to fit the longest command
    name; a fixed column keeps ``neurotriage -h`` the same on 3.11 to 3.13.
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=17)


def _parser(stdout: IO[str], stderr: IO[str]) -> _Parser:
    parser = _Parser(
        prog="neurotriage",
        description="Decide, safely and explainably, what foot massage a person with "
        "peripheral neuropathy may do.",
        formatter_class=_Formatter,
        out=stdout,
        err=stderr,
    )
    parser.add_argument(
        "--version", action="version", version=f"neurotriage {__version__} ({backends_summary()})"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_rules(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("profile", metavar="FILE", help="a JSON profile, or - for standard input")
        add_rules_options(sub, serving=True)
        sub.add_argument("--backend", choices=BACKENDS, help="default: durable where it imports")

    evaluate_cmd = commands.add_parser(
        "evaluate", out=stdout, err=stderr, help="evaluate a profile and summarise the decision"
    )
    with_rules(evaluate_cmd)
    evaluate_cmd.add_argument("--json", action="store_true", help="print the Decision as JSON")
    add_decision_log_options(evaluate_cmd, serving=False)
    explain_cmd = commands.add_parser(
        "explain", out=stdout, err=stderr, help="show each fired rule: condition, effects, source"
    )
    with_rules(explain_cmd)
    many_cmd = commands.add_parser(
        "evaluate-many",
        out=stdout,
        err=stderr,
        help="evaluate a JSON Lines file of profiles: one JSON record per line",
    )
    many_cmd.add_argument(
        "input", metavar="IN", help="JSON Lines, one profile per line, or - for standard input"
    )
    many_cmd.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="where to write one JSON record per input line, or - for standard output",
    )
    many_cmd.add_argument(
        "--workers",
        metavar="N",
        type=worker_count,
        default=1,
        help="worker processes (default: 1, in this process; at most 4 per CPU, 64 in all)",
    )
    many_cmd.add_argument(
        "--compact",
        action="store_true",
        help="write short records: verdict, allowed technique ids, referral level, warning"
        " codes, questions, fired rules and rule set version, not the whole decision",
    )
    add_rules_options(many_cmd, serving=True)
    many_cmd.add_argument("--backend", choices=BACKENDS, help="default: durable where it imports")
    table_cmd = commands.add_parser(
        "evaluate-table",
        out=stdout,
        err=stderr,
        help="evaluate a Parquet, CSV or JSON Lines table of profiles: one row out per row in",
    )
    table_cmd.add_argument(
        "input", metavar="IN", help="profiles: a .parquet, .csv or .jsonl file, one per row"
    )
    table_cmd.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="where to write one decision row per input row: .parquet, .csv or .jsonl",
    )
    add_rules_options(table_cmd, serving=True)
    table_cmd.add_argument("--backend", choices=BACKENDS, help="default: durable where it imports")
    schema_cmd = commands.add_parser("schema", out=stdout, err=stderr, help="print a JSON Schema")
    schema_cmd.add_argument("model", choices=("profile", "decision"))
    add_rules_options(schema_cmd, "the pack whose input model 'profile' is (default: built-in)")
    _analysis_commands(commands, stdout, stderr)
    add_serve_command(commands, stdout, stderr)
    return parser


def _percent(text: str) -> float:
    """A percentage argument: a finite number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percentage: {text!r}") from None
    if not 0 <= value <= 100:  # also refuses nan
        raise argparse.ArgumentTypeError(f"a percentage must be 0-100, not {text}")
    return value


def _seconds(text: str) -> float:
    """A time budget: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"a time budget must be over 0 and at most 86400 s, not {text}"
        )
    return value


def proof_options(sub: argparse.ArgumentParser, what: str) -> None:
    """``--method`` and ``--time-budget``, for the analyses the solver answers."""
    sub.add_argument(
        "--method",
        choices=("symbolic", "enumeration"),
        default="symbolic",
        help="ask the solver, or evaluate every class as a cross-check (default: symbolic)",
    )
    sub.add_argument(
        "--time-budget",
        type=_seconds,
        default=QUERY_SECONDS,
        metavar="SECONDS",
        help=f"give up (exit 2) on {what} whose solver query takes longer "
        f"(default: {QUERY_SECONDS:g})",
    )


def _analysis_commands(commands: Any, stdout: IO[str], stderr: IO[str]) -> None:
    def format_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--format", choices=("text", "json"), default="text")

    verify_cmd = commands.add_parser(
        "verify",
        out=stdout,
        err=stderr,
        help="prove the safety properties and invariants on the whole input space",
    )
    add_rules_options(verify_cmd)
    verify_cmd.add_argument(
        "--backend",
        choices=BACKENDS,
        default="reference",
        help="the backend whose decisions are checked; durable is also compared "
        "with reference (default: reference)",
    )
    proof_options(verify_cmd, "a property")
    format_option(verify_cmd)
    lint_cmd = commands.add_parser(
        "lint", out=stdout, err=stderr, help="find dead, shadowed and unsourced rules"
    )
    add_rules_options(lint_cmd)
    proof_options(lint_cmd, "a rule")
    format_option(lint_cmd)
    coverage_cmd = commands.add_parser(
        "coverage", out=stdout, err=stderr, help="count the rules a corpus of profiles fires"
    )
    coverage_cmd.add_argument("corpus", metavar="PROFILES.jsonl", help="one JSON profile a line")
    add_rules_options(coverage_cmd)
    coverage_cmd.add_argument(
        "--backend", choices=BACKENDS, help="default: durable where it imports"
    )
    coverage_cmd.add_argument(
        "--fail-under", type=_percent, metavar="PCT", help="exit 1 if fewer rules fired (0-100)"
    )
    format_option(coverage_cmd)
    diff_cmd = commands.add_parser(
        "diff", out=stdout, err=stderr, help="compare the decisions of two rule sets"
    )
    diff_cmd.add_argument("old", metavar="OLD_DIR")
    diff_cmd.add_argument("new", metavar="NEW_DIR")
    proof_options(diff_cmd, "a kind of change")
    format_option(diff_cmd)


def _run_analysis(
    args: argparse.Namespace, stdin: IO[str], stdout: IO[str], stderr: IO[str]
) -> int:
    output = renderer(args.format)
    progress = TerminalProgress(args.command, stderr)
    try:
        if args.command == "lint":
            findings = lint_path(
                chosen_rules_dir(args),
                progress=progress,
                method=args.method,
                time_budget=args.time_budget,
            )
            stdout.write(output.lint(findings))
            return EXIT_FOUND if any(f.severity == "error" for f in findings) else EXIT_OK
        if args.command == "diff":
            old, new = (load_rules(d, verify=False) for d in (args.old, args.new))
            result = diff(
                old, new, progress=progress, method=args.method, time_budget=args.time_budget
            )
            stdout.write(output.diff(result))
            return EXIT_FOUND if result.less_safe else EXIT_OK
        ruleset = chosen_rules(args, verify=False)  # analysed, not served
        if args.command == "verify":
            report = verify(
                ruleset,
                backend=args.backend,
                progress=progress,
                method=args.method,
                time_budget=args.time_budget,
            )
            stdout.write(output.verify(report))
            return EXIT_OK if report.ok else EXIT_FOUND
    finally:
        progress.close()
    profiles = read_json_lines(args.corpus, stdin, ruleset.pack.model)
    backend = resolve_backend(args.backend, warn=False)
    coverage = rule_coverage(profiles, rules=ruleset, backend=backend)
    stdout.write(output.coverage(coverage))
    below = args.fail_under is not None and coverage.percent < args.fail_under
    return EXIT_FOUND if below else EXIT_OK


def _run(args: argparse.Namespace, stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    if args.command == "evaluate-many":
        return run_many(args, stdin, stdout, stderr)
    if args.command == "evaluate-table":
        return run_table(args, stderr)
    if args.command == "schema":
        model: type[BaseModel] = Decision
        if args.model == "profile":
            model = chosen_rules(args, verify=False).pack.model  # no decision made
        stdout.write(json.dumps(model.model_json_schema(), indent=2) + "\n")
        return EXIT_OK
    if args.command in ("verify", "lint", "coverage", "diff"):
        return _run_analysis(args, stdin, stdout, stderr)
    if args.command == "serve":
        return run_serve(args, stderr)
    ruleset = chosen_rules(args)
    profile = read_profile(args.profile, stdin, ruleset.pack.model)
    backend = resolve_backend(args.backend, warn=False)  # --version says what is available
    started = time.perf_counter()
    decision = evaluate(profile, rules=ruleset, backend=backend)
    if args.command == "evaluate":
        log_cli_decision(args, decision, ruleset, time.perf_counter() - started)
    if args.command == "explain":
        stdout.write(explanation(decision, ruleset))
        try:
            found = counterfactuals(profile, rules=ruleset, backend=backend)
        except SpaceTooLargeError as too_large:
            stdout.write("\n".join(counterfactuals_left_out(too_large)) + "\n")
        else:
            stdout.write("\n".join(counterfactuals_text(found, ruleset.pack.fields)) + "\n")
    else:
        stdout.write(renderer("json" if args.json else "text").decision(decision, ruleset))
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    stdin: IO[str] | None = None,
) -> int:
    """Run the command line; return the exit status."""
    # The real streams are ours to set: escape what their encoding cannot represent.
    out = stdout if stdout is not None else escape_unencodable(sys.stdout)
    err = stderr if stderr is not None else escape_unencodable(sys.stderr)
    try:
        args = _parser(out, err).parse_args(list(sys.argv[1:] if argv is None else argv))
        return _run(args, stdin if stdin is not None else sys.stdin, out, err)
    except _UsageError as usage:
        return usage.status
    except InputError as problem:
        err.write(f"neurotriage: error: {problem}\n")
    except NeurotriageError as problem:
        err.write(f"neurotriage: error: {problem}\n")
    except OSError as problem:  # writing the output failed (a closed pipe, a full disk)
        err.write(f"neurotriage: error: cannot write the output: {problem.strerror or problem}\n")
    except KeyboardInterrupt:
        err.write("neurotriage: interrupted\n")
        return EXIT_INTERRUPTED
    except Stopped as stop:  # SIGTERM or SIGHUP, under run(): everything is cleaned up
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            err.write(f"neurotriage: stopped by {stop.name}\n")
        return stop.status
    return EXIT_BAD_INPUT


def run() -> NoReturn:
    """Console-script entry point: the command owns the process, so it handles its signals."""
    try:
        with stop_on_signals():
            status = main()
    except Stopped as stop:  # it arrived after main() had returned
        status = stop.status
    sys.exit(status)

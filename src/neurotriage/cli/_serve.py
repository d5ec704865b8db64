"""``neurotriage serve`` and the decision log options it shares with ``evaluate``.

``serve`` needs the ``server`` extra; without it the command says how to
install it (exit 2), never a traceback. The pack is loaded and compiled once,
before the address is bound; the address is bound before the first line
says where the service listens (port 0 picks a free port, and that line
names it). The service runs until SIGINT or SIGTERM, which let open
requests finish.
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path
from typing import IO, Any

from neurotriage.cli._rules_choice import add_rules_options, chosen_rules
from neurotriage.decision import Decision
from neurotriage.decision_log import KEY_VARIABLE, DecisionLog, DecisionLogError, default_path
from neurotriage.engines import BACKENDS, resolve_backend
from neurotriage.ruleset import RuleSet

__all__ = ["add_decision_log_options", "add_serve_command", "log_cli_decision", "run_serve"]

#: The top-level modules the server extra brings (directly or through its dependencies).
EXTRA_MODULES = frozenset(
    {"fastapi", "starlette", "uvicorn", "anyio", "h11", "annotated_doc", "fhir", "fhir_core"}
)

#: The default log path as the help shows it (decision_log.default_path() expands it).
DEFAULT_SHOWN = "$XDG_STATE_HOME/neurotriage/decisions.jsonl"

#: What ``serve`` says when the server extra is not installed.
NEEDS_EXTRA = (
    "neurotriage: error: 'neurotriage serve' needs the server extra: "
    "pip install 'neurotriage[server]'"
)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0: any free port), not {port}")
    return port


def add_decision_log_options(sub: argparse.ArgumentParser, *, serving: bool) -> None:
    """``--decision-log PATH`` and ``--decision-log-key FILE`` (and ``--no-decision-log``)."""
    default = f"default: {DEFAULT_SHOWN}" if serving else "default: no log"
    where = sub.add_mutually_exclusive_group() if serving else sub
    where.add_argument(
        "--decision-log",
        metavar="PATH",
        help=f"append one JSON line per decision, without health data ({default})",
    )
    if serving:
        where.add_argument("--no-decision-log", action="store_true", help="log no decisions")
    sub.add_argument(
        "--decision-log-key",
        metavar="FILE",
        help=f"the file holding the key of the patient-id hash (default: ${KEY_VARIABLE}, "
        "else PATH.key, made on first use)",
    )


def add_serve_command(commands: Any, stdout: IO[str], stderr: IO[str]) -> None:
    """The ``serve`` subcommand and its options."""
    serve_cmd = commands.add_parser(
        "serve",
        out=stdout,
        err=stderr,
        help="run the CDS Hooks service and JSON API (needs neurotriage[server])",
    )
    serve_cmd.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve_cmd.add_argument(
        "--port", type=_port, default=8080, help="default: 8080 (0: any free port)"
    )
    add_rules_options(serve_cmd, serving=True)
    serve_cmd.add_argument("--backend", choices=BACKENDS, help="default: durable where it imports")
    add_decision_log_options(serve_cmd, serving=True)


def _key(args: argparse.Namespace) -> bytes | None:
    if not args.decision_log_key:
        return None
    try:
        return Path(args.decision_log_key).read_bytes().strip()
    except OSError as error:
        raise DecisionLogError(
            f"cannot read the decision log key {args.decision_log_key}: {error.strerror or error}"
        ) from None


def opened_log(args: argparse.Namespace, *, serving: bool) -> DecisionLog | None:
    """The decision log the options ask for (``serve``: on unless ``--no-decision-log``)."""
    if serving and args.no_decision_log:
        return None
    path = args.decision_log or (default_path() if serving else None)
    if path is None:
        return None
    return DecisionLog(path, key=_key(args))


def log_cli_decision(
    args: argparse.Namespace, decision: Decision, rules: RuleSet, seconds: float
) -> None:
    """``evaluate --decision-log PATH``: append the decision (there is no patient id)."""
    log = opened_log(args, serving=False)
    if log is None:
        return
    with log:
        log.decision(str(uuid.uuid4()), decision, rules.pack, seconds=seconds, via="cli")


def run_serve(args: argparse.Namespace, stderr: IO[str]) -> int:
    """Load and compile the pack, bind, serve until stopped; 0 after a stop by SIGINT."""
    try:
        from neurotriage import server  # noqa: PLC0415 - the optional extra, imported when used
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in EXTRA_MODULES:
            raise
        stderr.write(NEEDS_EXTRA + "\n")
        return 2
    started = time.perf_counter()
    rules = chosen_rules(args)
    backend = resolve_backend(args.backend, warn=False)
    log = opened_log(args, serving=True)
    try:
        app = server.create_app(rules, backend=backend, decision_log=log)
        sock = server.bind(args.host, args.port)
        pack = rules.pack
        logged = f"decision log {log.path}" if log is not None else "no decision log"

        def listening(url: str) -> None:
            stderr.write(
                f"neurotriage: serving {pack.id} {pack.version} at {url} "
                f"({logged}; ready in {time.perf_counter() - started:.2f} s)\n"
            )
            stderr.flush()

        server.run(app, sock, on_listening=listening)
    finally:
        if log is not None:
            log.close()
    stderr.write("neurotriage: stopped\n")
    return 0

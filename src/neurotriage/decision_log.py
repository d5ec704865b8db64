"""The decision log: one JSON line per decision served, and per piece of feedback, no health data.

Each line is an object with ``"event"``: ``"decision"`` or ``"feedback"``.
A decision line holds what is needed to audit it and nothing about the
person: its id (the CDS Hooks card's ``uuid``), the time, the pack's id and
version, the verdict, the ids of the rules that fired, how long it took,
where it was asked for (``via``) and a keyed hash of the patient id (or
``null`` where there is none). Never a value of the profile, never a name,
never the patient id itself. A feedback line holds the decision id it is
about, the outcome (``accepted`` or ``overridden``) and the override reason's
code (never the clinician's free-text comment), so it joins on ``id``.

**The keyed hash.** ``patient`` is HMAC-SHA256 of the patient id under a
secret key, in hex: the same patient gets the same hash in every line and
across restarts (so decisions and feedback can be counted per patient),
but the id cannot be read back, nor guessed by hashing candidate ids,
without the key. The key is, in order: the bytes given to
:class:`DecisionLog` (the command line's ``--decision-log-key FILE`` or the
environment variable :data:`KEY_VARIABLE`), or the key file beside the log
(``PATH.key``), created on first use with 32 random bytes and permissions
0600. Keep the key as secret as the EHR's own identifiers.

**Writing.** Each line is written with one ``write`` under a lock and
flushed, by :class:`logging.handlers.RotatingFileHandler`: when the file
would pass ``max_bytes`` it is renamed ``PATH.1`` (``PATH.1`` to ``PATH.2``
and so on, ``backups`` of them kept) and a new one is started. Files are
created with permissions 0600. A line that cannot be written raises
:class:`DecisionLogError`: a service that logs must not serve a decision it
could not log.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import json
import logging
import logging.handlers
import os
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from neurotriage._errors import NeurotriageError
from neurotriage.decision import Decision
from neurotriage.pack import Pack

__all__ = [
    "DEFAULT_BACKUPS",
    "DEFAULT_MAX_BYTES",
    "KEY_VARIABLE",
    "DecisionLog",
    "DecisionLogError",
    "Via",
    "default_path",
]

#: A log file is rotated when the next line would take it past this size.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: How many rotated files are kept (``PATH.1`` ... ``PATH.5``).
DEFAULT_BACKUPS = 5
#: The environment variable that may hold the hashing key (its text, as UTF-8).
KEY_VARIABLE = "NEUROTRIAGE_DECISION_LOG_KEY"
#: The smallest key accepted, in bytes: a short key makes the hash guessable.
MIN_KEY_BYTES = 16

#: Where a decision was asked for: the CDS Hooks service, the JSON API, the command line.
Via = Literal["cds-hooks", "evaluate-api", "cli"]


class DecisionLogError(NeurotriageError, OSError):
    """The decision log or its key cannot be opened, read or written; the message says which."""


def default_path() -> Path:
    """Where ``neurotriage serve`` logs by default: ``$XDG_STATE_HOME/neurotriage/decisions.jsonl``.

    ``XDG_STATE_HOME`` defaults to ``~/.local/state``.
    """
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "neurotriage" / "decisions.jsonl"


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


class _Handler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files are 0600 and whose failures are raised, not printed."""

    def _open(self) -> io.TextIOWrapper:
        return open(self.baseFilename, "a", encoding=self.encoding, opener=_private_opener)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        raise  # noqa: PLE0704 - called inside emit()'s except block: re-raise what failed


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _read_or_make_key(path: Path) -> bytes:
    """The key in ``path``; made there (32 random bytes, hex, mode 0600) if it does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as error:
        raise DecisionLogError(
            f"cannot create the decision log key {path}: {error.strerror or error}"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as error:
        raise DecisionLogError(
            f"cannot read the decision log key {path}: {error.strerror or error}"
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise DecisionLogError(
            f"the decision log key {path} is too short: {len(key)} bytes, "
            f"at least {MIN_KEY_BYTES} are needed"
        )
    return key


class DecisionLog:
    """An append-only JSON Lines log of decisions and feedback (see the module docs).

    ``key`` is the hashing key (bytes, at least 16); ``None`` takes the
    environment variable :data:`KEY_VARIABLE`, else the key file
    ``PATH.key`` (made if missing). Thread-safe; use as a context manager or
    call :meth:`close`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: bytes | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
    ) -> None:
        self.path = Path(path)
        if key is None and (text := os.environ.get(KEY_VARIABLE)):
            key = text.encode()
        if key is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = _read_or_make_key(Path(f"{self.path}.key"))
        if len(key) < MIN_KEY_BYTES:
            raise DecisionLogError(
                f"the decision log key is too short: {len(key)} bytes, "
                f"at least {MIN_KEY_BYTES} are needed"
            )
        self._key = key
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handler = _Handler(
                self.path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
            )
        except OSError as error:
            raise DecisionLogError(
                f"cannot open the decision log {self.path}: {error.strerror or error}"
            ) from None
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._closed = threading.Event()

    def patient_hash(self, patient_id: str) -> str:
        """The keyed hash of ``patient_id`` that the log holds (HMAC-SHA256, hex)."""
        return hmac.new(self._key, patient_id.encode(), hashlib.sha256).hexdigest()

    def decision(
        self,
        decision_id: str,
        decision: Decision,
        pack: Pack,
        *,
        seconds: float,
        via: Via,
        patient_id: str | None = None,
    ) -> None:
        """Append one decision line (``seconds``: how long deciding it took)."""
        self._write(
            {
                "event": "decision",
                "id": decision_id,
                "time": _now(),
                "pack": pack.id,
                "pack_version": pack.version,
                "verdict": decision.verdict,
                "fired_rules": list(decision.fired_rules),
                "verified": decision.verified,
                "patient": None if patient_id is None else self.patient_hash(patient_id),
                "duration_ms": round(seconds * 1000, 3),
                "via": via,
            }
        )

    def feedback(
        self,
        decision_id: str,
        outcome: Literal["accepted", "overridden"],
        *,
        override_reason: str | None = None,
        override_system: str | None = None,
        accepted_suggestions: Sequence[str] = (),
    ) -> None:
        """Append one feedback line about decision ``decision_id`` (a reason's code, no text)."""
        self._write(
            {
                "event": "feedback",
                "id": decision_id,
                "time": _now(),
                "outcome": outcome,
                "override_reason": override_reason,
                "override_system": override_system,
                "accepted_suggestions": list(accepted_suggestions),
            }
        )

    def _write(self, line: dict[str, Any]) -> None:
        if self._closed.is_set():
            raise DecisionLogError(f"the decision log {self.path} is closed")
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        record = logging.makeLogRecord({"msg": text, "args": None})
        try:
            self._handler.handle(record)
        except (OSError, ValueError) as error:
            message = error.strerror if isinstance(error, OSError) else None
            raise DecisionLogError(
                f"cannot write the decision log {self.path}: {message or error}"
            ) from None

    def close(self) -> None:
        """Close the file; later writes raise DecisionLogError."""
        self._closed.set()
        self._handler.close()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

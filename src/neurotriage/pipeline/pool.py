"""The worker processes of map_ordered(): one pipe each, so a dead worker is always seen.

A ``concurrent.futures.ProcessPoolExecutor`` sends every worker's results
down one shared pipe. A worker killed half-way through writing a result
leaves half a message in it, and the reader waits for the rest for ever,
since the other workers still hold the pipe open. Here each worker has a
pipe of its own, and the parent closes its copy of the worker's end once
the worker has started, so the worker is the only writer: when it dies,
the parent reads the end of the file (even in the middle of a message) and
raises :class:`WorkerError`. The parent also waits on the process itself
(:func:`multiprocessing.connection.wait` on the pipe and the process
sentinel), so a death is noticed however it happens.

**Deadlock.** The parent sends chunks and receives results on the same
pipe. A worker blocked sending a large result (the parent is reading
another worker) must still take in the chunks the parent sends it, or the
parent would block sending to a worker that is blocked sending to it. So a
thread in each worker reads its inbox at all times; the parent keeps at most
a few chunks in flight per worker, so the inbox stays small.

**Stopping.** A worker stops when its pipe ends: when the parent closes it
(:meth:`WorkerPool.close`) or when the parent dies, however it dies
(``kill -9`` included). Workers ignore SIGINT, SIGTERM and SIGHUP, which a
terminal or a service manager sends to the whole process group: the parent
handles those and then stops its workers itself, so a signal never leaves a
worker running nor lets a worker's death be mistaken for the failure.

**Exit.** At interpreter exit, multiprocessing's own handler sends SIGTERM to
every daemonic child still running and then waits for it, for ever. A worker
ignores SIGTERM, so a pool still open at exit (an ``evaluate_many()``
iterator left unfinished and still referenced, as after a ``break`` out of a
loop at module level) would hang the exit. Every open pool is therefore
closed by an exit handler of this module, which runs before
multiprocessing's: exit handlers run last registered first, and
multiprocessing's is registered when ``multiprocessing.util`` is imported,
which this module does first.
"""

from __future__ import annotations

import atexit
import multiprocessing.util  # noqa: F401 - imported for its exit handler: see "Exit" above
import pickle
import queue
import signal
import threading
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any

from neurotriage._errors import WorkerError
from neurotriage.engines import BackendName
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.ruleset import RuleSet

__all__ = ["WorkerPool"]

#: How long a worker whose pipe was closed may take to finish its chunk and exit
#: before it is killed (it holds nothing that killing could lose).
GRACE_SECONDS = 2.0
#: How long to wait for the exit status of a worker whose pipe has ended.
EXIT_WAIT_SECONDS = 5.0

#: Signals a worker leaves to its parent (see the module docs).
_PARENT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _RemoteTraceback(Exception):  # noqa: N818 - the text of an error, shown as its cause
    """The traceback of an error raised in a worker, shown as its cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def _portable(error: Exception | None) -> tuple[Exception | None, str]:
    """``error`` as it can cross the pipe, and its traceback text."""
    if error is None:
        return None, ""
    text = "".join(traceback.format_exception(error))
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, just made
    except Exception:  # noqa: BLE001 - any error that does not survive pickling
        error = RuntimeError(f"{type(error).__name__}: {error}")
    return error, text


def _run_chunk(
    task: Callable[[RuleSet, BackendName, Any], Any],
    chunk: Sequence[Any],
    rules: RuleSet,
    backend: BackendName,
) -> tuple[list[Any], Exception | None]:
    """``task`` on each item of ``chunk``; stop at the first error, keep what came before."""
    results: list[Any] = []
    for item in chunk:
        try:
            results.append(task(rules, backend, item))
        except Exception as err:  # noqa: BLE001 - re-raised in the parent, in order
            return results, err
    return results, None


def _read_inbox(connection: Connection, inbox: queue.SimpleQueue[bytes | None]) -> None:
    """Worker thread: move each message from the pipe to ``inbox``; None once the pipe ends."""
    try:
        while True:
            inbox.put(connection.recv_bytes())
    except (EOFError, OSError):
        inbox.put(None)


def serve(connection: Connection, rules: RuleSet, backend: BackendName) -> None:
    """A worker process: answer each chunk on ``connection`` until the pipe ends."""
    for signum in _PARENT_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    broken: Exception | None = None
    try:
        compiled_engine(rules, backend)
    except Exception as err:  # noqa: BLE001 - reported for each chunk, in order
        broken = err
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read_inbox, args=(connection, inbox), daemon=True).start()
    while (message := inbox.get()) is not None:
        results: list[Any] = []
        error: Exception | None
        try:
            task, chunk = pickle.loads(message)  # noqa: S301 - sent by our own parent
        except Exception as err:  # noqa: BLE001 - say so for this chunk
            error = err
        else:
            results, error = ([], broken) if broken else _run_chunk(task, chunk, rules, backend)
        try:
            connection.send((results, *_portable(error)))
        except OSError:
            return  # the parent has gone


def _how(exitcode: int | None) -> str:
    """What became of a worker, from its exit status."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"was killed by signal {-exitcode}"
        return f"was killed by {name} (signal {-exitcode})"
    return f"exited with code {exitcode}"


@dataclass
class _Worker:
    number: int
    process: SpawnProcess
    connection: Connection


class WorkerPool:
    """``count`` worker processes, each started when it is first sent a chunk.

    Chunks are sent to a worker by number and its results come back in the
    order it was sent them, so a caller that deals chunks round-robin
    receives them in input order.
    """

    def __init__(
        self, count: int, rules: RuleSet, backend: BackendName, context: SpawnContext
    ) -> None:
        self.count, self.rules, self.backend, self.context = count, rules, backend, context
        self.workers: dict[int, _Worker] = {}
        _OPEN.add(self)

    def _worker(self, number: int) -> _Worker:
        worker = self.workers.get(number)
        if worker is None:
            mine, theirs = self.context.Pipe()
            process = self.context.Process(
                target=serve,
                args=(theirs, self.rules, self.backend),
                name=f"neurotriage-worker-{number}",
                daemon=True,
            )
            try:
                process.start()
            except BaseException:
                mine.close()
                raise
            finally:
                theirs.close()  # the worker is now the only writer: its death ends the pipe
            worker = self.workers[number] = _Worker(number, process, mine)
        return worker

    def send(self, number: int, task: Callable[..., Any], chunk: Sequence[Any]) -> bool:
        """Send ``chunk`` to worker ``number`` (1-based); False if that worker is dead."""
        data = ForkingPickler.dumps((task, chunk))
        try:
            self._worker(number).connection.send_bytes(data)
        except OSError:
            return False
        return True

    def receive(
        self, number: int, *, index: int, before: str
    ) -> tuple[list[Any], Exception | None]:
        """The results of the oldest chunk sent to worker ``number``, and its error.

        A dead worker raises WorkerError: ``index`` is the position of the
        first item with no result, ``before`` how the message names it.
        """
        worker = self.workers[number]
        if worker.connection not in wait([worker.connection, worker.process.sentinel]):
            raise self._dead(worker, index, before)  # dead, and its pipe held open elsewhere
        try:
            results, error, text = worker.connection.recv()
        except (EOFError, OSError):  # the pipe ended, maybe half-way through a message
            raise self._dead(worker, index, before) from None
        if error is not None and text:
            error.__cause__ = _RemoteTraceback(text)
        return results, error

    def _dead(self, worker: _Worker, index: int, before: str) -> WorkerError:
        worker.process.join(EXIT_WAIT_SECONDS)
        code, pid = worker.process.exitcode, worker.process.pid
        return WorkerError(
            f"worker process {worker.number} of {self.count} (pid {pid}) {_how(code)} "
            f"before {before} was decided",
            worker.number,
            pid,
            code,
            index,
        )

    def close(self) -> None:
        """Stop every worker: end its pipe, give it a moment, then kill it."""
        _OPEN.discard(self)
        for worker in self.workers.values():
            worker.connection.close()
        for worker in self.workers.values():
            worker.process.join(GRACE_SECONDS)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            worker.process.close()
        self.workers.clear()


#: The pools not yet closed (see "Exit" in the module docs).
_OPEN: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


def _close_open_pools() -> None:
    """At exit: close every pool still open, so no worker is waited for in vain."""
    for pool in list(_OPEN):
        pool.close()


atexit.register(_close_open_pools)  # after multiprocessing.util's handler, so it runs before

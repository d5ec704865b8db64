"""evaluate_many(): many profiles in, their decisions out, in input order.

The work runs in this process (``workers`` None or 1) or in worker
*processes* (``workers`` > 1), never in threads: durable evaluations of one
rule set run one at a time under the engine's lock, so threads would not
help, and the reference engine holds the GIL.

**Start method.** Worker processes are started with ``"spawn"``: each is a
fresh interpreter that imports neurotriage and compiles its own engine.
``"fork"`` would copy this process mid-flight, including durable-rules' C
state and any lock another thread holds at that instant (a child could
deadlock on it or inherit a half-updated engine). ``"forkserver"`` avoids
that too but does not exist on Windows. ``"spawn"`` copies nothing and works
everywhere; its cost is one interpreter start per worker (about half a
second) per call, which a batch amortises.

**Rules in workers.** The caller's RuleSet is pickled to each worker once,
when it starts: a RuleSet pickles as its validated content, never its
compiled engines (see :class:`RuleSet`). Each worker compiles it once.
Reading the rule files again in each worker could see files edited since
the caller loaded them, and decide differently.

**Memory.** The input is read lazily, in chunks (:data:`CHUNK_ITEMS` items,
or :data:`CHUNK_BYTES` by the caller's measure), and at most
:data:`AHEAD` chunks per worker are in flight, so a generator of millions
of profiles is never held in memory.

**Order and errors.** Chunks are dealt to the workers in turn and each
worker answers its chunks in the order it got them, so results come out in
input order. An error raised for an item (by the task, or by the input
iterator itself) is raised only after every result before it has been
yielded, so nothing that was decided is lost. A worker that dies is a
:class:`WorkerError`, raised at the first item it left undecided; the pool
(:mod:`neurotriage.pipeline.pool`) is built so that a death can never hang.

**What crosses.** Items go to the workers as they are; each worker
validates them and decides once per class (as evaluate() does) and answers
each item with a number, sending each distinct Decision whole only the first
time. So this process does little per item beyond pickling it, and never
unpickles a model per item. A bad item is answered as such and validated
again here, to raise the very same error at its place.

**When workers pay.** Validating a profile and looking its class up costs
a few microseconds, about what shipping it to a worker and back costs, so on
input whose classes are already decided (repeated, realistic traffic) one
process is as fast. Workers pay when deciding is the work: many classes not
seen before, the durable backend, a large pack. ``bench/run.py`` measures both.

**How many.** At most :data:`WORKERS_PER_CPU` workers per CPU this process
may use, and never more than :data:`MAX_WORKERS`: each is a whole
interpreter (about 40 MB), and more than a few per CPU only adds start-up
time and memory.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

# the module, not its function: loading proves packs with the pipeline's combine(),
# so this import must not need loading to be initialised first
from neurotriage import loading
from neurotriage.decision import Decision
from neurotriage.engines import BackendName, resolve_backend
from neurotriage.pack import Pack
from neurotriage.pipeline.compiled import compiled, compiled_engine
from neurotriage.pipeline.evaluation import as_profile, notify_observers
from neurotriage.pipeline.pool import WorkerPool
from neurotriage.ruleset import RuleSet

__all__ = [
    "AHEAD",
    "CHUNK_BYTES",
    "CHUNK_ITEMS",
    "MAX_WORKERS",
    "WORKERS_PER_CPU",
    "evaluate_many",
    "map_ordered",
    "worker_limit",
    "workers_text",
]

T = TypeVar("T")
R = TypeVar("R")

#: What runs on each item, in this process or a worker: it gets the rule set
#: and the backend name, and must be a module-level function (workers import it).
Task: TypeAlias = Callable[[RuleSet, BackendName, T], R]

#: Items per chunk sent to a worker: large enough to amortise the round trip.
CHUNK_ITEMS = 256
#: A chunk is also closed once its items weigh this much (see ``weigh``).
CHUNK_BYTES = 4 * 1024 * 1024
#: Chunks in flight per worker: one running, one queued, so no worker waits.
AHEAD = 2
#: The most workers per CPU this process may use...
WORKERS_PER_CPU = 4
#: ... and the most in any case.
MAX_WORKERS = 64


def worker_limit() -> int:
    """The most workers allowed here: WORKERS_PER_CPU per usable CPU, MAX_WORKERS at most."""
    affinity = getattr(os, "sched_getaffinity", None)  # the CPUs this process may use
    cpus = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, min(MAX_WORKERS, WORKERS_PER_CPU * cpus))


def workers_text() -> str:
    """The bound, as error messages state it."""
    return (
        f"at most {worker_limit()} on this machine "
        f"({WORKERS_PER_CPU} per CPU, never more than {MAX_WORKERS})"
    )


def _chunks(items: Iterator[T], weigh: Callable[[T], int] | None) -> Iterator[list[T]]:
    """``items`` in chunks; if ``items`` raises, the items read before it come first."""
    chunk: list[T] = []
    weight = 0
    try:
        for item in items:
            chunk.append(item)
            weight += weigh(item) if weigh is not None else 0
            if len(chunk) >= CHUNK_ITEMS or weight >= CHUNK_BYTES:
                yield chunk
                chunk, weight = [], 0
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _item_at(index: int) -> str:
    return f"the item at index {index} of the input"


def map_ordered(
    task: Task[T, R],
    items: Iterable[T],
    *,
    rules: RuleSet,
    backend: BackendName,
    workers: int,
    weigh: Callable[[T], int] | None = None,
    name_item: Callable[[int], str] = _item_at,
) -> Generator[tuple[T, R], None, None]:
    """Each item with ``task(rules, backend, item)``, in input order.

    ``workers`` 1 runs in this process, item by item. More runs in that many
    spawned worker processes, ``items`` read in bounded chunks. A worker that
    dies (say, killed by the OS) raises WorkerError, after every result before
    the first item it left undecided; ``name_item(index)`` names that item in
    the message.
    """
    if workers == 1:
        for item in items:
            yield item, task(rules, backend, item)
        return
    yield from _in_workers(
        task,
        iter(items),
        rules=rules,
        backend=backend,
        workers=workers,
        weigh=weigh,
        name_item=name_item,
    )


def _in_workers(
    task: Task[T, R],
    items: Iterator[T],
    *,
    rules: RuleSet,
    backend: BackendName,
    workers: int,
    weigh: Callable[[T], int] | None,
    name_item: Callable[[int], str],
) -> Iterator[tuple[T, R]]:
    pool = WorkerPool(workers, rules, backend, multiprocessing.get_context("spawn"))
    # Each chunk sent: the index of its first item, its items, the worker it went to.
    pending: deque[tuple[int, list[T], int]] = deque()

    def oldest() -> Iterator[tuple[T, R]]:
        start, chunk, worker = pending.popleft()
        results, error = pool.receive(worker, index=start, before=name_item(start))
        yield from zip(chunk, results, strict=False)
        if error is not None:
            raise error

    failure: Exception | None = None
    chunks = _chunks(items, weigh)
    start = 0
    try:
        for number in itertools.count():
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as err:  # noqa: BLE001 - the input's own error, raised in order
                failure = err
                break
            worker = number % workers + 1
            pending.append((start, chunk, worker))
            start += len(chunk)
            if not pool.send(worker, task, chunk):
                break  # that worker is dead: its WorkerError comes in order, below
            if len(pending) >= workers * AHEAD:
                yield from oldest()
        while pending:
            yield from oldest()
        if failure is not None:
            raise failure
    finally:
        # Also on an error or when the caller stops early: the workers end.
        pool.close()


#: What a worker answers for an item that is not a profile: the parent, which
#: still holds the item, validates it again to raise the very same error.
_BAD = -1
#: ... and for a Decision it sends whole each time (its registry is full).
_INLINE = -2
#: Decisions a worker numbers: each is sent once, then only its number.
REGISTRY_SIZE = 65_536
#: In a worker: id(Decision) -> (its number, the Decision, kept alive so its id stays its own).
_registry: dict[int, tuple[int, Decision]] = {}


def _compact(rules: RuleSet, backend: BackendName, item: Any) -> int | tuple[int, Decision]:
    """In a worker: the item's Decision as a number, sent whole the first time only.

    The worker validates and decides (once per class, as evaluate() does); the
    parent gets an int per item and each distinct Decision once, never a
    pickled model per item (which would cost it more than deciding).
    """
    try:
        profile = as_profile(item, rules.pack)
    except (ValidationError, TypeError):
        return _BAD
    decision = compiled(rules, backend).decide(rules, profile)
    entry = _registry.get(id(decision))
    if entry is not None and entry[1] is decision:
        return entry[0]
    if len(_registry) >= REGISTRY_SIZE:
        return (_INLINE, decision)
    number = (os.getpid() << 24) | len(_registry)  # unique among the workers of a run
    _registry[id(decision)] = (number, decision)
    return (number, decision)


def _refused(item: Any, pack: Pack, index: int) -> Exception:
    """The error ``item`` raises as a profile, with a note naming its index."""
    try:
        as_profile(item, pack)
    except (ValidationError, TypeError) as err:
        err.add_note(f"evaluate_many(): the profile at index {index} of the input")
        return err
    return RuntimeError(f"a worker refused the profile at index {index}, which validates here")


def _profile_at(index: int) -> str:
    return f"the profile at index {index} of the input"


def _decisions(
    profiles: Iterator[Any], rules: RuleSet, backend: BackendName, workers: int
) -> Iterator[Decision]:
    if workers == 1:  # in this process: exactly evaluate(), item by item
        done = compiled(rules, backend)
        for index, item in enumerate(profiles):
            try:
                profile = as_profile(item, rules.pack)
            except (ValidationError, TypeError) as err:
                err.add_note(f"evaluate_many(): the profile at index {index} of the input")
                raise
            decision = done.decide(rules, profile)
            notify_observers(rules, decision)  # as evaluate() does
            yield decision
        return
    known: dict[int, Decision] = {}
    answers = map_ordered(
        _compact, profiles, rules=rules, backend=backend, workers=workers, name_item=_profile_at
    )
    try:
        for index, (item, answer) in enumerate(answers):
            if isinstance(answer, tuple):
                number, decision = answer
                if number != _INLINE:
                    known[number] = decision
            elif answer == _BAD:
                raise _refused(item, rules.pack, index)
            else:
                decision = known[answer]
            notify_observers(rules, decision)  # as evaluate() does, workers or not
            yield decision
    finally:
        answers.close()  # on an error or an early stop, the workers end at once


def _check_workers(workers: object) -> int:
    if workers is None:
        return 1
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be a whole number or None, not {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers > worker_limit():
        raise ValueError(f"workers must be {workers_text()}, not {workers}")
    return workers


def _iterate(profiles: object) -> Iterator[Any]:
    kind = type(profiles).__name__
    if isinstance(profiles, BaseModel | Mapping | str | bytes):
        raise TypeError(
            f"profiles must be an iterable of profiles (a list, a generator...), not a single "
            f"{kind}; for one profile use evaluate()"
        )
    try:
        return iter(profiles)  # type: ignore[call-overload,no-any-return]
    except TypeError:
        raise TypeError(f"profiles must be an iterable of profiles, not {kind}") from None


def evaluate_many(
    profiles: Iterable[BaseModel | Mapping[str, Any]],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
    workers: int | None = None,
) -> Iterator[Decision]:
    """Decide for each profile of ``profiles``; yield the decisions in input order.

    Each decision equals ``evaluate(profile, rules=rules, backend=backend)``
    and, like evaluate()'s, is passed to the observers of this process (the
    pytest plugin's rule coverage) before it is yielded, workers or not.
    ``profiles`` may be any iterable, a generator of millions included: it is
    read lazily and memory stays bounded. Decisions are yielded as they are
    ready, so stop consuming at any point and the remaining input is not read
    (beyond a few chunks when ``workers`` > 1).

    ``workers`` None or 1 evaluates in this process. ``workers`` > 1 uses that
    many worker processes (started with "spawn": see the module docs), each
    compiling the rule set once; they cost about half a second to start. A
    script that uses them must guard its entry point with
    ``if __name__ == "__main__":``, as multiprocessing requires. At most 4
    workers per CPU this process may use are allowed, and never more than 64.

    Arguments are checked at once: ``profiles`` not an iterable (or a single
    profile), ``rules`` not a RuleSet, or ``workers`` not a whole number
    raise TypeError; ``workers`` < 1 or over the bound, or an unknown
    backend, ValueError;
    ``backend="durable"`` where durable-rules does not import (or cannot
    compile the rule set), BackendError.

    A bad item stops the iteration *at its position*: the decisions before it
    are yielded, then its ``pydantic.ValidationError`` (or TypeError, for an
    item that is neither a Profile nor a mapping) is raised, with a note
    naming its index (shown in the traceback; ``err.__notes__``). An error
    raised by ``profiles`` itself is likewise raised at its position. To
    carry on past bad items, validate them first (``Profile.model_validate``)
    and pass on the good ones; the ``evaluate-many`` command writes one error
    record per bad line instead.

    A worker process that dies (killed by the system, say) raises
    WorkerError, naming the worker, how it ended and the index of the first
    profile with no decision; every decision before that one is yielded
    first.
    """
    iterator = _iterate(profiles)
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    ruleset = rules if rules is not None else loading.default_rules()
    count = _check_workers(workers)
    name = resolve_backend(backend)
    # Compiled here first, so a rule set the backend cannot take fails now, as
    # BackendError, not later in each worker.
    compiled_engine(ruleset, name)
    return _decisions(iterator, ruleset, name, count)

"""evaluate_many(): decisions in input order, lazily, in this process or in worker processes."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import pickle
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import neurotriage.pipeline.compiled
from neurotriage import BackendError, Profile, default_rules, evaluate, evaluate_many
from neurotriage.analysis import input_space
from neurotriage.cli._inputs import MAX_PROFILE_BYTES
from neurotriage.cli._many import _record, _weight
from neurotriage.pipeline.batch import AHEAD, CHUNK_ITEMS, map_ordered
from neurotriage.pipeline.compiled import compiled_engine
from tests.conftest import ROOT, SAFE, available_backends
from tests.rulefiles import load_unproved, with_default_catalogue

EXAMPLES = [
    json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "examples").glob("*.json"))
]


def sample(count: int) -> list[Profile]:
    """``count`` profiles spread over the whole input space of the default rules."""
    space = list(input_space(default_rules()))
    return [space[(index * 7919) % len(space)] for index in range(count)]


class Counted:
    """An iterable that counts how many items have been taken from it."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items = items
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.taken += 1
            yield item


# --- results --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", available_backends())
def test_decisions_come_in_input_order_and_equal_evaluate(backend):
    """Each decision equals evaluate() of the profile at the same position."""
    profiles: list[Any] = [*EXAMPLES, *sample(300), SAFE, types.MappingProxyType(SAFE)]
    decisions = list(evaluate_many(profiles, backend=backend))
    assert decisions == [evaluate(p, backend=backend) for p in profiles]


def test_workers_2_gives_exactly_the_decisions_of_workers_1(backend):
    """Two worker processes yield the same decisions, in the same order, as one process."""
    profiles: list[Any] = [*EXAMPLES, *sample(3 * CHUNK_ITEMS + 17)]  # several chunks, one partial
    in_process = list(evaluate_many(profiles, backend=backend))
    assert list(evaluate_many(profiles, backend=backend, workers=2)) == in_process
    assert list(evaluate_many(profiles, backend=backend, workers=None)) == in_process


def test_workers_use_the_callers_rule_set(tmp_path: Path):
    """Worker processes decide with the caller's own (custom) rule set, not the default one."""
    rule = "rules:\n  - {id: diabetes-stop, description: d, when: diabetes, block: all}\n"
    rules = load_unproved(with_default_catalogue(tmp_path / "rules", {"rules.yaml": rule}))
    profiles = [{"diabetes": True}, {"diabetes": False}, {}]
    decisions = list(evaluate_many(profiles, rules=rules, workers=2))
    assert decisions == [evaluate(p, rules=rules) for p in profiles]
    assert [d.fired_rules for d in decisions] == [("diabetes-stop",), (), ()]
    assert {d.ruleset_version for d in decisions} == {rules.version}


@pytest.mark.parametrize("workers", [1, 2])
def test_empty_input_gives_no_decisions(workers):
    """An empty iterable yields nothing (and starts no worker process)."""
    assert list(evaluate_many([], workers=workers)) == []
    assert multiprocessing.active_children() == []


# --- laziness -------------------------------------------------------------------------------


def test_in_process_reads_one_profile_per_decision():
    """With one worker, each decision is yielded before the next profile is read."""
    counted = Counted(itertools.repeat(SAFE, 100_000))
    decisions = evaluate_many(counted)
    for expected in range(1, 4):
        next(decisions)
        assert counted.taken == expected


def test_workers_read_a_bounded_amount_ahead():
    """Two workers yield the first decisions having read only a few chunks of a long input."""
    counted = Counted(itertools.repeat(SAFE, 100_000))
    decisions = evaluate_many(counted, workers=2)
    assert len(list(itertools.islice(decisions, 10))) == 10
    assert counted.taken <= (2 * AHEAD + 1) * CHUNK_ITEMS
    decisions.close()  # stopping early shuts the workers down
    assert multiprocessing.active_children() == []


def test_nothing_is_read_before_the_first_decision_is_asked_for():
    """Calling evaluate_many() checks its arguments but reads no profile yet."""
    counted = Counted(iter([SAFE]))
    decisions = evaluate_many(counted)
    assert counted.taken == 0
    assert len(list(decisions)) == 1


# --- bad items ------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_bad_profile_is_raised_at_its_position_naming_its_index(workers):
    """Decisions before a bad profile are yielded, then its ValidationError with its index."""
    profiles = [SAFE, {"open_wounds": True}, {"pain_level": 11}, SAFE]
    decisions = evaluate_many(profiles, workers=workers)
    assert next(decisions) == evaluate(SAFE)
    assert next(decisions) == evaluate({"open_wounds": True})
    with pytest.raises(ValidationError) as caught:
        next(decisions)
    assert caught.value.errors()[0]["loc"] == ("pain_level",)
    assert caught.value.__notes__ == ["evaluate_many(): the profile at index 2 of the input"]
    assert list(decisions) == []  # the iteration is over


def test_an_item_that_is_not_a_profile_is_a_type_error_naming_its_index():
    """An item that is neither a Profile nor a mapping raises TypeError at its position."""
    decisions = evaluate_many([SAFE, "diabetes"])
    assert next(decisions) == evaluate(SAFE)
    with pytest.raises(TypeError, match=r"^a profile must be a Profile or a mapping") as caught:
        next(decisions)
    assert caught.value.__notes__ == ["evaluate_many(): the profile at index 1 of the input"]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_of_the_input_itself_comes_after_the_decisions_before_it(workers):
    """If the caller's iterable raises, every decision before that point is yielded first."""

    def profiles() -> Iterator[dict[str, Any]]:
        yield SAFE
        yield {"open_wounds": True}
        raise OSError("the source went away")

    decisions = evaluate_many(profiles(), workers=workers)
    assert next(decisions) == evaluate(SAFE)
    assert next(decisions) == evaluate({"open_wounds": True})
    with pytest.raises(OSError, match=r"^the source went away$"):
        next(decisions)


def test_a_worker_error_comes_after_the_results_before_it():
    """An error raised in a worker reaches the caller at its position, after earlier results."""
    rules = default_rules()
    items: list[Any] = [Profile(**SAFE), Profile(open_wounds=True), "not a profile", Profile()]
    # the task gets a str at index 2 and fails there, in the worker
    results = map_ordered(fired_task, items, rules=rules, backend="reference", workers=2)
    assert next(results) == (items[0], compiled_engine(rules, "reference").fired(items[0]))
    assert next(results) == (items[1], compiled_engine(rules, "reference").fired(items[1]))
    with pytest.raises(AttributeError) as caught:
        next(results)
    # the worker's traceback is kept, as the error's cause
    assert "Traceback (most recent call last)" in str(caught.value.__cause__)
    assert "in fired_task" in str(caught.value.__cause__)


def fired_task(rules: Any, backend: Any, profile: Any) -> frozenset[str]:
    """A task run in the workers: the rules a profile fires (a str has no __dict__)."""
    return compiled_engine(rules, backend).fired(profile)


class UnpicklableError(Exception):
    """An error that cannot cross a process boundary (its argument cannot be pickled)."""

    def __init__(self) -> None:
        super().__init__(threading.Lock())

    def __str__(self) -> str:
        return "holds a lock"


def raise_unpicklable(rules: Any, backend: Any, item: int) -> int:
    """A task that fails, at item 3, with an error that cannot be pickled."""
    if item == 3:
        raise UnpicklableError
    return item


def test_a_worker_error_that_cannot_be_pickled_arrives_as_a_runtime_error_naming_it():
    """An unpicklable error in a worker becomes RuntimeError('Type: message'), in order."""
    results = map_ordered(
        raise_unpicklable, range(10), rules=default_rules(), backend="reference", workers=2
    )
    assert [next(results) for _ in range(3)] == [(0, 0), (1, 1), (2, 2)]
    with pytest.raises(RuntimeError, match=r"^UnpicklableError: holds a lock$"):
        next(results)


def test_an_error_of_the_input_comes_after_the_results_before_it_in_workers():
    """map_ordered() itself: an error raised by the input is raised after every earlier result."""

    def items() -> Iterator[int]:
        yield from range(3 * CHUNK_ITEMS + 5)
        raise OSError("the source went away")

    results = map_ordered(_identity, items(), rules=default_rules(), backend="reference", workers=2)
    seen = []
    with pytest.raises(OSError, match=r"^the source went away$"):
        seen.extend(item for item, _ in results)
    assert seen == list(range(3 * CHUNK_ITEMS + 5))


def _identity(rules: Any, backend: Any, item: int) -> int:
    """A task that returns its item."""
    return item


# --- argument checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"workers": 0}, ValueError, "workers must be at least 1, not 0", id="zero"),
        pytest.param({"workers": -3}, ValueError, "workers must be at least 1, not -3", id="neg"),
        pytest.param(
            {"workers": 2.0},
            TypeError,
            "workers must be a whole number or None, not float",
            id="float",
        ),
        pytest.param(
            {"workers": "2"}, TypeError, "workers must be a whole number or None, not str", id="str"
        ),
        pytest.param(
            {"workers": True},
            TypeError,
            "workers must be a whole number or None, not bool",
            id="bool",
        ),
        pytest.param(
            {"rules": "rules/"},
            TypeError,
            "rules must be a RuleSet from load_rules(), not str",
            id="rules-path",
        ),
        pytest.param(
            {"backend": "fast"},
            ValueError,
            "unknown backend 'fast'; choose 'durable' or 'reference'",
            id="backend",
        ),
    ],
)
def test_bad_arguments_raise_at_the_call(kwargs, error, message):
    """A bad workers, rules or backend raises at once, before any profile is read."""
    counted = Counted(iter([SAFE]))
    with pytest.raises(error) as caught:
        evaluate_many(counted, **kwargs)
    assert str(caught.value) == message
    assert counted.taken == 0


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        pytest.param(
            SAFE,
            "profiles must be an iterable of profiles (a list, a generator...), not a single "
            "dict; for one profile use evaluate()",
            id="one-dict",
        ),
        pytest.param(
            Profile(),
            "profiles must be an iterable of profiles (a list, a generator...), not a single "
            "Profile; for one profile use evaluate()",
            id="one-profile",
        ),
        pytest.param(
            '[{"diabetes": true}]',
            "profiles must be an iterable of profiles (a list, a generator...), not a single "
            "str; for one profile use evaluate()",
            id="json-text",
        ),
        pytest.param(7, "profiles must be an iterable of profiles, not int", id="int"),
        pytest.param(None, "profiles must be an iterable of profiles, not NoneType", id="None"),
    ],
)
def test_profiles_that_are_not_an_iterable_of_profiles_raise_at_the_call(profiles, message):
    """A single profile, JSON text or a non-iterable is refused at once with a TypeError."""
    with pytest.raises(TypeError) as caught:
        evaluate_many(profiles)
    assert str(caught.value) == message


def test_a_rule_set_the_backend_cannot_compile_fails_at_the_call(monkeypatch):
    """A compile failure is a BackendError from evaluate_many() itself, not a broken pool."""

    def refuse(ruleset: Any, backend: str) -> None:
        raise BackendError("durable-rules cannot compile this rule set: error code 113")

    monkeypatch.setattr(neurotriage.pipeline.compiled, "compile_engine", refuse)
    fresh = pickle.loads(pickle.dumps(default_rules()))  # noqa: S301 - no engine compiled yet
    with pytest.raises(BackendError, match="cannot compile this rule set"):
        evaluate_many([SAFE], rules=fresh, workers=2)


# --- no deadlock ----------------------------------------------------------------------------


def test_a_worker_sending_a_large_result_still_takes_a_large_chunk():
    """Large results and large chunks in turn never deadlock the pipes (a bounded wait)."""
    small = (b"{}", 256)  # one chunk of small lines: a result of ~1 MB of JSON
    huge = (b'{"open_wounds": true}'.ljust(MAX_PROFILE_BYTES, b" "), 4)  # one chunk of 4 MiB
    lines = [
        line
        for _ in range(3)
        for content, count in (small, small, huge, huge)
        for line in [content] * count
    ]
    numbered = list(enumerate(lines, start=1))
    done: list[Any] = []

    def run() -> None:
        done.extend(
            map_ordered(
                _record,
                numbered,
                rules=default_rules(),
                backend="reference",
                workers=2,
                weigh=_weight,
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "map_ordered() deadlocked"
    assert [item for item, _ in done] == numbered
    assert all(verdict is not None for _, (verdict, _) in done)

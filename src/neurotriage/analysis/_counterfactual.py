"""Counterfactuals: the smallest changes of answers that would change the verdict.

For one profile, try every other class of every field the rules read (one
field at a time, then two), and keep the minimal sets: a pair is listed only
when neither of its changes changes the verdict alone.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from neurotriage.analysis._budget import COUNTERFACTUALS, check_cost, check_field_classes
from neurotriage.analysis._space import OTHER_ITEM, InputSpace, input_space
from neurotriage.decision import Verdict
from neurotriage.engines import resolve_backend
from neurotriage.engines.reference import ReferenceEngine
from neurotriage.fields import FieldSpec
from neurotriage.loading import default_rules
from neurotriage.pipeline.combine import outcome
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.pipeline.evaluation import as_profile
from neurotriage.ruleset import RuleSet

__all__ = ["Counterfactual", "Counterfactuals", "FieldChange", "counterfactuals"]

#: What a counterfactual is: something the person can do, or a what-if about their health.
Kind = Literal["action", "health"]


@dataclass(frozen=True)
class FieldChange:
    """One answer changed: ``field`` from ``before`` to ``after``.

    ``other`` is the list item that stands for "a condition no rule names"
    (shown as "any other condition"); the input space says which it is.
    """

    field: str
    before: Any
    after: Any
    other: str | None = dataclasses.field(default=OTHER_ITEM, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.before_text} -> {self.after_text}"

    @property
    def before_text(self) -> str:
        """The value before, as the reports show it (``unknown``, ``true``, ``none``...)."""
        return _shown(self.before)

    @property
    def after_text(self) -> str:
        """The value after, as the reports show it (``[any other condition]``...)."""
        return _shown(self.after, self.other)

    @property
    def is_answer(self) -> bool:
        """Whether the change answers an open question (unknown to a known value)."""
        return self.before is None


@dataclass(frozen=True)
class Counterfactual:
    """A minimal set of answer changes and the verdict they would lead to.

    ``kind`` is ``"action"`` when every change is something the person can do
    themselves: answer an open question, or change an actionable field
    (clearance, the pressure asked for) in its safer direction. Anything else
    changes a health fact, or undoes a safe choice: ``"health"``, a what-if
    for clinicians, never advice to the person.
    """

    changes: tuple[FieldChange, ...]
    verdict: Verdict
    kind: Kind = dataclasses.field(default="health", compare=False)

    def __str__(self) -> str:
        return ", ".join(str(c) for c in self.changes) + f" => {self.verdict}"


class Counterfactuals(tuple[Counterfactual, ...]):
    """Every counterfactual found, single changes first, then pairs.

    ``actions`` are those a person can act on; ``health_facts`` the changes of
    health facts, for clinicians. Together they are the whole tuple.
    """

    __slots__ = ()

    @property
    def actions(self) -> tuple[Counterfactual, ...]:
        """The counterfactuals made only of what the person can do themselves."""
        return tuple(item for item in self if item.kind == "action")

    @property
    def health_facts(self) -> tuple[Counterfactual, ...]:
        """The counterfactuals that change a health fact (for clinicians, not advice)."""
        return tuple(item for item in self if item.kind == "health")


def _is_action(change: FieldChange, specs: Mapping[str, FieldSpec]) -> bool:
    """Whether the person can make ``change`` themselves, in its safer direction.

    The pack says which fields are actionable and which way their risk runs.
    """
    if change.is_answer:
        return True
    spec = specs[change.field]
    if not spec.actionable:
        return False
    if spec.relaxing:
        return change.after is True
    if spec.kind == "list":
        return False  # dropping a health condition is never advice
    return spec.risk_rank(change.after) < spec.risk_rank(change.before)


def _counterfactual(
    changes: tuple[FieldChange, ...], verdict: Verdict, specs: Mapping[str, FieldSpec]
) -> Counterfactual:
    kind: Kind = "action" if all(_is_action(c, specs) for c in changes) else "health"
    return Counterfactual(changes, verdict, kind)


def _shown(value: Any, other: str | None = None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = ["any other condition" if item == other else item for item in value]
        return "[" + ", ".join(items) + "]" if items else "none"
    return str(value)


def _targets(space: InputSpace, profile: BaseModel, name: str) -> list[Any]:
    """A concrete value of every other known class of ``name``."""
    options = space.values[name]
    current = space.representative(profile).__dict__[name]
    value = getattr(profile, name)
    targets = []
    for option in options:
        if option is None or option == current:
            continue
        target = option
        if name in space.int_classes and value is not None:
            low, high = next(c for c in space.int_classes[name] if c[0] == option)
            target = min(max(value, low), high)  # the nearest value of that class
        targets.append(target)
    return targets


class _Screen:
    """Which rules fire after a few changes, re-checking only the rules that read them.

    Each change of one or two answers is screened with the reference
    semantics, rule by rule, from the rules that fire on the profile; only
    a change that screens as a new verdict is evaluated whole, on the chosen
    backend, before it is reported (backends agree rule by rule: verify).
    """

    def __init__(self, ruleset: RuleSet, profile: BaseModel) -> None:
        self.values = dict(profile.__dict__)
        reference = compiled_engine(ruleset, "reference")
        if not isinstance(reference, ReferenceEngine):  # pragma: no cover - it always is
            raise TypeError("the reference backend is not a ReferenceEngine")
        self.checks = dict(reference.predicates)
        self.readers: dict[str, list[str]] = {}
        for rule in ruleset.rules:
            for name in rule.fields:
                self.readers.setdefault(name, []).append(rule.id)
        self.base = frozenset(
            rule_id for rule_id, holds in self.checks.items() if holds(self.values)
        )

    def fired(self, changes: tuple[FieldChange, ...]) -> frozenset[str]:
        if not changes:
            return self.base
        values = {**self.values, **{change.field: change.after for change in changes}}
        fired = set(self.base)
        for change in changes:
            for rule_id in self.readers.get(change.field, ()):
                if self.checks[rule_id](values):
                    fired.add(rule_id)
                else:
                    fired.discard(rule_id)
        return frozenset(fired)


def counterfactuals(
    profile: BaseModel | Mapping[str, Any],
    *,
    rules: RuleSet | None = None,
    backend: str | None = None,
    max_changes: int = 2,
) -> Counterfactuals:
    """The minimal changes of one or two answers that change ``profile``'s verdict.

    Answers only change to known values (never to "unknown"). Single changes
    come first, then pairs, each in the pack's field order. The result's
    ``actions`` are what the person can do; its ``health_facts`` what-ifs
    for clinicians (see :class:`Counterfactual`). Raises
    :class:`SpaceTooLargeError` before trying any if there are too many to try.
    """
    if (
        isinstance(max_changes, bool)
        or not isinstance(max_changes, int)
        or max_changes not in (1, 2)
    ):
        raise ValueError(f"max_changes must be 1 or 2, not {max_changes!r}")
    ruleset = rules if rules is not None else default_rules()
    if not isinstance(ruleset, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(ruleset).__name__}")
    checked = as_profile(profile, ruleset.pack)
    specs = ruleset.pack.fields
    engine = compiled_engine(ruleset, resolve_backend(backend))
    space = input_space(ruleset)
    check_field_classes("the input space", space.size, space.fields)  # each class is tried

    def verdict_of(changes: tuple[FieldChange, ...]) -> Verdict:
        changed = checked.model_copy(update={c.field: c.after for c in changes})
        return outcome(ruleset, engine.fired(ruleset.pack.validate(changed.__dict__))).verdict

    current = verdict_of(())
    screen = _Screen(ruleset, checked)
    if screen.fired(()) != engine.fired(checked):  # the backends disagree here: no screening
        screened = verdict_of
    else:

        def screened(changes: tuple[FieldChange, ...]) -> Verdict:
            return outcome(ruleset, screen.fired(changes)).verdict

    singles = [
        FieldChange(name, getattr(checked, name), target, space.others.get(name))
        for name in space.names
        if len(space.values[name]) > 1
        for target in _targets(space, checked, name)
    ]
    tries = len(singles) + (len(singles) * (len(singles) - 1) // 2 if max_changes == 2 else 0)
    check_cost(
        "counterfactuals",
        tries,
        len(ruleset.rules),
        COUNTERFACTUALS,
        space.fields,
        unit="changed profiles",
    )
    found: list[Counterfactual] = []
    alone: set[int] = set()  # positions in singles (a list value is not hashable)
    for position, change in enumerate(singles):
        if screened((change,)) != current and (verdict := verdict_of((change,))) != current:
            alone.add(position)
            found.append(_counterfactual((change,), verdict, specs))
    if max_changes == 2:
        for (i, first), (j, second) in itertools.combinations(enumerate(singles), 2):
            if first.field == second.field or i in alone or j in alone:
                continue
            pair = (first, second)
            if screened(pair) != current and (verdict := verdict_of(pair)) != current:
                found.append(_counterfactual(pair, verdict, specs))
    return Counterfactuals(found)

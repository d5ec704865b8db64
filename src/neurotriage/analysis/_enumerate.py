"""Evaluate a rule set on every class of its input space, once.

The result maps every class index to the rules it fired (as a bit mask) and
to an :class:`~neurotriage.decision.Outcome` id. Outcomes are computed once
per distinct set of effective rules and each is checked against a full
:func:`~neurotriage.pipeline.combine.combine` decision, so every later check compares
what real decisions say.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from neurotriage.analysis._budget import Progress
from neurotriage.analysis._space import InputSpace
from neurotriage.decision import Decision, Outcome
from neurotriage.engines import Engine
from neurotriage.fields import FieldSpec
from neurotriage.language import Condition, compile_condition
from neurotriage.pipeline.combine import combine, outcome
from neurotriage.pipeline.compiled import compiled_engine
from neurotriage.ruleset import RuleSet

__all__ = ["Enumeration", "bits", "enumerate_space"]


def bits(mask: int) -> Iterator[int]:
    """The positions of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass
class Enumeration:
    """Every class of ``space`` evaluated on one engine.

    ``masks[i]`` holds the rules fired at class index ``i`` (bit ``b`` is
    ``rule_ids[b]``); ``outcome_ids[i]`` indexes ``outcomes``.
    """

    rules: RuleSet
    space: InputSpace
    backend: str
    rule_ids: tuple[str, ...]
    masks: list[int]
    outcome_ids: list[int]
    outcomes: list[Outcome]
    seconds: float
    _decisions: dict[int, Decision] = field(default_factory=dict, repr=False)

    def fired(self, index: int) -> tuple[str, ...]:
        """The ids of the rules fired at class index ``index``, sorted."""
        return tuple(sorted(self.rule_ids[b] for b in bits(self.masks[index])))

    def outcome(self, index: int) -> Outcome:
        """The outcome at class index ``index``."""
        return self.outcomes[self.outcome_ids[index]]

    def decision(self, index: int) -> Decision:
        """The full decision at class index ``index``."""
        if index not in self._decisions:
            profile = self.space.profile_at(index)
            self._decisions[index] = combine(self.rules, profile, self.fired(index))
        return self._decisions[index]


def value_rows(space: InputSpace) -> Iterator[dict[str, Any]]:
    """The field values of every class, in index order."""
    names = space.names
    for combo in itertools.product(*space.values.values()):
        yield dict(zip(names, combo, strict=True))


def condition_checker(
    condition: Condition, specs: Mapping[str, FieldSpec]
) -> Callable[[Mapping[str, Any]], bool]:
    """A fast predicate for ``condition`` over a mapping of the values of ``specs``' fields."""
    return compile_condition(condition, specs)


def _masks_by_rule(
    rules: RuleSet,
    space: InputSpace,
    bit_of: Mapping[str, int],
    progress: Progress | None,
) -> list[int]:
    """Each rule's condition compiled, and evaluated once per class of the fields it reads.

    These are the reference semantics (``language.compile_condition``), the
    same closures the reference backend runs.
    """
    masks = [0] * space.size
    specs = rules.pack.fields
    for done, rule in enumerate(rules.rules):
        if progress is not None:
            progress("evaluating rules", done, len(rules.rules))
        bit = bit_of[rule.id]
        for index in space.where(compile_condition(rule.condition, specs), rule.fields):
            masks[index] |= bit
    return masks


def _masks_by_profile(
    engine: Engine, space: InputSpace, bit_of: Mapping[str, int], progress: Progress | None
) -> list[int]:
    """``engine.fired`` called on the profile of every class, as evaluate() does."""
    masks = []
    validate = space.pack.validate
    for index, row in enumerate(value_rows(space)):
        if progress is not None and not index % 4096:
            progress(f"evaluating classes on {engine.name}", index, space.size)
        mask = 0
        for rule_id in engine.fired(validate(row)):
            mask |= bit_of[rule_id]
        masks.append(mask)
    return masks


def enumerate_space(
    rules: RuleSet,
    space: InputSpace,
    backend: str,
    *,
    rule_ids: tuple[str, ...] | None = None,
    by_rule: bool = True,
    progress: Progress | None = None,
) -> Enumeration:
    """Evaluate ``rules`` on every class of ``space`` with ``backend``.

    The reference backend is evaluated rule by rule (``by_rule``): each compiled
    condition once per class of the fields it reads, which gives the same
    fired sets as calling it on every profile, much faster. Other backends,
    or ``by_rule=False``, call ``engine.fired`` on every profile. ``rule_ids``
    fixes which bit stands for which rule (by default, rule order), so two
    enumerations of the same rules can compare masks.
    """
    started = time.perf_counter()
    if rule_ids is None:
        rule_ids = tuple(rule.id for rule in rules.rules)
    bit_of = {rule_id: 1 << b for b, rule_id in enumerate(rule_ids)}
    engine = compiled_engine(rules, backend)
    if by_rule and engine.name == "reference":
        masks = _masks_by_rule(rules, space, bit_of, progress)
    else:
        masks = _masks_by_profile(engine, space, bit_of, progress)
    effective = 0
    for rule in rules.rules:
        if rule.block or rule.refer not in (None, "none") or rule.warn or rule.verdict:
            effective |= bit_of[rule.id]
    outcome_ids: list[int] = []
    by_effect: dict[int, int] = {}
    outcomes: list[Outcome] = []
    distinct: dict[Outcome, int] = {}
    first_index: dict[int, int] = {}
    for index, mask in enumerate(masks):
        effect = mask & effective
        oid = by_effect.get(effect)
        if oid is None:
            result = outcome(rules, [rule_ids[b] for b in bits(effect)])
            oid = distinct.setdefault(result, len(distinct))
            if oid == len(outcomes):
                outcomes.append(result)
                first_index[oid] = index
            by_effect[effect] = oid
        outcome_ids.append(oid)
    enumeration = Enumeration(rules, space, backend, rule_ids, masks, outcome_ids, outcomes, 0.0)
    for oid, index in first_index.items():  # the shortcut must agree with combine()
        full = Outcome.of(enumeration.decision(index))
        if full != outcomes[oid]:
            raise AssertionError(f"outcome() disagrees with combine() at class {index}")
    enumeration.seconds = time.perf_counter() - started
    return enumeration

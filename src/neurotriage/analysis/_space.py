"""The input space as far as a rule set can see it: finite classes per field.

No rule can tell two values of the same class apart, so evaluating one
representative per class, for every combination of fields, covers every
possible profile. Classes come from the conditions themselves: the integer
thresholds a rule compares against, the enum values, the list memberships.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from neurotriage.language import Compare, Contains, InSet, walk
from neurotriage.profile import FieldSpec, Profile, field_specs
from neurotriage.ruleset import RuleSet

__all__ = ["InputSpace", "input_space"]

#: A list item no rule names, standing for "some other condition".
OTHER_ITEM = "some other condition"


@dataclass(frozen=True)
class InputSpace:
    """One representative value per class, for every Profile field.

    Fields no rule reads have a single class: their default.
    """

    values: Mapping[str, tuple[Any, ...]]
    int_classes: Mapping[str, tuple[tuple[int, int], ...]]
    members: Mapping[str, tuple[str, ...]]

    @property
    def size(self) -> int:
        """How many profiles the whole space holds."""
        total = 1
        for options in self.values.values():
            total *= len(options)
        return total

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Profile]:
        names = list(self.values)
        for combo in itertools.product(*self.values.values()):
            yield Profile.model_validate(dict(zip(names, combo, strict=True)))

    def representative(self, profile: Profile) -> Profile:
        """The profile of this space that no rule can tell apart from ``profile``."""
        data = dict(profile.__dict__)
        for name, (low_high) in self.int_classes.items():
            value = data[name]
            if value is not None:
                data[name] = next(low for low, high in low_high if low <= value <= high)
        for name, members in self.members.items():
            value = data[name]
            if value:
                named = sorted(item for item in value if item in members)
                data[name] = named or [OTHER_ITEM]
        for name, options in self.values.items():
            if len(options) == 1:
                data[name] = options[0]
        return Profile.model_validate(data)

    def risk_steps(self, profile: Profile) -> Iterator[tuple[str, Profile]]:
        """Every profile one step riskier than ``profile`` in a single field.

        The risk order is False -> True for yes/no risk factors, the declared
        order for enums, increasing numbers, and adding an item to a list.
        Clearance (a relaxing field) and unknowns are not risk steps.
        """
        specs = field_specs()
        for name, options in self.values.items():
            spec, value = specs[name], getattr(profile, name)
            if value is None or spec.relaxing or len(options) == 1:
                continue
            for higher in _one_step_up(spec, value, options):
                yield name, profile.model_copy(update={name: higher})


def _one_step_up(spec: FieldSpec, value: Any, options: tuple[Any, ...]) -> list[Any]:
    known = [o for o in options if o is not None]
    if spec.kind == "list":
        current = set(value)
        return [o for o in known if set(o) > current and len(set(o) - current) == 1] or (
            [[OTHER_ITEM]] if not value else []
        )
    position = known.index(value)
    return known[position + 1 : position + 2]


def _int_classes(spec: FieldSpec, cuts: set[int]) -> tuple[tuple[int, int], ...]:
    if spec.low is None or spec.high is None:
        raise TypeError(f"int field {spec.name} has no bounds")
    starts = sorted({spec.low} | {c for c in cuts if spec.low < c <= spec.high})
    ends = [s - 1 for s in starts[1:]] + [spec.high]
    return tuple(zip(starts, ends, strict=True))


def _cuts(node: Compare | InSet) -> set[int]:
    """Where the truth of a comparison can change: x is a cut if x-1 and x may differ."""
    values = node.values if isinstance(node, InSet) else (node.value,)
    op = "==" if isinstance(node, InSet) else node.op
    cuts: set[int] = set()
    for value in values:
        assert isinstance(value, int)  # noqa: S101 - type-checked at load time
        if op in ("<", ">="):
            cuts.add(value)
        elif op in ("<=", ">"):
            cuts.add(value + 1)
        else:
            cuts.update((value, value + 1))
    return cuts


def input_space(rules: RuleSet) -> InputSpace:
    """Derive the classes of every Profile field from ``rules``."""
    specs = field_specs()
    read = rules.fields_read
    cuts: dict[str, set[int]] = {}
    members: dict[str, set[str]] = {}
    for rule in rules.rules:
        for node in walk(rule.condition):
            if isinstance(node, Compare | InSet) and specs[node.field].kind == "int":
                cuts.setdefault(node.field, set()).update(_cuts(node))
            elif isinstance(node, Contains):
                members.setdefault(node.field, set()).add(node.value)
    values: dict[str, tuple[Any, ...]] = {}
    int_classes: dict[str, tuple[tuple[int, int], ...]] = {}
    for name, spec in specs.items():
        unknown: tuple[Any, ...] = (None,) if spec.nullable else ()
        if name not in read:
            values[name] = (spec.default,)
        elif spec.kind == "bool":
            values[name] = (*unknown, False, True)
        elif spec.kind == "enum":
            values[name] = (*unknown, *spec.values)
        elif spec.kind == "int":
            int_classes[name] = _int_classes(spec, cuts.get(name, set()))
            values[name] = (*unknown, *(low for low, _ in int_classes[name]))
        else:
            named = sorted(members.get(name, ()))
            subsets = [
                list(combo)
                for size in range(1, len(named) + 1)
                for combo in itertools.combinations(named, size)
            ]
            values[name] = (*unknown, [], [OTHER_ITEM], *subsets)
    return InputSpace(values, int_classes, {name: tuple(sorted(m)) for name, m in members.items()})

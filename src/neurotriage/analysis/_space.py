"""The input space as far as a rule set can see it: finite classes per field.

No rule or invariant can tell two values of the same class apart, so
evaluating one representative per class, for every combination of fields,
covers every possible profile. Classes come from the conditions themselves:
the integer thresholds a condition compares against, the enum values, the list
memberships.

Every class has an index: the space is a mixed-radix number whose digits are
the fields' class positions, so "the same profile with one field changed" is
index arithmetic, which is what makes checking every single-field step of the
whole space fast.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from pydantic import BaseModel

from neurotriage._errors import PackMismatchError
from neurotriage.analysis._budget import MAX_FIELD_CLASSES, FieldSize
from neurotriage.language import Condition
from neurotriage.pack import PROFILE_PACK, Pack
from neurotriage.proof import OTHER_ITEM, conditions_of, int_classes, other_item, shape_of
from neurotriage.ruleset import RuleSet

__all__ = ["OTHER_ITEM", "InputSpace", "input_space", "other_item", "red_flag_condition"]


def red_flag_condition(rules: RuleSet | None = None) -> Condition | None:
    """The red flags ``rules``' pack declares, parsed (``None``: it declares none).

    Without ``rules``: the built-in pack's. The red flags are always part of
    the space, whether a rule reads their fields or not.
    """
    return (rules.pack if rules is not None else PROFILE_PACK).red_flag_condition


@dataclass(frozen=True)
class InputSpace:
    """One representative value per class, for every field of a pack's model.

    ``values`` maps each field to its class representatives (``None`` first when
    the field may be unknown). ``int_classes`` gives the ``(low, high)`` range
    of each integer class; ``members`` the list items the conditions name;
    ``others`` the item that stands for "an item no condition names" in each
    list field (never one of its ``members``, see :func:`other_item`).
    Fields no condition reads have a single class: their default.
    """

    values: Mapping[str, Sequence[Any]]
    int_classes: Mapping[str, tuple[tuple[int, int], ...]]
    members: Mapping[str, tuple[str, ...]]
    others: Mapping[str, str] = field(default_factory=dict)
    #: each field's class count and why, for the message when the space is too large
    fields: Mapping[str, FieldSize] = field(default_factory=dict, compare=False, repr=False)
    #: the pack whose model the space covers
    pack: Pack = field(default=PROFILE_PACK, compare=False, repr=False)
    _strides: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        strides: list[int] = []
        total = 1
        for options in reversed(list(self.values.values())):
            strides.append(total)
            total *= len(options)
        object.__setattr__(self, "_strides", tuple(reversed(strides)))

    @property
    def size(self) -> int:
        """How many classes (profiles) the whole space holds."""
        total = 1
        for options in self.values.values():
            total *= len(options)
        return total

    @property
    def names(self) -> tuple[str, ...]:
        """The pack's fields, in declaration order (the digits of an index)."""
        return tuple(self.values)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[BaseModel]:
        names, validate = self.names, self.pack.validate
        for combo in itertools.product(*self.values.values()):
            yield validate(dict(zip(names, combo, strict=True)))

    def profile_at(self, index: int) -> BaseModel:
        """The profile with class index ``index`` (0 <= index < size)."""
        if not 0 <= index < self.size:
            raise IndexError(f"class index {index} is outside 0..{self.size - 1}")
        data = {}
        for (name, options), stride in zip(self.values.items(), self._strides, strict=True):
            data[name] = options[(index // stride) % len(options)]
        return self.pack.validate(data)

    def index_of(self, profile: BaseModel) -> int:
        """The class index of ``profile`` (any concrete profile, not only a representative)."""
        rep = self.representative(profile)
        index = 0
        for (name, options), stride in zip(self.values.items(), self._strides, strict=True):
            index += options.index(getattr(rep, name)) * stride
        return index

    def stride(self, name: str) -> int:
        """How far apart two indices are that differ by one class of ``name``."""
        return self._strides[self.names.index(name)]

    def with_digit(self, name: str, digit: int) -> Iterator[int]:
        """Every index whose class of ``name`` is its ``digit``-th option."""
        stride = self.stride(name)
        span = stride * len(self.values[name])
        for high in range(0, self.size, span):
            start = high + digit * stride
            yield from range(start, start + stride)

    def where(self, holds: Callable[[Mapping[str, Any]], bool], fields: Iterable[str]) -> list[int]:
        """Every index whose profile satisfies ``holds``, in increasing order.

        ``holds`` must read only ``fields``: it is evaluated once per class of
        those fields, not once per index, which is what makes rule-by-rule
        evaluation of the whole space fast.
        """
        read = set(fields)
        names = [name for name in self.names if name in read]
        row = {name: options[0] for name, options in self.values.items()}
        found: list[int] = []
        for combo in itertools.product(*(range(len(self.values[n])) for n in names)):
            for name, digit in zip(names, combo, strict=True):
                row[name] = self.values[name][digit]
            if holds(row):
                found.extend(self._indices(dict(zip(names, combo, strict=True))))
        found.sort()
        return found

    def _indices(self, fixed: Mapping[str, int]) -> Iterator[int]:
        """Every index whose digits for the fields in ``fixed`` are those given."""
        offsets = [
            [fixed[name] * stride] if name in fixed else [d * stride for d in range(len(options))]
            for (name, options), stride in zip(self.values.items(), self._strides, strict=True)
        ]
        return map(sum, itertools.product(*offsets))

    def unknown_bits(self, names: Sequence[str]) -> list[int]:
        """For every class index, which of ``names`` are unknown there (bit ``b``: ``names[b]``)."""
        unknown = [0] * self.size
        for bit, name in enumerate(names):
            options = self.values[name]
            if None in options:
                flag = 1 << bit
                for index in self.with_digit(name, options.index(None)):
                    unknown[index] |= flag
        return unknown

    def known_count(self, index: int) -> int:
        """How many fields the profile at ``index`` sets to other than their default.

        A field left unknown (or at its default) costs nothing to write down, so
        the profile with the lowest count is the smallest to read.
        """
        count = 0
        specs = self.pack.fields
        for (name, options), stride in zip(self.values.items(), self._strides, strict=True):
            if options[(index // stride) % len(options)] != specs[name].default:
                count += 1
        return count

    def representative(self, profile: BaseModel) -> BaseModel:
        """The profile of this space that no condition can tell apart from ``profile``."""
        data = dict(profile.__dict__)
        for name, (low_high) in self.int_classes.items():
            value = data[name]
            if value is not None:
                data[name] = next(low for low, high in low_high if low <= value <= high)
        for name, options in self.values.items():
            value = data[name]
            if isinstance(value, list) and value and len(options) > 1:
                members = self.members.get(name, ())
                named = sorted(item for item in value if item in members)
                data[name] = named or [self.others[name]]
        for name, options in self.values.items():
            if len(options) == 1:
                data[name] = options[0]
        return self.pack.validate(data)

    def steps(self, name: str, kind: str) -> list[tuple[int, int]]:
        """Pairs of class positions of ``name`` one step apart, as ``(from, to)``.

        ``kind`` is ``"risk"`` (one step riskier: False -> True, the next enum
        value or integer class, one more list item; the other way for a field
        whose risk is ``falling``), ``"unknown"`` (a known value -> None) or
        ``"clearance"`` (not cleared -> cleared, for a relaxing field). Risk
        steps skip relaxing fields; unknown steps skip fields that are never
        unknown.
        """
        spec = self.pack.fields[name]
        options = self.values[name]
        if len(options) == 1:
            return []
        if kind == "unknown":
            if None not in options:
                return []
            none = options.index(None)
            return [(i, none) for i, o in enumerate(options) if o is not None]
        if kind == "clearance":
            return [(options.index(False), options.index(True))] if spec.relaxing else []
        if spec.relaxing:
            return []
        known = [(i, o) for i, o in enumerate(options) if o is not None]
        if spec.kind != "list":
            pairs = [(a, b) for (a, _), (b, _) in itertools.pairwise(known)]
        else:
            pairs = [
                (a, b)
                for a, low in known
                for b, high in known
                if _adds_one_item(low, high, self.others[name])
            ]
        if spec.risk == "falling":
            return [(b, a) for a, b in pairs]
        return pairs

    def risk_steps(self, profile: BaseModel) -> Iterator[tuple[str, BaseModel]]:
        """Every profile of the space one risk step above ``profile`` in a single field."""
        for name, options in self.values.items():
            value = getattr(profile, name)
            if value is None or value not in options:
                continue
            position = options.index(value)
            for low, high in self.steps(name, "risk"):
                if low == position:
                    yield name, profile.model_copy(update={name: options[high]})


def check_same_model(first: Pack, second: Pack) -> None:
    """Raise PackMismatchError, naming the fields that differ, unless both read the same input."""
    if first.same_model(second):
        return
    ours, theirs = first.fields, second.fields
    differ = [n for n in ours if n not in theirs or ours[n].domain != theirs[n].domain]
    differ += [name for name in theirs if name not in ours]
    shown = ", ".join(differ[:8]) + (f" and {len(differ) - 8} more" if len(differ) > 8 else "")
    raise PackMismatchError(
        f"the packs '{first.id}' and '{second.id}' read different input models "
        f"(fields that differ: {shown}); only rule sets over the same model can be compared"
    )


def _adds_one_item(low: list[str], high: list[str], other: str) -> bool:
    """Whether adding one item to a list of class ``low`` can give class ``high``."""
    if not low:
        return len(high) == 1
    if low == [other]:  # some other item, plus one named one
        return len(high) == 1 and high != low
    return set(high) > set(low) and len(set(high) - set(low)) == 1


def input_space(rules: RuleSet, *others: RuleSet) -> InputSpace:
    """Derive the classes of every field of ``rules``' pack from ``rules`` (and ``others``).

    The classes split wherever a rule, a declared invariant or the pack's
    red flags could tell two values apart, so one space serves evaluation,
    verification and (with two rule sets) a diff. ``others`` must read the
    same model (ValueError if not).

    Raises :class:`~neurotriage.analysis.SpaceTooLargeError` (and builds nothing)
    if a field would have more than ``MAX_FIELD_CLASSES`` classes.
    """
    pack = rules.pack
    for other in others:
        check_same_model(pack, other.pack)
    conditions = [c for r in (rules, *others) for c in conditions_of(r)]
    flags = [r.pack.red_flag_condition for r in (rules, *others)]
    return _space_of(pack, conditions + [c for c in flags if c is not None])


def _space_of(pack: Pack, conditions: Iterable[Condition]) -> InputSpace:
    specs = pack.fields
    shape = shape_of(specs, conditions)
    fields = {n: FieldSize(n, c, why) for n, (c, why) in shape.fields().items()}
    read, cuts, members = shape.read, shape.cuts, shape.members
    values: dict[str, Sequence[Any]] = {}
    ranges: dict[str, tuple[tuple[int, int], ...]] = {}
    others: dict[str, str] = {}
    for name, spec in specs.items():
        unknown: tuple[Any, ...] = (None,) if spec.nullable else ()
        if spec.kind == "list":
            others[name] = other_item(members.get(name, ()))
        if name not in read:
            values[name] = (spec.default,)
        elif spec.kind == "bool":
            values[name] = (*unknown, False, True)
        elif spec.kind == "enum":
            values[name] = (*unknown, *spec.values)
        elif spec.kind == "int":
            ranges[name] = int_classes(spec, set(cuts.get(name, ())))
            values[name] = (*unknown, *(low for low, _ in ranges[name]))
        else:
            sets = NameSets(tuple(members.get(name, ())), others[name], spec.nullable)
            values[name] = sets if len(sets) > MAX_FIELD_CLASSES else tuple(sets)
    return InputSpace(values, ranges, dict(members), others, fields, pack)


class NameSets(Sequence[Any]):
    """A list field's class representatives, in class order, without building them.

    Unknown (when the field may be unknown), ``[]``, ``[other]``, then every
    non-empty set of ``named``, smaller sets first, each size in
    ``itertools.combinations`` order. Item ``i`` and the position of a set
    are computed, so a field testing 25 names has its 33,554,435 classes
    counted and indexed, never listed (only an enumeration of the whole
    space would list them, and each such analysis refuses that first).
    """

    def __init__(self, named: tuple[str, ...], other: str, nullable: bool) -> None:
        self.named, self.other = named, other
        self.head: tuple[Any, ...] = ((None,) if nullable else ()) + ([], [other])

    def __len__(self) -> int:
        return len(self.head) + (1 << len(self.named)) - 1

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < len(self.head):
            return self.head[index]
        rank, count = index - len(self.head), len(self.named)
        size = 1
        while rank >= math.comb(count, size):
            rank -= math.comb(count, size)
            size += 1
        chosen, start = [], 0
        for left in range(size, 0, -1):  # the rank-th combination, in lexicographic order
            while rank >= math.comb(count - start - 1, left - 1):
                rank -= math.comb(count - start - 1, left - 1)
                start += 1
            chosen.append(self.named[start])
            start += 1
        return chosen

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """The class position of ``value`` (ValueError if it is not a representative)."""
        del start, stop  # representatives are unique
        if value in self.head:
            return self.head.index(value)
        positions = [self.named.index(v) for v in value] if isinstance(value, list) else []
        if not value or positions != sorted(set(positions)) or len(positions) != len(value):
            raise ValueError(f"{value!r} is not a class of this list field")
        count, size = len(self.named), len(positions)
        rank = sum(math.comb(count, n) for n in range(1, size))
        previous = -1
        for left, position in zip(range(size, 0, -1), positions, strict=True):
            for skipped in range(previous + 1, position):
                rank += math.comb(count - skipped - 1, left - 1)
            previous = position
        return len(self.head) + rank

    def __contains__(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def __iter__(self) -> Iterator[Any]:
        yield from self.head
        for size in range(1, len(self.named) + 1):
            for combo in itertools.combinations(self.named, size):
                yield list(combo)

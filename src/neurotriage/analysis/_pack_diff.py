"""What two packs declare differently that verify relies on: red flags, risk orders, relaxing.

Texts of the pack (its title, questions, descriptions, actionable marks) are
wording changes (:mod:`._wording`). What this module compares changes what
``verify`` proves, so diff judges it: red flags that hold on fewer classes
are less safe (fewer profiles are proved to allow nothing), and so is any
change of a field's risk order or relaxing mark, since the step properties
then check that field another way or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from neurotriage.analysis._enumerate import condition_checker
from neurotriage.analysis._space import InputSpace
from neurotriage.language import Condition, fields_read
from neurotriage.pack import Pack

__all__ = ["PackChange", "pack_changes"]


@dataclass(frozen=True)
class PackChange:
    """A declaration of the pack that changed: ``item`` went from ``before`` to ``after``."""

    item: str
    before: str
    after: str
    less_safe: bool
    note: str = ""

    def __str__(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"pack {self.item}: {self.before} -> {self.after}{note}"

    def as_dict(self) -> dict[str, str | bool]:
        """The change as JSON-ready data."""
        return {
            "item": self.item,
            "before": self.before,
            "after": self.after,
            "less_safe": self.less_safe,
            "note": self.note,
        }


def _holding(space: InputSpace, condition: Condition | None) -> set[int]:
    if condition is None:
        return set()
    holds = condition_checker(condition, space.pack.fields)
    return set(space.where(holds, fields_read(condition)))


def _red_flags(old: Pack, new: Pack, space: InputSpace) -> list[PackChange]:
    if old.red_flags == new.red_flags:
        return []
    was = _holding(space, old.red_flag_condition)
    now = _holding(space, new.red_flag_condition)
    dropped = len(was - now)
    note = (
        f"{dropped:,} classes are no longer red flags"
        if dropped
        else "every class that was a red flag still is"
    )
    shown = (old.red_flags or "none", new.red_flags or "none")
    return [PackChange("red_flags", *shown, less_safe=dropped > 0, note=note)]


def pack_changes(old: Pack, new: Pack, space: InputSpace) -> tuple[PackChange, ...]:
    """Every change between ``old`` and ``new`` (same model) that changes what verify proves."""
    found = _red_flags(old, new, space)
    for name, was in old.fields.items():
        now = new.fields[name]
        if was.risk != now.risk:
            note = "monotone-risk now checks this field the other way"
            found.append(PackChange(f"field {name} risk", was.risk, now.risk, True, note))
        if was.relaxing != now.relaxing:
            note = (
                "monotone-risk no longer checks this field"
                if now.relaxing
                else "clearance-relaxes no longer checks this field"
            )
            before, after = str(was.relaxing).lower(), str(now.relaxing).lower()
            found.append(PackChange(f"field {name} relaxing", before, after, True, note))
    return tuple(found)

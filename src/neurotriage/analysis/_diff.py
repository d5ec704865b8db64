"""The semantic difference between two rule sets, class by class.

Both rule sets are enumerated over one input space that splits wherever
either could tell values apart; every class whose outcome changed is
described (verdict, techniques, referral, warnings), and classes with the
same changes are grouped and counted. A change is *less safe* when it allows
a technique or a firmer pressure, lowers the referral or the verdict, or drops
or softens a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neurotriage.analysis._budget import DIFF, Progress, check_cost
from neurotriage.analysis._enumerate import enumerate_space
from neurotriage.analysis._space import input_space
from neurotriage.decision import REFERRAL_LEVELS, SEVERITIES, VERDICTS, Outcome
from neurotriage.profile import Profile
from neurotriage.ruleset import RuleSet

__all__ = ["Change", "ChangeGroup", "RuleSetDiff", "diff"]

PRESSURES = ("light", "moderate", "firm")  # the Pressure values, gentlest first


@dataclass(frozen=True)
class Change:
    """One aspect of a decision that differs: ``aspect`` went from ``before`` to ``after``."""

    aspect: str
    before: str
    after: str
    less_safe: bool

    def __str__(self) -> str:
        mark = "  (less safe)" if self.less_safe else ""
        return f"{self.aspect}: {self.before} -> {self.after}{mark}"


@dataclass(frozen=True)
class ChangeGroup:
    """The classes whose decisions changed in the same way, with one example."""

    changes: tuple[Change, ...]
    count: int
    example: Profile

    @property
    def less_safe(self) -> bool:
        """Whether any change of the group is less safe."""
        return any(change.less_safe for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        """The group as JSON-ready data."""
        return {
            "classes": self.count,
            "less_safe": self.less_safe,
            "changes": [
                {"aspect": c.aspect, "before": c.before, "after": c.after, "less_safe": c.less_safe}
                for c in self.changes
            ],
            "example": self.example.model_dump(mode="json", exclude_defaults=True),
        }


@dataclass(frozen=True)
class RuleSetDiff:
    """Every change of decision between two rule sets over the shared input space."""

    old_version: str
    new_version: str
    space_size: int
    changed: int
    groups: tuple[ChangeGroup, ...]

    @property
    def less_safe(self) -> bool:
        """Whether any class got a less safe decision."""
        return any(group.less_safe for group in self.groups)


@dataclass(frozen=True)
class _Catalogue:
    """What a rule set says about techniques and warnings beyond their ids."""

    pressure: dict[str, str]  # technique id -> pressure ceiling
    severity: dict[str, str]  # warning code -> severity

    @classmethod
    def of(cls, rules: RuleSet) -> _Catalogue:
        return cls(
            {t.id: t.pressure_ceiling for t in rules.techniques},
            {r.warn.code: r.warn.severity for r in rules.rules if r.warn is not None},
        )


def _technique_state(outcome: Outcome, catalogue: _Catalogue, technique: str) -> str:
    if technique not in catalogue.pressure:
        return "not in the catalogue"
    return "allowed" if technique in outcome.allowed else "blocked"


def _changes(old: Outcome, new: Outcome, was: _Catalogue, now: _Catalogue) -> tuple[Change, ...]:
    changes = []
    if old.verdict != new.verdict:
        lower = VERDICTS.index(new.verdict) < VERDICTS.index(old.verdict)
        changes.append(Change("verdict", old.verdict, new.verdict, lower))
    for technique in sorted(was.pressure.keys() | now.pressure.keys()):
        before = _technique_state(old, was, technique)
        after = _technique_state(new, now, technique)
        if before != after:
            changes.append(Change(f"technique {technique}", before, after, after == "allowed"))
        elif before == "allowed" and was.pressure[technique] != now.pressure[technique]:
            higher = PRESSURES.index(now.pressure[technique]) > PRESSURES.index(
                was.pressure[technique]
            )
            changes.append(
                Change(
                    f"technique {technique} pressure ceiling",
                    was.pressure[technique],
                    now.pressure[technique],
                    higher,
                )
            )
    if old.referral != new.referral:
        lower = REFERRAL_LEVELS.index(new.referral) < REFERRAL_LEVELS.index(old.referral)
        changes.append(Change("referral", old.referral, new.referral, lower))
    for code in sorted(old.warnings & new.warnings):
        if was.severity[code] != now.severity[code]:
            milder = SEVERITIES.index(now.severity[code]) < SEVERITIES.index(was.severity[code])
            changes.append(
                Change(f"warning {code} severity", was.severity[code], now.severity[code], milder)
            )
    changes.extend(
        Change(f"warning {code}", "given", "dropped", less_safe=True)
        for code in sorted(old.warnings - new.warnings)
    )
    changes.extend(
        Change(f"warning {code}", "not given", "given", less_safe=False)
        for code in sorted(new.warnings - old.warnings)
    )
    return tuple(changes)


def diff(old: RuleSet, new: RuleSet, *, progress: Progress | None = None) -> RuleSetDiff:
    """Every class whose decision differs between ``old`` and ``new``, grouped.

    Raises :class:`SpaceTooLargeError` before doing any work if the shared
    input space is too large to compare in about a minute and 2 GB.
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, RuleSet):
            raise TypeError(
                f"{name} must be a RuleSet from load_rules(), not {type(value).__name__}"
            )
    space = input_space(old, new)
    check_cost("diff", space.size, len(old.rules) + len(new.rules), DIFF, space.fields)
    before = enumerate_space(old, space, "reference", progress=progress)
    after = enumerate_space(new, space, "reference", progress=progress)
    catalogues = _Catalogue.of(old), _Catalogue.of(new)
    memo: dict[tuple[int, int], tuple[Change, ...]] = {}
    groups: dict[tuple[Change, ...], list[int]] = {}  # changes -> [count, best known, index]
    changed = 0
    for index, key in enumerate(zip(before.outcome_ids, after.outcome_ids, strict=True)):
        changes = memo.get(key)
        if changes is None:
            changes = memo[key] = _changes(
                before.outcomes[key[0]], after.outcomes[key[1]], *catalogues
            )
        if not changes:
            continue
        changed += 1
        group = groups.get(changes)
        if group is None:
            groups[changes] = [1, space.known_count(index), index]
            continue
        group[0] += 1
        known = space.known_count(index)
        if known < group[1]:
            group[1:] = [known, index]
    ordered = sorted(
        groups.items(), key=lambda item: (not any(c.less_safe for c in item[0]), -item[1][0])
    )
    return RuleSetDiff(
        old.version,
        new.version,
        space.size,
        changed,
        tuple(
            ChangeGroup(changes, count, space.profile_at(index))
            for changes, (count, _, index) in ordered
        ),
    )

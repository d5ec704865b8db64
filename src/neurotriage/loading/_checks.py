"""Checks shared by the rules and the invariants of a rule set: ids that must exist."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from neurotriage.loading._files import Collector, FileResult
from neurotriage.loading._yaml import LocatedDict
from neurotriage.ruleset import Technique

__all__ = ["check_techniques", "suggest"]


def suggest(name: str, known: Iterable[str]) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def check_techniques(
    collector: Collector,
    result: FileResult,
    raw: LocatedDict,
    key: str,
    ids: list[str] | None,
    *,
    techniques: dict[str, Technique],
    item_id: str,
) -> None:
    """Report every id of the validated list ``ids`` (under ``key``) that is not catalogued."""
    for index, technique in enumerate(ids or ()):
        if technique not in techniques:
            suggestion = suggest(technique, techniques)
            collector.add(
                result,
                f"unknown technique '{technique}' in '{key}'{suggestion}",
                mark=raw[key].item_marks[index],
                rule_id=item_id,
            )

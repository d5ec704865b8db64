"""Reading rule files: YAML with locations, schema validation, located problems.

A :class:`Collector` gathers every problem of a load with its file, id, line
and column; the loader raises them together as one :class:`RuleError`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from neurotriage._errors import RuleProblem
from neurotriage.fields import FieldSpec
from neurotriage.language import Condition, ConditionError, parse_condition
from neurotriage.loading._schema import (
    ITEM_MODELS,
    FileSpec,
    InvariantSpec,
    RuleSpec,
    Spec,
    TechniqueSpec,
    TherapySpec,
)
from neurotriage.loading._sources import Unreadable, read_rule_text
from neurotriage.loading._yaml import LocatedDict, Mark, YamlProblem, load_located, locate

__all__ = [
    "Collector",
    "FileResult",
    "parse_when",
    "read_file",
    "read_located",
    "validate_spec",
]


@dataclass
class FileResult:
    path: str  # as messages show it
    lines: list[str]
    name: bytes = b""  # the file's name on disk, for the rule set's digest
    data: Any = None
    version: str | None = None
    rules: list[tuple[RuleSpec, LocatedDict]] = field(default_factory=list)
    techniques: list[tuple[TechniqueSpec, LocatedDict]] = field(default_factory=list)
    therapies: list[tuple[TherapySpec, LocatedDict]] = field(default_factory=list)
    invariants: list[tuple[InvariantSpec, LocatedDict]] = field(default_factory=list)
    salvaged: set[int] = field(default_factory=set)  # ids of items checked without faulty keys


class Collector:
    """Accumulates problems with their locations."""

    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []

    def add(
        self,
        result: FileResult,
        message: str,
        *,
        mark: Mark | None = None,
        rule_id: str | None = None,
        column: int | None = None,
    ) -> None:
        line = mark.line if mark else None
        col = column if column is not None else (mark.column if mark else None)
        source_line = None
        if line is not None and 0 < line <= len(result.lines):
            source_line = result.lines[line - 1]
        self.problems.append(RuleProblem(result.path, message, rule_id, line, col, source_line))


def _pydantic_message(error: ErrorDetails, model: type[BaseModel]) -> str:
    loc = [str(part) for part in error["loc"]]
    where = ".".join(loc) if loc else "item"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = list(model.model_fields)
        hint = difflib.get_close_matches(loc[-1], allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{where}'{suggestion}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"missing key '{where}'"
    if kind == "string_pattern_mismatch":
        return f"'{where}' must be lower-case letters, digits, '-' or '_', starting with a letter"
    return f"'{where}': {error['msg']}"


def validate_spec(
    collector: Collector,
    result: FileResult,
    model: type[Spec],
    data: Any,
    *,
    prefix: tuple[str | int, ...],
    rule_id: str | None = None,
    subject: str | None = None,
) -> Any:
    """``data`` validated by ``model``, or None with each problem reported at its place.

    ``prefix`` is where ``data`` sits in the file; ``subject`` (if given)
    starts each message, to say what the keys belong to.
    """
    try:
        return model.model_validate(data)
    except ValidationError as err:
        seen: set[tuple[Any, ...]] = set()
        for raw_error in err.errors():
            error = raw_error
            loc = tuple(error["loc"])
            if loc[:1] == ("block",):
                # the union reports one error per member; one plain message is clearer
                loc = ("block",)
                error = {**error, "loc": loc, "msg": "must be 'all' or a list of technique ids"}
            if loc in seen:
                continue
            seen.add(loc)
            unknown_key = error["type"] == "extra_forbidden"
            mark = locate(result.data, prefix + loc, key=unknown_key)
            message = _pydantic_message(error, model)
            if subject is not None:
                message = f"{subject}: {message}"
            collector.add(result, message, mark=mark, rule_id=rule_id)
        return None


def _salvage(model: type[Spec], item: dict[str, Any]) -> Any:
    """The item validated without its faulty keys, or None.

    Its problems are already reported; salvaging what is sound lets the later
    checks (the condition, technique ids, duplicate ids) report theirs in the
    same load, so one run lists every problem.
    """
    usable = {k: v for k, v in item.items() if k in model.model_fields}
    while True:
        try:
            return model.model_validate(usable)
        except ValidationError as err:
            faulty = {e["loc"][0] for e in err.errors() if e["loc"] and e["loc"][0] in usable}
            if not faulty or faulty & {"id", "when"}:
                return None
            usable = {k: v for k, v in usable.items() if k not in faulty}


def read_located(collector: Collector, path: Path, shown: str, *, what: str) -> FileResult | None:
    """The YAML mapping in the file at ``path``, with marks; None if it is unusable.

    ``what`` says what the mapping must hold, for the message when it is not one.
    """
    try:
        text = read_rule_text(path)
    except Unreadable as err:
        mark = Mark(err.line, err.column) if err.line is not None and err.column else None
        collector.add(FileResult(shown, err.lines), err.message, mark=mark)
        return None
    result = FileResult(shown, text.splitlines(), os.fsencode(path.name))
    try:
        result.data = load_located(text)
    except YamlProblem as err:
        mark = Mark(err.line, err.column) if err.line is not None and err.column else None
        collector.add(result, f"YAML syntax error: {err.message}", mark=mark)
        return None
    if not isinstance(result.data, LocatedDict):
        collector.add(result, what)
        return None
    return result


def read_file(collector: Collector, path: Path, shown: str) -> FileResult | None:
    """The rule file at ``path`` read and checked, reported as ``shown``; None if unusable."""
    result = read_located(
        collector,
        path,
        shown,
        what="a rule file must be a mapping with 'rules:', 'techniques:', 'therapies:' "
        "or 'invariants:'",
    )
    if result is None:
        return None
    spec = validate_spec(collector, result, FileSpec, result.data, prefix=())
    if spec is None:
        return None
    result.version = spec.version
    for key, model in ITEM_MODELS.items():
        for index, item in enumerate(result.data.get(key, [])):
            item_id = item.get("id") if isinstance(item, dict) else None
            named = key in ("rules", "invariants") and isinstance(item_id, str)
            rule_id = item_id if named else None
            parsed = validate_spec(
                collector, result, model, item, prefix=(key, index), rule_id=rule_id
            )
            if parsed is None and isinstance(item, dict):
                parsed = _salvage(model, item)
                result.salvaged.add(id(item))
            if parsed is not None:
                getattr(result, key).append((parsed, item))
    return result


def condition_position(mark: Mark, value: str, offset: int, lines: list[str]) -> tuple[int, int]:
    """The file line and column of character ``offset`` of a ``when`` value.

    YAML may have folded, re-indented or unescaped the value, but it never
    changes its non-blank characters' order: walk the value and the file side
    by side, matching non-blank characters, until ``offset`` is reached.
    """
    block = mark.style in ("|", ">")
    line = mark.line + 1 if block else mark.line
    column = 1 if block else mark.column + (1 if mark.style in ('"', "'") else 0)
    found = (mark.line, mark.column)
    for index, char in enumerate(value):
        if char.isspace():
            continue
        while line <= len(lines):
            text = lines[line - 1]
            if column > len(text):
                line, column = line + 1, 1
            elif text[column - 1] == char:
                break
            else:
                column += 1  # blanks, indentation, escape characters
        if line > len(lines):
            return found
        found = (line, column)
        if index >= offset:
            return found
        column += 1
    return found[0], found[1] + 1  # just past the end of the condition


def parse_when(
    collector: Collector,
    result: FileResult,
    text: str,
    mark: Mark,
    item_id: str | None,
    *,
    fields: Mapping[str, FieldSpec],
    key: str = "when",
) -> Condition | None:
    """Parse a condition (under ``key``), reporting each problem at its place in the file."""
    try:
        return parse_condition(text, fields)
    except ConditionError as err:
        for problem in err.problems:
            line, column = condition_position(mark, text, problem.column, result.lines)
            collector.add(
                result, f"in '{key}': {problem.message}", mark=Mark(line, column), rule_id=item_id
            )
        return None

"""Load rule files: schema validation, condition checks, cross-file checks.

Every problem in a load is collected (with file, rule id, line and column) and
raised together as one :class:`RuleError`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from neurotriage._errors import RuleError, RuleProblem
from neurotriage._schema import (
    ITEM_MODELS,
    FileSpec,
    RuleSpec,
    SourceSpec,
    Spec,
    TechniqueSpec,
    TherapySpec,
)
from neurotriage._yaml import LocatedDict, Mark, YamlProblem, load_located, locate
from neurotriage.language import ConditionError, Contains, parse_condition, walk
from neurotriage.profile import field_specs
from neurotriage.ruleset import Rule, RuleSet, Source, Technique, Therapy, WarningSpec

__all__ = ["default_rules", "load_rules"]


@dataclass
class _FileResult:
    path: str
    lines: list[str]
    data: Any = None
    version: str | None = None
    rules: list[tuple[RuleSpec, LocatedDict]] = field(default_factory=list)
    techniques: list[tuple[TechniqueSpec, LocatedDict]] = field(default_factory=list)
    therapies: list[tuple[TherapySpec, LocatedDict]] = field(default_factory=list)
    salvaged: set[int] = field(default_factory=set)  # ids of items checked without faulty keys


class _Collector:
    """Accumulates problems with their locations."""

    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []

    def add(
        self,
        result: _FileResult,
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


def _validate(
    collector: _Collector,
    result: _FileResult,
    model: type[Spec],
    data: Any,
    *,
    prefix: tuple[str | int, ...],
    rule_id: str | None = None,
) -> Any:
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
            collector.add(result, _pydantic_message(error, model), mark=mark, rule_id=rule_id)
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


def _read_file(collector: _Collector, path: Path, shown: str) -> _FileResult | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        collector.add(_FileResult(shown, []), f"cannot read the file: {err}")
        return None
    result = _FileResult(shown, text.splitlines())
    try:
        result.data = load_located(text)
    except YamlProblem as err:
        mark = Mark(err.line, err.column) if err.line is not None and err.column else None
        collector.add(result, f"YAML syntax error: {err.message}", mark=mark)
        return None
    if not isinstance(result.data, LocatedDict):
        collector.add(
            result, "a rule file must be a mapping with 'rules:', 'techniques:' or 'therapies:'"
        )
        return None
    spec = _validate(collector, result, FileSpec, result.data, prefix=())
    if spec is None:
        return None
    result.version = spec.version
    for key, model in ITEM_MODELS.items():
        for index, item in enumerate(result.data.get(key, [])):
            item_id = item.get("id") if isinstance(item, dict) else None
            rule_id = item_id if key == "rules" and isinstance(item_id, str) else None
            parsed = _validate(collector, result, model, item, prefix=(key, index), rule_id=rule_id)
            if parsed is None and isinstance(item, dict):
                parsed = _salvage(model, item)
                result.salvaged.add(id(item))
            if parsed is not None:
                getattr(result, key).append((parsed, item))
    return result


def _source(spec: SourceSpec | None) -> Source | None:
    return Source(spec.document, spec.section) if spec else None


def _condition_position(mark: Mark, value: str, offset: int, lines: list[str]) -> tuple[int, int]:
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


def _catalogue(
    collector: _Collector, files: list[_FileResult]
) -> tuple[dict[str, Technique], dict[str, Therapy]]:
    techniques: dict[str, Technique] = {}
    therapies: dict[str, Therapy] = {}
    for result in files:
        for tech, raw in result.techniques:
            if tech.id in techniques:
                collector.add(result, f"duplicate technique id '{tech.id}'", mark=raw.mark)
            techniques[tech.id] = Technique(
                tech.id,
                tech.name,
                tech.area,
                tech.how_to,
                tech.pressure_ceiling,
                _source(tech.source),
            )
        for therapy, raw in result.therapies:
            if therapy.id in therapies:
                collector.add(result, f"duplicate therapy id '{therapy.id}'", mark=raw.mark)
            therapies[therapy.id] = Therapy(
                therapy.id, therapy.name, therapy.description, therapy.note, _source(therapy.source)
            )
    if files and not techniques and not collector.problems:
        collector.add(files[0], "the rule set has no technique catalogue ('techniques:')")
    return techniques, therapies


def _build(collector: _Collector, files: list[_FileResult]) -> RuleSet | None:
    specs = field_specs()
    techniques, therapies = _catalogue(collector, files)

    rules: list[Rule] = []
    first_seen: dict[str, tuple[str, int]] = {}
    warn_codes: dict[str, tuple[WarningSpec, str]] = {}
    membership: set[tuple[str, str]] = set()
    for result in files:
        for spec, raw in result.rules:
            rule = _build_rule(collector, result, spec, raw, techniques=techniques, specs=specs)
            if spec.id in first_seen:
                where = "{}:{}".format(*first_seen[spec.id])
                collector.add(
                    result,
                    f"duplicate rule id (first defined at {where})",
                    mark=raw.mark,
                    rule_id=spec.id,
                )
                continue
            first_seen[spec.id] = (result.path, raw.mark.line)
            if rule is None:
                continue
            if rule.warn is not None:
                known = warn_codes.setdefault(rule.warn.code, (rule.warn, rule.id))
                if known[0] != rule.warn:
                    collector.add(
                        result,
                        f"warning code '{rule.warn.code}' is also used by rule '{known[1]}' "
                        "with another severity or message; one code, one warning",
                        mark=raw.value_marks.get("warn"),
                        rule_id=rule.id,
                    )
            rules.append(rule)
            _count_membership_tests(collector, result, raw, rule, membership)

    declared = [r for r in files if r.version is not None]
    versions = sorted({r.version for r in declared if r.version is not None})
    for other in declared[1:]:
        if other.version != declared[0].version:
            collector.add(
                other,
                f"version '{other.version}' differs from '{declared[0].version}' "
                f"declared in {declared[0].path}; declare one version for the rule set",
                mark=other.data.value_marks["version"],
            )
    if collector.problems:
        return None
    digest = hashlib.sha256()
    for result in sorted(files, key=lambda r: os.path.basename(r.path)):
        digest.update(os.path.basename(result.path).encode() + b"\0")
        digest.update("\n".join(result.lines).encode() + b"\0")
    version = f"{versions[0] if versions else '0'}+{digest.hexdigest()[:12]}"
    return RuleSet(tuple(techniques.values()), tuple(therapies.values()), tuple(rules), version)


#: At most this many different ``"name" in other_conditions`` tests in a rule
#: set. durable-rules matches one fact per profile and, measured on 2.0.28,
#: refuses a fact with more than about 250 properties; each such test is one.
MAX_MEMBERSHIP_TESTS = 128


def _count_membership_tests(
    collector: _Collector,
    result: _FileResult,
    raw: LocatedDict,
    rule: Rule,
    seen: set[tuple[str, str]],
) -> None:
    """Add ``rule``'s membership tests to ``seen``; report the rule that passes the limit."""
    before = len(seen)
    seen.update((n.field, n.value) for n in walk(rule.condition) if isinstance(n, Contains))
    if before <= MAX_MEMBERSHIP_TESTS < len(seen):
        collector.add(
            result,
            f"the rule set tests more than {MAX_MEMBERSHIP_TESTS} different names with "
            "'\"name\" in FIELD' (this rule brings it to "
            f"{len(seen)}); test fewer names",
            mark=raw.mark,
            rule_id=rule.id,
        )


def _build_rule(
    collector: _Collector,
    result: _FileResult,
    spec: RuleSpec,
    raw: LocatedDict,
    *,
    techniques: dict[str, Technique],
    specs: Any,
) -> Rule | None:
    before = len(collector.problems)
    when_mark = raw.value_marks["when"]
    condition = None
    try:
        condition = parse_condition(spec.when, specs)
    except ConditionError as err:
        for problem in err.problems:
            line, column = _condition_position(when_mark, spec.when, problem.column, result.lines)
            collector.add(
                result, f"in 'when': {problem.message}", mark=Mark(line, column), rule_id=spec.id
            )
    if spec.block == "all":
        block = frozenset(techniques)
    else:
        block = frozenset(spec.block or ())
        for index, technique in enumerate(spec.block or ()):
            if technique not in techniques:
                hint = difflib.get_close_matches(technique, list(techniques), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                collector.add(
                    result,
                    f"unknown technique '{technique}' in 'block'{suggestion}",
                    mark=raw["block"].item_marks[index],
                    rule_id=spec.id,
                )
    for index, name in enumerate(spec.ask):
        if name not in specs:
            collector.add(
                result,
                f"'ask' names '{name}', which is not a Profile field",
                mark=raw["ask"].item_marks[index],
                rule_id=spec.id,
            )
    salvaged = id(raw) in result.salvaged
    refers = spec.refer not in (None, "none")
    decides = spec.verdict not in (None, "proceed")  # proceed is already the floor
    if not salvaged and not (spec.block or refers or spec.warn or spec.ask or decides):
        collector.add(
            result,
            "the rule has no effect; give it block, refer, warn, ask or verdict "
            "('refer: none' and 'verdict: proceed' change nothing)",
            mark=raw.mark,
            rule_id=spec.id,
        )
    if condition is None or len(collector.problems) > before:
        return None
    warn = WarningSpec(spec.warn.code, spec.warn.severity, spec.warn.message) if spec.warn else None
    return Rule(
        id=spec.id,
        description=spec.description,
        when=spec.when,
        condition=condition,
        block=block,
        refer=spec.refer,
        warn=warn,
        ask=tuple(spec.ask),
        verdict=spec.verdict,
        source=_source(spec.source),
        file=result.path,
        line=raw.mark.line,
    )


def _rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_rules(path: str | os.PathLike[str]) -> RuleSet:
    """Load and validate a rule set from a YAML file or a directory of them.

    Raises :class:`RuleError` listing every problem found, each with its file,
    rule id, line and column.
    """
    root = Path(path)
    collector = _Collector()
    if not root.exists():
        raise RuleError([RuleProblem(str(root), "no such file or directory")])
    paths = _rule_files(root)
    if not paths:
        raise RuleError([RuleProblem(str(root), "the directory holds no .yaml or .yml rule files")])
    shown = {p: str(p) if p == root else str(root / p.name) for p in paths}
    files = [r for p in paths if (r := _read_file(collector, p, shown[p])) is not None]
    ruleset = _build(collector, files)
    if collector.problems or ruleset is None:
        ordered = sorted(collector.problems, key=lambda p: (p.file, p.line or 0, p.column or 0))
        raise RuleError(ordered)
    return ruleset


def _default_rules_dir() -> Path:
    packaged = resources.files("neurotriage") / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    # a source checkout or editable install: the rules sit at the project root
    return Path(__file__).resolve().parents[2] / "rules"


@functools.cache
def default_rules() -> RuleSet:
    """The built-in rule set, loaded once per process."""
    return load_rules(_default_rules_dir())

"""Load rule files: schema validation, condition checks, cross-file checks.

Every problem in a load is collected (with file, rule id, line and column) and
raised together as one :class:`RuleError`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import NoReturn

from pydantic import BaseModel

from neurotriage._errors import RuleError
from neurotriage.engines.durable import check_capacity
from neurotriage.fields import FieldSpec
from neurotriage.loading._checks import check_techniques, suggest
from neurotriage.loading._files import (
    Collector,
    FileResult,
    condition_position,
    parse_when,
    read_file,
)
from neurotriage.loading._invariants import build_invariants, source
from neurotriage.loading._pack import check_model, model_pack, read_pack
from neurotriage.loading._proved import refuse_unproved
from neurotriage.loading._schema import RuleSpec
from neurotriage.loading._sources import find_rule_files, shown_path
from neurotriage.loading._yaml import LocatedDict, Mark
from neurotriage.pack import PROFILE_PACK, Pack
from neurotriage.ruleset import (
    Rule,
    RuleSet,
    Technique,
    Therapy,
    WarningSpec,
)

__all__ = ["BUILTIN_PACKS", "builtin_pack_dir", "default_rules", "default_rules_dir", "load_rules"]


def _catalogue(
    collector: Collector, files: list[FileResult]
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
                source(tech.source),
                result.path,
                raw.mark.line,
            )
        for therapy, raw in result.therapies:
            if therapy.id in therapies:
                collector.add(result, f"duplicate therapy id '{therapy.id}'", mark=raw.mark)
            therapies[therapy.id] = Therapy(
                therapy.id,
                therapy.name,
                therapy.description,
                therapy.note,
                source(therapy.source),
                result.path,
                raw.mark.line,
            )
    if files and not techniques and not collector.problems:
        collector.add(files[0], "the rule set has no technique catalogue ('techniques:')")
    return techniques, therapies


def _build(
    collector: Collector, files: list[FileResult], pack: Pack, pack_file: FileResult | None
) -> RuleSet | None:
    specs = pack.fields
    techniques, therapies = _catalogue(collector, files)

    rules: list[Rule] = []
    first_seen: dict[str, tuple[str, int]] = {}
    warn_codes: dict[str, tuple[WarningSpec, str]] = {}
    located: dict[str, tuple[FileResult, LocatedDict]] = {}
    for result in files:
        for spec, raw in result.rules:
            rule = _build_rule(
                collector, result, spec, raw, techniques=techniques, specs=specs, pack=pack
            )
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
            located[rule.id] = (result, raw)
    _check_capacity(collector, rules, located, specs)

    invariants = build_invariants(collector, files, techniques, rules, specs)
    declared = [r for r in files if r.version is not None]
    if pack_file is not None:  # pack.yaml's version is the pack's: the rule files agree with it
        declared.insert(0, dataclasses.replace(pack_file, version=pack.version))
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
    read = sorted(files, key=lambda r: r.name)  # names as bytes: any name is hashable
    for result in read if pack_file is None else [pack_file, *read]:
        digest.update(result.name + b"\0")
        digest.update("\n".join(result.lines).encode() + b"\0")
    declared_version = versions[0] if versions else (pack.version if pack_file else "0")
    return RuleSet(
        tuple(techniques.values()),
        tuple(therapies.values()),
        tuple(rules),
        f"{declared_version}+{digest.hexdigest()[:12]}",
        tuple(invariants),
        pack,
    )


def _check_capacity(
    collector: Collector,
    rules: list[Rule],
    located: dict[str, tuple[FileResult, LocatedDict]],
    specs: Mapping[str, FieldSpec],
) -> None:
    """Report every rule that takes the rule set past a durable-rules limit.

    Checked for every rule set, whether durable-rules imports here or not: a
    rule set that loads must run on every backend, wherever it is deployed.
    """
    for problem in check_capacity(rules, specs):
        result, raw = located[problem.rule_id]
        mark = raw.mark
        if problem.in_condition:
            when = raw.value_marks["when"]
            line, column = condition_position(when, raw["when"], 0, result.lines)
            mark = Mark(line, column)
        collector.add(result, problem.message, mark=mark, rule_id=problem.rule_id)


def _build_rule(
    collector: Collector,
    result: FileResult,
    spec: RuleSpec,
    raw: LocatedDict,
    *,
    techniques: dict[str, Technique],
    specs: Mapping[str, FieldSpec],
    pack: Pack,
) -> Rule | None:
    before = len(collector.problems)
    when = raw.value_marks["when"]
    condition = parse_when(collector, result, spec.when, when, spec.id, fields=specs)
    if spec.block == "all":
        block = frozenset(techniques)
    else:
        block = frozenset(spec.block or ())
        check_techniques(
            collector,
            result,
            raw,
            "block",
            spec.block,
            techniques=techniques,
            item_id=spec.id,
        )
    for index, name in enumerate(spec.ask):
        if name not in specs:
            collector.add(
                result,
                f"'ask' names '{name}', which is not a field of {pack.model.__name__}"
                f"{suggest(name, specs)}",
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
    warn = (
        WarningSpec(spec.warn.code, spec.warn.severity, spec.warn.message, spec.warn.advice)
        if spec.warn
        else None
    )
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
        source=source(spec.source),
        file=result.path,
        line=raw.mark.line,
    )


def load_rules(
    path: str | os.PathLike[str], *, model: type[BaseModel] | None = None, verify: bool = True
) -> RuleSet:
    """Load and validate a rule pack: a YAML file, or a directory of them with its ``pack.yaml``.

    A directory's ``pack.yaml`` declares the pack: its id, version, title,
    input fields and red flags (see docs/writing-a-pack.md). Without one,
    the pack reads the built-in :class:`~neurotriage.Profile`. ``model``
    brings an app's own pydantic model instead (frozen, ``extra="forbid"``,
    strict; each field a bool, a bounded int, a ``Literal`` of text or a
    list of text, with a default); the semantics of its fields come from
    ``pack.yaml``'s ``fields`` when it gives them, else from each field's
    ``json_schema_extra`` (``risk``, ``relaxing``, ``actionable``,
    ``question``).

    Before it returns, the pack's built-in safety properties and its
    invariants are proved (see docs/verification.md); the proof is kept, by
    the pack's content, for the next load. A pack that fails one is refused
    with :class:`~neurotriage.ProofError` (a RuleError) naming the property
    and its smallest counterexample; a proof over its time budget raises
    :class:`~neurotriage.UndecidedError`. ``verify=False`` skips the proof:
    the rule set, and every Decision made from it, then says
    ``verified=False``.

    Raises :class:`RuleError` listing every problem found, each with its file,
    rule id, line and column; TypeError naming the field if ``model`` is not
    one rules can read.
    """
    if model is not None:
        check_model(model)
    root = Path(path)
    paths, refused, pack_path = find_rule_files(root)
    collector = Collector()
    collector.problems.extend(refused)
    read = read_pack(collector, pack_path, model=model) if pack_path is not None else None
    if pack_path is not None and read is None:
        _raise(collector)
    pack_file = None
    if read is not None:
        pack, pack_file = read
    else:
        pack = model_pack(model) if model is not None else PROFILE_PACK
    files = [r for p in paths if (r := read_file(collector, p, shown_path(p))) is not None]
    ruleset = _build(collector, files, pack, pack_file)
    if collector.problems or ruleset is None:
        _raise(collector)
    if not verify:
        return dataclasses.replace(ruleset, verified=False)
    refuse_unproved(ruleset, shown_path(root))
    return ruleset


def _raise(collector: Collector) -> NoReturn:
    ordered = sorted(collector.problems, key=lambda p: (p.file, p.line or 0, p.column or 0))
    raise RuleError(ordered)


#: The built-in packs, by id: each one's directory, relative to where the packs are shipped
#: (the package in a wheel, the project root in a source checkout).
BUILTIN_PACKS = {
    "foot-massage-for-neuropathy": "rules",
    "neuropathy-foot-care": "packs/neuropathy-foot-care",
}
#: The pack ``default_rules()`` gives without a name.
DEFAULT_PACK = "foot-massage-for-neuropathy"


def _packs_root() -> Path:
    packaged = resources.files("neurotriage")
    if (packaged / "rules").is_dir():  # installed from a wheel: the packs are inside the package
        return Path(str(packaged))
    # a source checkout or editable install: the packs sit at the project root
    return Path(__file__).resolve().parents[3]


def builtin_pack_dir(name: str) -> Path:
    """The directory of the built-in pack ``name``.

    ValueError names the built-in packs if there is none called ``name``.
    """
    if name not in BUILTIN_PACKS:
        known = ", ".join(sorted(BUILTIN_PACKS))
        raise ValueError(f"there is no built-in pack '{name}'; the built-in packs are: {known}")
    return _packs_root() / BUILTIN_PACKS[name]


def default_rules_dir() -> Path:
    """The directory of the default built-in pack (``foot-massage-for-neuropathy``)."""
    return builtin_pack_dir(DEFAULT_PACK)


def default_rules(name: str | None = None) -> RuleSet:
    """The built-in rule set (or the built-in pack ``name``), loaded once per process.

    ValueError names the built-in packs if there is none called ``name``.
    """
    directory = builtin_pack_dir(name or DEFAULT_PACK)  # raises for an unknown name
    return _builtin(directory)


@functools.cache
def _builtin(directory: Path) -> RuleSet:
    return load_rules(directory)

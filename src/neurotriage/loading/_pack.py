"""``pack.yaml``: a pack's identity, its input model and its red flags, with located errors.

Each declared field becomes a :class:`~neurotriage.fields.FieldSpec`, and the
specs become the pack's pydantic model (:func:`~neurotriage.fields.build_model`).
A declaration equal to the built-in :class:`~neurotriage.Profile`'s fields
uses ``Profile`` itself. An app may bring its own model instead
(``load_rules(path, model=...)``); ``pack.yaml`` then still gives the
pack's identity and red flags, and its ``fields`` (if given) the semantics,
which must describe exactly the model's fields.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from neurotriage.fields import FieldSpec, build_model, field_name_problem, specs_of
from neurotriage.loading._files import (
    Collector,
    FileResult,
    parse_when,
    read_located,
    validate_spec,
)
from neurotriage.loading._schema import FieldDecl, PackSpec
from neurotriage.loading._sources import shown_path
from neurotriage.loading._yaml import LocatedDict, Mark, locate
from neurotriage.pack import PROFILE_PACK, Pack
from neurotriage.profile import MAX_CONDITIONS, Profile

__all__ = ["check_model", "model_pack", "read_pack"]

#: Keys that only some field types take, and which types.
_ONLY_FOR = {
    "min": ("int",),
    "max": ("int",),
    "values": ("enum",),
    "max_items": ("list",),
    "relaxing": ("bool",),
}


def _add(collector: Collector, result: FileResult, message: str, mark: Mark | None) -> None:
    collector.add(result, message, mark=mark)


def _domain_problems(decl: FieldDecl) -> list[tuple[str, str | None]]:
    """What is wrong with a declared field's type, bounds, values and default (and where)."""
    default = decl.default
    if decl.type == "bool" and default is not None and not isinstance(default, bool):
        return [(f"the default of a bool field must be true or false, not {default!r}", "default")]
    if decl.type == "int":
        low, high = decl.min, decl.max
        if low is None or high is None:
            return [("an int field needs both 'min' and 'max'", None)]
        if low > high:
            return [(f"'min' ({low}) is above 'max' ({high})", "min")]
        whole = isinstance(default, int) and not isinstance(default, bool)
        if default is not None and not (whole and low <= default <= high):  # type: ignore[operator]
            return [(f"the default must be a whole number from {low} to {high}", "default")]
    if decl.type == "enum":
        values = decl.values or []
        if len(values) < 2:
            return [
                ("an enum field needs 'values': at least two, in rising order of risk", "values")
            ]
        if len(set(values)) != len(values):
            return [("the values of an enum field must all differ", "values")]
        if default is not None and default not in values:
            return [(f"the default {default!r} is not one of the values", "default")]
    if decl.type == "list" and default not in (None, []):
        return [("the default of a list field must be [] (or left out: unknown)", "default")]
    if decl.relaxing and decl.type == "bool" and default is None:
        return [("a relaxing field needs a default (false: not yet relaxed)", "relaxing")]
    return []


def _field_spec(
    collector: Collector, result: FileResult, name: str, decl: FieldDecl, given: frozenset[str]
) -> FieldSpec | None:
    """One declared field as a FieldSpec; every problem reported at its key."""
    problems: list[tuple[str, str | None]] = [
        (f"'{key}' applies to {' and '.join(kinds)} fields, not to a {decl.type}", key)
        for key, kinds in _ONLY_FOR.items()
        if key in given and decl.type not in kinds and getattr(decl, key) not in (None, False)
    ]
    problems += _domain_problems(decl)
    for message, key in problems:
        path = ("fields", name, key) if key else ("fields", name)
        _add(collector, result, f"field '{name}': {message}", locate(result.data, path))
    if problems:
        return None
    default = decl.default
    return FieldSpec(
        name,
        decl.type,
        nullable=default is None,
        default=default,
        values=tuple(decl.values or ()) if decl.type == "enum" else (),
        low=decl.min if decl.type == "int" else None,
        high=decl.max if decl.type == "int" else None,
        relaxing=decl.relaxing,
        question=decl.question or "",
        actionable=decl.actionable,
        risk=decl.risk,
        max_items=(decl.max_items or MAX_CONDITIONS) if decl.type == "list" else None,
        description=decl.description or "",
    )


def _declared(
    collector: Collector, result: FileResult, fields: dict[str, Any]
) -> dict[str, FieldSpec] | None:
    before = len(collector.problems)
    specs: dict[str, FieldSpec] = {}
    raw = result.data["fields"]
    if not fields:
        _add(collector, result, "'fields' is empty; declare at least one field", raw.mark)
    for name, item in fields.items():
        key_mark = raw.key_marks.get(name) if isinstance(raw, LocatedDict) else None
        problem = field_name_problem(name)
        if problem is not None:
            _add(collector, result, f"field '{name}': {problem}", key_mark)
            continue
        if not isinstance(item, dict):
            message = f"field '{name}' must be a mapping, e.g. {{type: bool}}"
            _add(collector, result, message, locate(result.data, ("fields", name)))
            continue
        decl = validate_spec(
            collector, result, FieldDecl, item, prefix=("fields", name), subject=f"field '{name}'"
        )
        if decl is not None:
            spec = _field_spec(collector, result, name, decl, frozenset(item))
            if spec is not None:
                specs[name] = spec
    return specs if len(collector.problems) == before else None


def _without_action(spec: FieldSpec) -> FieldSpec:
    return dataclasses.replace(spec, action="")


def _class_name(pack_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", pack_id) if part) + "Profile"


def _shown(spec: FieldSpec) -> str:
    if spec.kind == "int":
        kind = f"int {spec.low}..{spec.high}"
    elif spec.kind == "enum":
        kind = "enum of " + ", ".join(spec.values)
    elif spec.kind == "list":
        kind = f"list of at most {spec.max_items}"
    else:
        kind = "bool"
    return f"{kind}, " + ("may be unknown" if spec.nullable else f"default {spec.default!r}")


def _checked_model(
    collector: Collector,
    result: FileResult,
    model: type[BaseModel],
    declared: Mapping[str, FieldSpec],
) -> None:
    """Report every declared field that does not describe ``model``'s field exactly."""
    own = specs_of(model)
    where = result.data.value_marks.get("fields")
    for name, spec in declared.items():
        theirs = own.get(name)
        mark = locate(result.data, ("fields", name))
        if theirs is None:
            message = f"field '{name}': {model.__name__} has no such field"
            _add(collector, result, message, mark)
        elif theirs.domain != spec.domain:
            message = (
                f"field '{name}': {model.__name__} has it as {_shown(theirs)}, "
                f"pack.yaml declares {_shown(spec)}"
            )
            _add(collector, result, message, mark)
    missing = [name for name in own if name not in declared]
    if missing:
        message = f"'fields' leaves out {model.__name__}'s fields {', '.join(missing)}"
        _add(collector, result, message, where)


def _model_of(
    pack_id: str, model: type[BaseModel] | None, declared: Mapping[str, FieldSpec] | None
) -> tuple[type[BaseModel], Mapping[str, FieldSpec] | None]:
    """The pack's model, and the declared semantics it needs beside it (None: it carries them)."""
    if model is not None:
        return model, declared
    if declared is None:  # pragma: no cover - read_pack refuses a pack without fields first
        raise ValueError("a pack without a model declares its fields")
    profile = {name: _without_action(s) for name, s in specs_of(Profile).items()}
    if {name: _without_action(s) for name, s in declared.items()} == profile:
        return Profile, None  # exactly today's Profile: use it, its wording of actions included
    return build_model(_class_name(pack_id), list(declared.values())), None


def read_pack(
    collector: Collector, path: Path, *, model: type[BaseModel] | None = None
) -> tuple[Pack, FileResult] | None:
    """The pack ``path`` (a ``pack.yaml``) declares, and the file read; None if unusable."""
    result = read_located(
        collector,
        path,
        shown_path(path),
        what="pack.yaml must be a mapping with 'id', 'version', 'title', 'fields' and 'red_flags'",
    )
    if result is None:
        return None
    before = len(collector.problems)
    spec: PackSpec | None = validate_spec(collector, result, PackSpec, result.data, prefix=())
    if spec is None:
        if isinstance(result.data.get("fields"), dict):  # report the fields' problems too
            _declared(collector, result, result.data["fields"])
        return None
    declared: Mapping[str, FieldSpec] | None = None
    if spec.fields is not None:
        declared = _declared(collector, result, spec.fields)
        if declared is None:
            return None
    elif model is None:
        message = "pack.yaml declares no 'fields' (the pack's input model); give them"
        _add(collector, result, message, result.data.mark)
        return None
    if model is not None and declared is not None:
        _checked_model(collector, result, model, declared)
    chosen, declared = _model_of(spec.id, model, declared)
    fields = declared if declared is not None else specs_of(chosen)
    if spec.red_flags is not None:
        mark = result.data.value_marks["red_flags"]
        condition = parse_when(
            collector, result, spec.red_flags, mark, None, fields=fields, key="red_flags"
        )
        if condition is None:
            return None
    if len(collector.problems) > before:
        return None
    pack = Pack(
        spec.id,
        spec.version,
        spec.title,
        chosen,
        red_flags=spec.red_flags,
        url=spec.url,
        file=result.path,
        declared=declared,
    )
    return pack, result


def check_model(model: object) -> None:
    """Raise TypeError unless ``model`` is a pydantic model rules can read, as strict as Profile."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"model must be a pydantic model class, not {model!r}")
    config = model.model_config
    loose = [
        f"{key}={wanted!r}"
        for key, wanted in (("frozen", True), ("extra", "forbid"), ("strict", True))
        if config.get(key) != wanted
    ]
    if loose:
        raise TypeError(
            f"{model.__name__} must be as strict as Profile: set {', '.join(loose)} in its "
            "model_config (or subclass neurotriage.PackModel)"
        )
    specs_of(model)  # TypeError naming a field of a type rules cannot read


def model_pack(model: type[BaseModel]) -> Pack:
    """The pack over ``model`` for a rules directory without ``pack.yaml``.

    Its semantics come from the fields' ``json_schema_extra``; it declares no
    red flags (a ``pack.yaml`` beside the rules gives them).
    """
    if model is Profile:
        return PROFILE_PACK
    specs_of(model)  # TypeError now, naming the field, for a type rules cannot read
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", model.__name__).lower()
    pack_id = re.sub(r"[^a-z0-9_-]", "-", words).strip("-") or "pack"
    return Pack(pack_id, "0", model.__name__, model, file=f"<model {model.__name__}>")

"""Reading the input: a Bundle or resources, each validated by fhir.resources (R4B models).

fhir.resources is imported on first use (the optional extra
``neurotriage[fhir]``). Its R4 models live in ``fhir.resources.R4B``: R4B is
the R4-compatible release, with the same Condition, Observation,
QuestionnaireResponse and Questionnaire elements as R4 (the top-level
``fhir.resources`` package is R5).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from neurotriage.fhir._errors import FhirError, problem

__all__ = ["Resource", "fhir_models", "read_resources", "validated"]


def fhir_models() -> Any:
    """The module ``fhir.resources.R4B``, or an ImportError saying how to install it."""
    try:
        from fhir.resources import R4B  # noqa: PLC0415 - optional: only the FHIR adapters need it
    except ImportError as err:
        raise ImportError(
            f"reading and writing FHIR needs fhir.resources ({err}); "
            "install it with: pip install 'neurotriage[fhir]'"
        ) from err
    return R4B


@dataclass(frozen=True)
class Resource:
    """One resource of the input, validated, in its JSON form."""

    type: str
    #: ``resourceType/id``, else the entry's ``fullUrl``, else its place in the input
    ref: str
    data: Mapping[str, Any]
    #: the Bundle entry's ``fullUrl`` (``None``: none, or not in a Bundle)
    full_url: str | None = None


def _path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a FHIR path: ``code.coding[0].system``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(the resource)"


def _validation_problems(error: ValidationError) -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if isinstance(part, int | str))
        found.append((_path(loc) if loc else None, item["msg"]))
    return found


def validated(data: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    """``data`` checked as the FHIR R4 resource it says it is; FhirError naming the element."""
    kind = data.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise problem(ref, "resourceType", "missing: every FHIR resource names its resourceType")
    try:
        model = fhir_models().get_fhir_model_class(kind)
    except ValueError:
        raise problem(ref, "resourceType", f"{kind!r} is not a FHIR R4 resource type") from None
    try:
        model.model_validate(dict(data))
    except ValidationError as error:
        raise FhirError(ref, _validation_problems(error)) from None
    return data


def _reference(data: Mapping[str, Any], place: str, full_url: object = None) -> str:
    kind = data.get("resourceType")
    ident = data.get("id")
    if isinstance(kind, str) and isinstance(ident, str) and ident:
        return f"{kind}/{ident}"
    if isinstance(full_url, str) and full_url:
        return full_url
    return f"{place} ({kind})" if isinstance(kind, str) else place


def _as_json(item: object, place: str) -> Mapping[str, Any]:
    """A resource as FHIR JSON: a mapping as it is, a fhir.resources model dumped."""
    if isinstance(item, Mapping):
        return item
    dump = getattr(item, "model_dump_json", None)
    if callable(getattr(item, "get_resource_type", None)) and callable(dump):
        parsed: Mapping[str, Any] = json.loads(dump(by_alias=True, exclude_none=True))
        return parsed
    raise TypeError(
        f"{place}: a FHIR resource is a dict of FHIR JSON or a fhir.resources model, "
        f"not {type(item).__name__}"
    )


def _walk(data: Mapping[str, Any], place: str, full_url: object = None) -> Iterator[Resource]:
    ref = _reference(data, place, full_url)
    if data.get("resourceType") != "Bundle":
        url = full_url if isinstance(full_url, str) and full_url else None
        yield Resource(str(data.get("resourceType")), ref, validated(data, ref), url)
        return
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise problem(ref, "entry", "a Bundle's entry is a list")
    validated({key: value for key, value in data.items() if key != "entry"}, ref)
    for index, entry in enumerate(entries):
        where = f"{place}.entry[{index}]" if place != "Bundle" else f"entry[{index}]"
        if not isinstance(entry, Mapping):
            raise problem(ref, f"entry[{index}]", "a Bundle entry is an object")
        resource = entry.get("resource")
        if resource is None:
            continue  # an entry with only a request or response carries no resource
        if not isinstance(resource, Mapping):
            raise problem(ref, f"entry[{index}].resource", "a resource is an object")
        yield from _walk(resource, where, entry.get("fullUrl"))


def read_resources(given: object) -> list[Resource]:
    """Every resource of ``given`` (a Bundle, one resource, or an iterable of them), validated."""
    if isinstance(given, str | bytes | bytearray):
        raise TypeError(
            "profile_from_fhir() reads parsed FHIR JSON (a dict) or fhir.resources models, "
            "not text: parse it first with json.loads"
        )
    if isinstance(given, Mapping) or callable(getattr(given, "get_resource_type", None)):
        data = _as_json(given, "the resource")
        place = "Bundle" if data.get("resourceType") == "Bundle" else "the resource"
        return list(_walk(data, place))
    if not isinstance(given, Iterable):
        raise TypeError(
            "profile_from_fhir() takes a Bundle or an iterable of FHIR resources, "
            f"not {type(given).__name__}"
        )
    found: list[Resource] = []
    for index, item in enumerate(given):
        found.extend(_walk(_as_json(item, f"resources[{index}]"), f"resources[{index}]"))
    return found

"""Input models and their fields: what the rule language and the analyses know of each field.

Every pack has an input model, a pydantic model built on :class:`PackModel`
(frozen, ``extra="forbid"``, strict). The built-in pack's model is
:class:`~neurotriage.Profile`; a pack with a ``pack.yaml`` gets one built
from its ``fields:``; an app may bring its own. :func:`specs_of` reads any
such model into one :class:`FieldSpec` per field: its kind and domain from
the annotation, its safety semantics (``risk``, ``relaxing``,
``actionable``, ``question``...) from the field's ``json_schema_extra``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import keyword
import re
import types
import typing
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from neurotriage._json import DuplicateKeyError, loads
from neurotriage._names import MAX_CONDITION_LENGTH, normalise_name

__all__ = [
    "FieldKind",
    "FieldSpec",
    "NameList",
    "PackModel",
    "Risk",
    "build_model",
    "field_name_problem",
    "generated_specs",
    "normalised_names",
    "specs_of",
]

FieldKind = Literal["bool", "int", "enum", "list"]
#: Which way a field's risk runs: ``rising`` (false -> true, low -> high, the
#: enum's order, more items) or ``falling`` (the reverse).
Risk = Literal["rising", "falling"]

M = TypeVar("M", bound="PackModel")


def normalised_names(value: list[str] | None) -> list[str] | None:
    """A list of names as every input model keeps it: normalised, unique, sorted.

    Each item goes through :func:`neurotriage._names.normalise_name` (the
    same normalisation rules apply to names in conditions); its length is
    checked before, by the field's own ``max_length``.
    """
    if value is None:
        return None
    return sorted(
        {normalise_name(item, subject=f"item {index}") for index, item in enumerate(value)}
    )


#: The annotation of a list field of names: validated, then normalised.
NameList = Annotated[list[str], AfterValidator(normalised_names)]


class PackModel(BaseModel):
    """The base of every input model: frozen, closed, strict; unknown is ``None``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    @classmethod
    def from_json(cls: type[M], data: str | bytes | bytearray) -> M:
        """The model in JSON ``data``; every problem is a ``pydantic.ValidationError``.

        Unlike ``model_validate_json``, a key given twice is refused (where
        JSON parsers let the last one win silently, ``"open_wounds": true,
        "open_wounds": false`` would read as no open wounds), and a number
        too long to read is an error naming its field.
        """
        try:
            parsed = loads(data, constants=False)
        except DuplicateKeyError as duplicate:
            error = PydanticCustomError(
                "json_duplicate_key",
                "the key '{key}' is given more than once; give each field once",
                {"key": duplicate.key},
            )
            raise ValidationError.from_exception_data(
                cls.__name__,
                [{"type": error, "loc": (duplicate.key,), "input": duplicate.value}],
                input_type="json",
            ) from None
        except (ValueError, RecursionError, TypeError):
            # not JSON, too deep, or not text: pydantic's own JSON parser says what
            return cls.model_validate_json(data)
        return cls.model_validate(parsed)

    def __reduce__(self) -> Any:
        specs = generated_specs(type(self))
        if specs is None:
            return super().__reduce__()
        # a model built by build_model() is not importable: rebuild it, then the instance
        # (its values were validated when it was made, so they are not validated again)
        return _rebuilt_instance, (type(self).__name__, specs, dict(self.__dict__))


@dataclass(frozen=True)
class FieldSpec:
    """What the rule language and the analyses know about one field of an input model.

    ``values`` is the ordered domain of an ``enum`` field; ``low``/``high``
    bound an ``int`` field; ``max_items`` bounds a ``list``. ``risk`` says
    which way risk runs (the enum's order, false -> true, low -> high, one
    more item; ``falling`` reverses it). ``relaxing`` marks a field whose
    ``True`` lowers risk (clearance); ``actionable`` one the person can change
    themselves, with ``action`` saying how (``{value}``: the new value).
    """

    name: str
    kind: FieldKind
    nullable: bool
    default: Any
    values: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    relaxing: bool = False
    #: the question a person is asked for this field
    question: str = ""
    #: whether the person can change it themselves (counterfactuals say what they can do)
    actionable: bool = False
    #: what to do, for an actionable field (``{value}``: the value it changes to)
    action: str = ""
    risk: Risk = "rising"
    max_items: int | None = None
    description: str = ""

    @property
    def domain(self) -> tuple[Any, ...]:
        """What values the field takes: two fields with the same domain read the same input."""
        return (
            self.kind,
            self.nullable,
            self.default,
            self.values,
            self.low,
            self.high,
            self.max_items,
        )

    def risk_rank(self, value: Any) -> int:
        """Where known ``value`` sits on this field's risk order: higher is riskier.

        False < True, the enum's order, the number itself, the count of items;
        reversed for ``risk: falling``.
        """
        if self.kind == "enum":
            rank = self.values.index(value)
        elif self.kind == "list":
            rank = len(value)
        else:
            rank = int(value)
        return -rank if self.risk == "falling" else rank


def _bounds(annotation: Any) -> tuple[Any, int | None, int | None, int | None]:
    """The type inside ``Annotated[...]``, and its ``ge``/``le``/``max_length`` bounds."""
    low = high = longest = None
    if typing.get_origin(annotation) is not Annotated:
        return annotation, low, high, longest
    base, *meta = typing.get_args(annotation)
    for item in meta:
        for bound in getattr(item, "metadata", [item]):
            if isinstance(bound, annotated_types.Ge):
                low = int(bound.ge)  # type: ignore[call-overload]
            elif isinstance(bound, annotated_types.Le):
                high = int(bound.le)  # type: ignore[call-overload]
            elif isinstance(bound, annotated_types.MaxLen):
                longest = int(bound.max_length)
    if typing.get_origin(base) is Annotated:  # Annotated nested in Annotated
        base, inner_low, inner_high, inner_longest = _bounds(base)
        low = low if low is not None else inner_low
        high = high if high is not None else inner_high
        longest = longest if longest is not None else inner_longest
    return base, low, high, longest


#: Words of the condition language: a field of that name could never be read.
_RESERVED = frozenset({"always", "true", "false", "known", "unknown", "empty", "none"})
#: Keys of the fact durable-rules matches, besides the fields' own.
_ENGINE_KEYS = frozenset({"id", "sid"})
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def field_name_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a field name (``None``: nothing)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > 60:
        return (
            "a field name must be lower-case letters, digits and '_', starting with a "
            "letter, at most 60 characters"
        )
    if "__" in name or name in _ENGINE_KEYS:
        return f"'{name}' is kept for the engines' own keys (no '__', not 'id' or 'sid')"
    if keyword.iskeyword(name) or name in _RESERVED:
        return f"'{name}' is a word of the condition language; name the field otherwise"
    return None


def _spec_for(where: str, annotation: Any, info: FieldInfo) -> FieldSpec:
    name = where.rpartition(".")[2]
    if info.is_required():
        raise TypeError(
            f"{where}: every field needs a default (None: it may be unknown, and is until answered)"
        )
    default = info.default
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    args = typing.get_args(annotation)
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"{where}: unsupported union {annotation!r}")
        annotation = rest[0]
    annotation, low, high, longest = _bounds(annotation)
    if annotation is bool:
        spec = FieldSpec(name, "bool", nullable, default)
    elif annotation is int:
        if low is None or high is None:
            raise TypeError(f"{where}: an int field needs ge= and le= bounds")
        spec = FieldSpec(name, "int", nullable, default, low=low, high=high)
    elif typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        if not all(isinstance(v, str) for v in values):
            raise TypeError(f"{where}: an enum field's values must be text")
        spec = FieldSpec(name, "enum", nullable, default, values=values)
    elif typing.get_origin(annotation) is list and _is_text(
        (typing.get_args(annotation) or (str,))[0]
    ):
        spec = FieldSpec(name, "list", nullable, default, max_items=longest)
    else:
        raise TypeError(
            f"{where}: unsupported type {annotation!r}; a field is a bool, an int with "
            "ge= and le=, a Literal of text values or a list of text"
        )
    risk: Risk = extra.get("risk", "rising")  # type: ignore[assignment]
    if risk not in ("rising", "falling"):
        raise TypeError(f"{where}: risk must be 'rising' or 'falling', not {risk!r}")
    if extra.get("relaxing") and spec.kind != "bool":
        raise TypeError(f"{where}: only a bool field can be relaxing (its true lowers risk)")
    return dataclasses.replace(
        spec,
        relaxing=bool(extra.get("relaxing", False)),
        question=str(extra.get("question", "")),
        actionable=bool(extra.get("actionable", False)),
        action=str(extra.get("action", "")),
        risk=risk,
        description=info.description or "",
    )


def _is_text(annotation: Any) -> bool:
    base, *_ = _bounds(annotation)
    return base is str


_SPECS: weakref.WeakKeyDictionary[type[BaseModel], types.MappingProxyType[str, FieldSpec]] = (
    weakref.WeakKeyDictionary()
)


def specs_of(model: type[BaseModel]) -> types.MappingProxyType[str, FieldSpec]:
    """Every field of ``model`` as the rule language reads it, in declaration order.

    Raises TypeError naming the field if one has a type rule conditions
    cannot read.
    """
    found = _SPECS.get(model)
    if found is None:
        specs = {}
        for name, info in model.model_fields.items():
            where = f"{model.__name__}.{name}"
            problem = field_name_problem(name)
            if problem is not None:
                raise TypeError(f"{where}: {problem}")
            specs[name] = _spec_for(where, info.rebuild_annotation(), info)
            if specs[name].kind == "list":
                _check_normalised(model, where, specs[name])
        found = _SPECS[model] = types.MappingProxyType(specs)
    return found


def _check_normalised(model: type[BaseModel], where: str, spec: FieldSpec) -> None:
    """Raise TypeError unless validating the list field normalises its items, as conditions do.

    A condition's ``"warfarin" in medications`` is normalised; a list kept as
    typed (``["Warfarin"]``) would never match it, and a blocking rule would
    silently not fire.
    """
    probe, wanted = (["B ", "a"], ["a", "b"]) if (spec.max_items or 2) >= 2 else (["B "], ["b"])
    try:
        got = getattr(model.model_validate({spec.name: probe}), spec.name)
    except ValidationError:
        got = None
    if got != wanted:
        raise TypeError(
            f"{where}: a list field must normalise its items as conditions do; "
            "annotate it with neurotriage.fields.NameList"
        )


# --- building a model from field specs -------------------------------------------------------
#
# A pack.yaml declares its fields; build_model() makes the pydantic model
# those declarations describe, and specs_of() reads them back exactly
# (tests check the round trip). A built model is not importable, so it and
# its instances pickle as their specs (for worker processes).

_GENERATED = "__neurotriage_specs__"


def _annotation(spec: FieldSpec) -> Any:
    base: Any
    if spec.kind == "bool":
        base = bool
    elif spec.kind == "int":
        base = Annotated[int, Field(ge=spec.low, le=spec.high)]
    elif spec.kind == "enum":
        base = Literal[spec.values]
    else:
        item = Annotated[str, Field(max_length=MAX_CONDITION_LENGTH)]
        base = Annotated[
            list[item],
            Field(max_length=spec.max_items),
            AfterValidator(normalised_names),
        ]
    return base | None if spec.nullable else base


def _extra(spec: FieldSpec) -> dict[str, Any]:
    extra: dict[str, Any] = {"question": spec.question} if spec.question else {}
    if spec.risk != "rising":
        extra["risk"] = spec.risk
    for key in ("relaxing", "actionable"):
        if getattr(spec, key):
            extra[key] = True
    if spec.action:
        extra["action"] = spec.action
    return extra


@functools.cache
def _built(name: str, key: str) -> type[PackModel]:
    specs = tuple(
        FieldSpec(**{**item, "values": tuple(item["values"])}) for item in json.loads(key)
    )
    definitions: dict[str, Any] = {
        spec.name: (
            _annotation(spec),
            Field(
                default=spec.default,
                description=spec.description or None,
                json_schema_extra=_extra(spec),
            ),
        )
        for spec in specs
    }
    model: type[PackModel] = create_model(name, __base__=PackModel, **definitions)
    setattr(model, _GENERATED, specs)
    return model


def build_model(name: str, specs: Sequence[FieldSpec]) -> type[PackModel]:
    """The input model (on :class:`PackModel`) whose fields are ``specs``, in order.

    The same ``name`` and specs give the same class, so a model rebuilt in a
    worker process is the one its rule set's pack holds there.
    """
    key = json.dumps([dataclasses.asdict(spec) for spec in specs], sort_keys=True)
    return _built(name, key)


def _rebuilt_instance(name: str, specs: Sequence[FieldSpec], values: dict[str, Any]) -> PackModel:
    return build_model(name, specs).model_construct(**values)


def generated_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...] | None:
    """The specs ``model`` was built from by :func:`build_model`; ``None`` for any other model."""
    found: tuple[FieldSpec, ...] | None = getattr(model, _GENERATED, None)
    return found

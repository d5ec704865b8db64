"""A pack: the input model a rule set reads and the safety semantics it declares.

A rules directory with a ``pack.yaml`` declares its own pack (see
:mod:`neurotriage.loading`); a directory without one is a pack over the
built-in :class:`~neurotriage.Profile` (:data:`PROFILE_PACK`). Every
analysis reads the pack's fields (their kinds, domains, risk orders,
relaxing and actionable marks) and its red flags from here, never from
``Profile`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from neurotriage._conformance import conformance
from neurotriage.fields import FieldSpec, build_model, generated_specs, specs_of
from neurotriage.language import Condition, parse_condition
from neurotriage.profile import Profile

__all__ = ["PROFILE_PACK", "PROFILE_RED_FLAGS", "Pack"]


@dataclass(frozen=True, eq=False)
class Pack:
    """A pack's identity, its input model and its declared red flags.

    ``model`` is a pydantic model (frozen, closed, strict); ``fields`` is what
    the rule language knows of each of its fields. ``red_flags`` is the
    condition text of the red flags (``None``: the pack declares none, and
    the red-flag property checks nothing); ``red_flag_condition`` is it
    parsed against the fields. Two packs are equal only if they are the same
    object; :meth:`same_model` says whether two read the same input.
    """

    id: str
    version: str
    title: str
    model: type[BaseModel]
    red_flags: str | None = None
    url: str | None = None
    #: where the pack was declared (``pack.yaml``), or ``"<builtin>"``
    file: str = "<builtin>"
    #: the fields' semantics when ``pack.yaml`` declares them for an app's own model
    #: (``None``: they come from the model itself)
    declared: Mapping[str, FieldSpec] | None = None
    red_flag_condition: Condition | None = field(init=False, repr=False)
    #: every field of the model, as the rule language reads it, in declaration order
    fields: Mapping[str, FieldSpec] = field(init=False, repr=False)
    #: whether values (an instance's ``__dict__``) are exactly what validation gives: each
    #: of its type and domain, no other key (checked by evaluate() before any engine runs)
    conforms: Callable[[Mapping[str, Any]], bool] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        fields = self.declared if self.declared is not None else specs_of(self.model)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "conforms", conformance(specs_of(self.model)))
        condition = None if self.red_flags is None else parse_condition(self.red_flags, fields)
        object.__setattr__(self, "red_flag_condition", condition)

    @property
    def relaxing(self) -> tuple[str, ...]:
        """The fields whose ``True`` lowers risk (clearance), in field order."""
        return tuple(name for name, spec in self.fields.items() if spec.relaxing)

    @property
    def actionable(self) -> tuple[str, ...]:
        """The fields a person can change themselves, in field order."""
        return tuple(name for name, spec in self.fields.items() if spec.actionable)

    def __reduce__(self) -> str | tuple[Any, ...]:
        if self is PROFILE_PACK:
            return "PROFILE_PACK"
        specs = generated_specs(self.model)
        model = self.model if specs is None else (self.model.__name__, specs)
        declared = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "model": model,
            "red_flags": self.red_flags,
            "url": self.url,
            "file": self.file,
            "declared": None if self.declared is None else dict(self.declared),
        }
        return _rebuilt_pack, (declared,)

    def same_model(self, other: Pack) -> bool:
        """Whether ``other`` reads the same input: the same fields, with the same domains."""
        if self.model is other.model:
            return True
        ours, theirs = self.fields, other.fields
        return list(ours) == list(theirs) and all(
            ours[name].domain == theirs[name].domain for name in ours
        )

    def validate(self, data: Mapping[str, Any]) -> BaseModel:
        """``data`` validated by the pack's model (``pydantic.ValidationError`` names the field)."""
        return self.model.model_validate(data)


def _rebuilt_pack(declared: dict[str, Any]) -> Pack:
    """A pack unpickled (in a worker process): a built model is built again from its specs."""
    model = declared["model"]
    if isinstance(model, tuple):
        model = build_model(*model)
    return Pack(**{**declared, "model": model})


#: The red flags of the article (DESIGN.md section 5, property 2), as a condition.
PROFILE_RED_FLAGS = "open_wounds or foot_infection or pain_level >= 7 or symptoms_worsening"


#: The pack over the built-in :class:`~neurotriage.Profile`: the default
#: rule set's, and that of every rules directory without a ``pack.yaml``.
PROFILE_PACK = Pack(
    id="foot-massage-for-neuropathy",
    version="2026.11.0",
    title="Foot massage for neuropathy",
    model=Profile,
    red_flags=PROFILE_RED_FLAGS,
)

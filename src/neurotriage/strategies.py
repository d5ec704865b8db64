"""Hypothesis strategies for testing apps built on neurotriage.

Install with the extra: ``pip install 'neurotriage[hypothesis]'``.

Every strategy draws valid :class:`~neurotriage.Profile` objects over the
whole domain of each field, weighted by the classes the rule set can tell
apart, so rare classes (pain of 7 or more, every enum value, unknowns) are
drawn as often as common ones. Arguments are checked when the strategy is
built, not when it is drawn from.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

try:
    from hypothesis import strategies as st
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "neurotriage.strategies needs hypothesis: pip install 'neurotriage[hypothesis]'"
    ) from err

from neurotriage.analysis import (
    InputSpace,
    check_combinations,
    check_field_classes,
    input_space,
    other_item,
)
from neurotriage.language import Condition, compile_condition, fields_read
from neurotriage.loading import default_rules
from neurotriage.pack import Pack
from neurotriage.ruleset import RuleSet

__all__ = ["profiles", "profiles_firing", "red_flag_profiles"]

# Condition names for lists, none of them named by the default rules.
_OTHER_NAMES = (
    "arthritis",
    "asthma",
    "heart disease",
    "hypertension",
    "kidney disease",
    "thyroid disorder",
)


def _ruleset(rules: RuleSet | None) -> RuleSet:
    if rules is None:
        return default_rules()
    if not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet from load_rules(), not {type(rules).__name__}")
    return rules


def _check_flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")


def _class_values(space: InputSpace, name: str, option: Any) -> st.SearchStrategy[Any]:
    """Concrete values of the class whose representative is ``option``."""
    if option is None or isinstance(option, bool | str):
        return st.just(option)
    if isinstance(option, int):
        spec = space.pack.fields[name]
        classes = space.int_classes.get(name, ((spec.low, spec.high),))
        low, high = next(c for c in classes if c[0] == option)
        return st.integers(low, high)
    members = set(space.members.get(name, ()))
    other = space.others[name]
    names = [n for n in _OTHER_NAMES if n not in members] or [other]
    if not option:
        return st.just([])
    if option == [other]:
        return st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=2)
    extras = st.lists(st.sampled_from(names), unique=True, max_size=2)
    return extras.map(lambda extra: [*option, *extra])


def _field(space: InputSpace, name: str, *, known_only: bool) -> st.SearchStrategy[Any]:
    options = [o for o in space.values[name] if not (known_only and o is None)]
    if len(options) == 1 and space.values[name] == (space.pack.fields[name].default,):
        options = _whole_domain(space, name, known_only=known_only)  # no rule reads it
    return st.sampled_from(options).flatmap(lambda option: _class_values(space, name, option))


def _whole_domain(space: InputSpace, name: str, *, known_only: bool) -> list[Any]:
    spec = space.pack.fields[name]
    unknown = [] if known_only or not spec.nullable else [None]
    if spec.kind == "bool":
        return [*unknown, False, True]
    if spec.kind == "enum":
        return [*unknown, *spec.values]
    if spec.kind == "list":
        return [*unknown, [], [other_item(())]]
    return [*unknown, spec.low]  # an int class covering the whole range


def _fixed(fixed: Mapping[str, Any] | None, pack: Pack) -> dict[str, Any]:
    if fixed is None:
        return {}
    model = pack.model.__name__
    if not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a mapping of {model} fields, not {type(fixed).__name__}")
    names = list(pack.fields)
    for key in fixed:
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ValueError(f"fixed names '{key}', which is not a field of {model}{suggestion}")
    try:
        checked = pack.validate(dict(fixed))
    except ValidationError as err:
        raise ValueError(f"fixed holds an invalid value: {err}") from err
    return {key: getattr(checked, key) for key in fixed}


def _build(
    space: InputSpace,
    *,
    known_only: bool,
    pinned: Mapping[str, Any],
    classes: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[BaseModel]:
    check_field_classes("the input space", space.size, space.fields)  # each class is drawn
    free = {
        name: _field(space, name, known_only=known_only)
        for name in space.names
        if name not in pinned
    }

    validate = space.pack.validate

    def assemble(drawn: dict[str, Any], chosen: dict[str, Any]) -> BaseModel:
        return validate({**drawn, **chosen, **pinned})

    chosen = classes if classes is not None else st.just({})
    return st.builds(assemble, st.fixed_dictionaries(free), chosen)


def profiles(
    rules: RuleSet | None = None,
    *,
    known_only: bool = False,
    fixed: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[BaseModel]:
    """Any valid profile of the pack's model, with every class of every field the rules read.

    A :class:`~neurotriage.Profile` for the built-in pack; an instance of the
    pack's own model for a pack with a ``pack.yaml``. ``known_only`` never
    leaves a field unknown. ``fixed`` pins fields to values, e.g.
    ``fixed={"diabetes": True}`` (checked now, by the pack's model).
    """
    ruleset = _ruleset(rules)
    _check_flag("known_only", known_only)
    pinned = _fixed(fixed, ruleset.pack)
    return _build(input_space(ruleset), known_only=known_only, pinned=pinned)


def _satisfying(
    condition: Condition, space: InputSpace, *, known_only: bool
) -> list[dict[str, Any]]:
    """Every combination of classes of the condition's fields where it holds."""
    names = [n for n in space.names if n in fields_read(condition)]
    holds = compile_condition(condition, space.pack.fields)
    row = {name: options[0] for name, options in space.values.items()}
    found = []
    for combo in itertools.product(*(space.values[n] for n in names)):
        if known_only and any(value is None for value in combo):
            continue
        row.update(zip(names, combo, strict=True))
        if holds(row):
            found.append(dict(zip(names, combo, strict=True)))
    return found


def _where(
    condition: Condition, space: InputSpace, *, known_only: bool, what: str
) -> st.SearchStrategy[BaseModel]:
    read = fields_read(condition)
    combinations = math.prod(len(space.values[name]) for name in read)
    fields = {name: size for name, size in space.fields.items() if name in read}
    check_combinations(f"drawing {what}", combinations, fields)
    combos = _satisfying(condition, space, known_only=known_only)
    if not combos:
        extra = " with every field known" if known_only else ""
        raise ValueError(f"{what} can never hold{extra}, so no profile can be drawn")

    def concrete(combo: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {name: _class_values(space, name, option) for name, option in combo.items()}
        )

    classes = st.sampled_from(combos).flatmap(concrete)
    return _build(space, known_only=known_only, pinned={}, classes=classes)


def profiles_firing(
    rule_id: str, rules: RuleSet | None = None, *, known_only: bool = False
) -> st.SearchStrategy[BaseModel]:
    """Profiles that fire rule ``rule_id``, drawn from the classes where its condition holds.

    No draw is filtered away: the classes are derived from the input space, so
    every class where the rule fires is reachable and each draw fires it.
    """
    ruleset = _ruleset(rules)
    _check_flag("known_only", known_only)
    if not isinstance(rule_id, str):
        raise TypeError(f"rule_id must be a rule id string, not {type(rule_id).__name__}")
    ids = [rule.id for rule in ruleset.rules]
    if rule_id not in ids:
        hint = difflib.get_close_matches(rule_id, ids, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ValueError(f"the rule set has no rule '{rule_id}'{suggestion}")
    rule = ruleset.rule(rule_id)
    space = input_space(ruleset)
    return _where(rule.condition, space, known_only=known_only, what=f"rule '{rule_id}'")


def red_flag_profiles(
    rules: RuleSet | None = None, *, known_only: bool = False
) -> st.SearchStrategy[BaseModel]:
    """Profiles where at least one of the pack's red flags is known to hold.

    For the built-in pack: open wounds, foot infection, pain of 7 or more, or
    worsening symptoms. Every other field is free. ValueError if the pack
    declares no red flags.
    """
    ruleset = _ruleset(rules)
    _check_flag("known_only", known_only)
    condition = ruleset.pack.red_flag_condition
    if condition is None:
        raise ValueError(f"the pack '{ruleset.pack.id}' declares no red_flags")
    space = input_space(ruleset)
    return _where(condition, space, known_only=known_only, what="a red flag")

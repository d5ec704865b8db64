"""pack.yaml: a pack's identity, fields and red flags, loaded with located errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from neurotriage import Profile, RuleError, default_rules, evaluate
from neurotriage.fields import PackModel, specs_of
from neurotriage.pack import PROFILE_PACK
from tests.conftest import ROOT
from tests.rulefiles import PACK, PACK_RULES, PACK_TECHNIQUES, load_unproved, write, write_pack


def problems(directory: Path, **kwargs: object) -> list[str]:
    with pytest.raises(RuleError) as info:
        load_unproved(directory, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


def test_a_pack_directory_gets_its_own_model(tmp_path: Path):
    rules = load_unproved(write_pack(tmp_path))
    pack = rules.pack
    assert (pack.id, pack.version, pack.title, pack.red_flags) == (
        "tiny",
        "2.0",
        "A tiny pack",
        "swollen",
    )
    assert pack.model is not Profile
    assert list(pack.model.model_fields) == ["swollen", "age"]
    assert rules.version.startswith("2.0+")  # the pack's version, no rule file declares one
    assert evaluate({"swollen": True, "age": 30}, rules=rules).verdict == "see_doctor"
    assert evaluate({"swollen": False}, rules=rules).verdict == "proceed"


def test_the_default_pack_file_is_the_builtin_profile_pack():
    """rules/pack.yaml declares exactly Profile's fields, so its model is Profile itself."""
    pack = default_rules().pack
    assert pack.model is Profile
    assert (pack.id, pack.version, pack.title, pack.red_flags) == (
        PROFILE_PACK.id,
        PROFILE_PACK.version,
        PROFILE_PACK.title,
        PROFILE_PACK.red_flags,
    )
    assert (
        pack.red_flags == "open_wounds or foot_infection or pain_level >= 7 or symptoms_worsening"
    )
    assert pack.relaxing == ("cleared_by_clinician",)
    assert pack.actionable == ("cleared_by_clinician", "requested_pressure")
    assert (ROOT / "rules" / "pack.yaml").is_file()


def test_a_directory_without_pack_file_reads_profile(tmp_path: Path):
    rule = "rules:\n  - {id: w, description: W., when: open_wounds, block: all, verdict: stop}\n"
    write(tmp_path, {"techniques.yaml": PACK_TECHNIQUES, "r.yaml": rule})
    assert load_unproved(tmp_path).pack is PROFILE_PACK


def test_conditions_are_checked_against_the_packs_fields(tmp_path: Path):
    rules = (
        PACK_RULES
        + "  - {id: bad, description: B., when: open_wounds, block: all, verdict: stop}\n"
    )
    found = problems(write_pack(tmp_path, rules=rules))
    assert len(found) == 1
    assert "rules.yaml:14:38" in found[0]
    assert "unknown field 'open_wounds'" in found[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("  age: {type: int, min: 0}\n", "pack.yaml:6:8: field 'age': an int field needs both"),
        ("  age: {type: int, min: 9, max: 1}\n", "field 'age': 'min' (9) is above 'max' (1)"),
        ("  age: {type: enum, values: [a]}\n", "an enum field needs 'values': at least two"),
        ("  age: {type: enum, values: [a, a]}\n", "the values of an enum field must all differ"),
        ("  age: {type: enum, values: [a, b], default: c}\n", "the default 'c' is not one"),
        ("  age: {type: bool, default: 3}\n", "the default of a bool field must be true or false"),
        ("  age: {type: list, default: [x]}\n", "the default of a list field must be []"),
        ("  age: {type: bool, min: 1}\n", "'min' applies to int fields, not to a bool"),
        ("  age: {type: int, relaxing: true, min: 0, max: 1}\n", "'relaxing' applies to bool"),
        ("  age: {type: bool, relaxing: true}\n", "a relaxing field needs a default"),
        ("  age: {type: float}\n", "pack.yaml:6:15: field 'age': 'type': Input should be"),
        (
            "  age: {type: bool, qestion: x}\n",
            "field 'age': unknown key 'qestion' (did you mean 'question'?)",
        ),
        ("  age: bool\n", "field 'age' must be a mapping"),
        ("  Age: {type: bool}\n", "field 'Age': a field name must be lower-case"),
        ("  unknown: {type: bool}\n", "'unknown' is a word of the condition language"),
        ("  a__count: {type: bool}\n", "'a__count' is kept for the engines' own keys"),
        (
            "  age: {type: int, min: 0, max: 9, risk: up}\n",
            "field 'age': 'risk': Input should be 'rising' or 'falling'",
        ),
    ],
)
def test_bad_fields_get_located_errors(tmp_path: Path, change: str, expected: str):
    pack = PACK.replace("  age: {type: int, min: 0, max: 120}\n", change)
    found = problems(write_pack(tmp_path, pack=pack))
    assert any(expected in line for line in found), found
    assert all("pack.yaml" in line for line in found)


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        (PACK.replace("id: tiny", "id: Tiny"), "pack.yaml:1:5: 'id' must be lower-case"),
        (PACK.replace('version: "2.0"\n', ""), "missing key 'version'"),
        (PACK + "colour: red\n", "unknown key 'colour'"),
        (PACK.replace("red_flags: swollen", "red_flags: swollen or pain >= 7"), "unknown field"),
        ("- just a list\n", "pack.yaml must be a mapping"),
        ("id: tiny\nversion: '1'\ntitle: T\n", "pack.yaml declares no 'fields'"),
        (PACK.replace("fields:\n", "fields: {}\nx:\n"), "unknown key 'x'"),
    ],
)
def test_bad_pack_files_get_located_errors(tmp_path: Path, pack: str, expected: str):
    found = problems(write_pack(tmp_path, pack=pack))
    assert any(expected in line for line in found), found


def test_a_red_flag_error_points_into_the_condition(tmp_path: Path):
    pack = PACK.replace("red_flags: swollen", "red_flags: swollen or agee >= 90")
    found = problems(write_pack(tmp_path, pack=pack))
    assert found[0].startswith(f"{tmp_path}/pack.yaml:7:23: in 'red_flags': unknown field 'agee'")


def test_a_pack_file_with_another_spelling_is_refused(tmp_path: Path):
    """pack.yml or Pack.yaml is neither the pack nor a rule file: it is refused, not dropped."""
    directory = write_pack(tmp_path)
    (directory / "pack.yaml").rename(directory / "Pack.yaml")
    found = problems(directory)
    refused = f"{directory}/Pack.yaml: a pack declaration must be named exactly 'pack.yaml'"
    assert f"{refused}; rename this file" in found


def test_the_version_covers_the_pack_file(tmp_path: Path):
    first = load_unproved(write_pack(tmp_path / "a")).version
    second = load_unproved(
        write_pack(tmp_path / "b", pack=PACK.replace("A tiny", "A small"))
    ).version
    assert first != second


class CalfModel(PackModel):
    swollen: bool | None = Field(default=None, json_schema_extra={"question": "Swollen?"})
    age: Annotated[int, Field(ge=0, le=120)] | None = None


def test_an_app_may_bring_its_own_model(tmp_path: Path):
    rules = load_unproved(write_pack(tmp_path), model=CalfModel)
    assert rules.pack.model is CalfModel
    assert rules.pack.fields["swollen"].question == "Is one calf swollen?"  # from pack.yaml
    assert evaluate(CalfModel(swollen=True), rules=rules).verdict == "see_doctor"
    with pytest.raises(TypeError, match="not an input of the pack 'tiny'"):
        evaluate(Profile(), rules=rules)


def test_without_pack_fields_the_semantics_come_from_the_model(tmp_path: Path):
    pack = "id: tiny\nversion: '1'\ntitle: T\nred_flags: swollen\n"
    rules = load_unproved(write_pack(tmp_path, pack=pack), model=CalfModel)
    assert rules.pack.fields == specs_of(CalfModel)
    assert rules.pack.red_flags == "swollen"


def test_a_model_that_differs_from_the_pack_file_is_refused(tmp_path: Path):
    class Other(PackModel):
        swollen: bool | None = None
        age: Annotated[int, Field(ge=0, le=150)] | None = None

    found = problems(write_pack(tmp_path), model=Other)
    assert len(found) == 1
    assert "field 'age': Other has it as int 0..150, may be unknown, pack.yaml declares" in found[0]


def test_a_model_without_a_pack_file(tmp_path: Path):
    write(tmp_path, {"techniques.yaml": PACK_TECHNIQUES, "rules.yaml": PACK_RULES})
    rules = load_unproved(tmp_path, model=CalfModel)
    assert rules.pack.id == "calf-model"
    assert rules.pack.red_flags is None
    assert load_unproved(ROOT / "rules", model=Profile).pack.model is Profile


def test_a_loose_model_is_refused(tmp_path: Path):
    class Loose(BaseModel):
        swollen: bool | None = None

    class Floaty(PackModel):
        weight: float = 0.0

    for model, message in ((Loose, "must be as strict as Profile"), (Floaty, "Floaty.weight")):
        with pytest.raises(TypeError, match=message):
            load_unproved(write_pack(tmp_path), model=model)
    with pytest.raises(TypeError, match="pydantic model class"):
        load_unproved(write_pack(tmp_path), model=dict)  # type: ignore[arg-type]


def test_config_strict_by_hand_is_accepted(tmp_path: Path):
    class Strict(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
        swollen: bool | None = None
        age: Annotated[int, Field(ge=0, le=120)] | None = None
        level: Literal["a", "b"] = "a"

    pack = "id: tiny\nversion: '1'\ntitle: T\n"
    assert load_unproved(write_pack(tmp_path, pack=pack), model=Strict).pack.model is Strict


def test_a_bad_top_level_key_does_not_hide_the_fields_problems(tmp_path: Path):
    """Every problem of pack.yaml is reported in one load, the fields' with the top level's."""
    pack = PACK.replace("id: tiny", "id: Tiny").replace("max: 120", "max: -1")
    found = problems(write_pack(tmp_path, pack=pack))
    assert len(found) == 2
    assert "'id' must be lower-case" in found[0]
    assert "field 'age': 'min' (0) is above 'max' (-1)" in found[1]


def test_rule_files_declare_the_packs_version(tmp_path: Path):
    """A rule file's version that differs from pack.yaml's is a located error: one version."""
    directory = write_pack(tmp_path, rules='version: "3.0"\n' + PACK_RULES)
    found = problems(directory)
    assert len(found) == 1
    assert found[0].startswith(
        f"{directory}/rules.yaml:1:10: version '3.0' differs from '2.0' declared in "
        f"{directory}/pack.yaml; declare one version for the rule set"
    )
    assert load_unproved(
        write_pack(tmp_path / "b", rules='version: "2.0"\n' + PACK_RULES)
    ).version.startswith("2.0+")

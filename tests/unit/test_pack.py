"""Pack: a pack's identity, model and declared red flags, as plain data that pickles."""

from __future__ import annotations

import pickle

import pytest

from neurotriage import Pack, Profile
from neurotriage.fields import FieldSpec, build_model, specs_of
from neurotriage.language import ConditionError
from neurotriage.pack import PROFILE_PACK

SPECS = (
    FieldSpec("swollen", "bool", nullable=True, default=None),
    FieldSpec("cleared", "bool", nullable=False, default=False, relaxing=True, actionable=True),
)


def test_the_profile_pack_declares_the_articles_red_flags():
    """The built-in pack reads Profile; clearance relaxes; clearance and pressure are actionable."""
    assert PROFILE_PACK.model is Profile
    assert PROFILE_PACK.fields == specs_of(Profile)
    assert PROFILE_PACK.red_flag_condition is not None
    assert PROFILE_PACK.relaxing == ("cleared_by_clinician",)
    assert PROFILE_PACK.actionable == ("cleared_by_clinician", "requested_pressure")


def test_packs_pickle_and_a_built_model_is_rebuilt():
    """The Profile pack unpickles as itself; a built model's pack as the same model class."""
    assert pickle.loads(pickle.dumps(PROFILE_PACK)) is PROFILE_PACK  # noqa: S301 - our bytes
    pack = Pack("tiny", "1", "Tiny", build_model("TinyProfile", SPECS), red_flags="swollen")
    copy = pickle.loads(pickle.dumps(pack))  # noqa: S301 - our own bytes
    assert copy.model is pack.model
    assert (copy.id, copy.red_flags, copy.fields) == (pack.id, pack.red_flags, pack.fields)


def test_a_pack_may_declare_no_red_flags():
    pack = Pack("tiny", "1", "Tiny", build_model("TinyProfile", SPECS))
    assert pack.red_flags is None
    assert pack.red_flag_condition is None


def test_red_flags_are_parsed_against_the_packs_fields():
    with pytest.raises(ConditionError):
        Pack("tiny", "1", "Tiny", build_model("TinyProfile", SPECS), red_flags="open_wounds")


def test_same_model_compares_domains_not_wording():
    """Two packs read the same input when their fields have the same names and domains."""
    reworded = (FieldSpec("swollen", "bool", nullable=True, default=None, question="Swollen?"),)
    first = Pack("a", "1", "A", build_model("A", SPECS[:1]))
    second = Pack("b", "1", "B", build_model("B", reworded))
    other = Pack("c", "1", "C", build_model("C", SPECS))
    assert first.same_model(second)
    assert not first.same_model(other)
    assert PROFILE_PACK.same_model(PROFILE_PACK)


def test_conforms_checks_an_instance_against_the_packs_model():
    pack = Pack("tiny", "1", "Tiny", build_model("TinyProfile", SPECS))
    assert pack.conforms(pack.validate({"swollen": True}).__dict__)
    assert not pack.conforms({"swollen": 1, "cleared": False})
    assert not pack.conforms({"swollen": None})

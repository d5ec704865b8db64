"""evaluate() trusted a Profile that was never validated.

``model_copy(update=...)`` and ``model_construct`` make a Profile without
validation: ``open_wounds="true"`` gave proceed with four techniques allowed on
reference and see_doctor on durable, ``foot_infection=[1]`` proceed on durable
and a TypeError on reference, and ``neuropathy_severity="SEVERE"`` a KeyError.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from neurotriage import Profile, evaluate, evaluate_many
from neurotriage.analysis import counterfactuals
from tests.conftest import SAFE, available_backends

CLEARED = Profile(**SAFE, cleared_by_clinician=True)

BAD_VALUES: list[tuple[str, Any]] = [
    ("open_wounds", "true"),
    ("open_wounds", 1),
    ("foot_infection", [1]),
    ("pain_level", True),
    ("pain_level", 11),
    ("pain_level", 7.0),
    ("neuropathy_severity", "SEVERE"),
    ("neuropathy_severity", ["mild"]),
    ("requested_pressure", None),
    ("cleared_by_clinician", None),
    ("other_conditions", "asthma"),
    ("other_conditions", [1]),
    ("other_conditions", [""]),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES, ids=[f"{f}={v!r}" for f, v in BAD_VALUES])
@pytest.mark.parametrize("backend", available_backends())
def test_model_copy_with_a_bad_value_is_refused(field, value, backend):
    """A value outside its field's domain is a ValidationError naming the field, on each backend."""
    bad = CLEARED.model_copy(update={field: value})
    with pytest.raises(ValidationError) as info:
        evaluate(bad, backend=backend)
    assert info.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("backend", available_backends())
def test_model_construct_with_a_bad_value_is_refused(backend):
    """model_construct(neuropathy_severity="SEVERE") is a ValidationError, not a KeyError."""
    with pytest.raises(ValidationError) as info:
        evaluate(Profile.model_construct(neuropathy_severity="SEVERE"), backend=backend)
    assert info.value.errors()[0]["loc"] == ("neuropathy_severity",)


def test_unknown_key_smuggled_in_is_refused():
    """A key that is not a field, put into an unvalidated Profile, is refused by name."""
    bad = Profile.model_construct(**SAFE, oppen_wounds=True)
    bad.__dict__["oppen_wounds"] = True  # model_construct drops it; force it in
    with pytest.raises(ValidationError) as info:
        evaluate(bad)
    assert info.value.errors()[0]["loc"] == ("oppen_wounds",)


@pytest.mark.parametrize("backend", available_backends())
def test_unnormalised_names_are_normalised_not_trusted(backend):
    """An unvalidated list of names is evaluated as validation would have normalised it."""
    bad = CLEARED.model_copy(update={"other_conditions": ["Asthma", "asthma "]})
    good = CLEARED.model_copy(update={"other_conditions": ["asthma"]})
    assert evaluate(bad, backend=backend) == evaluate(good, backend=backend)


@pytest.mark.parametrize("backend", available_backends())
def test_valid_unvalidated_profile_decides_like_a_validated_one(backend):
    """model_construct with good values decides exactly like the validated Profile."""
    built = Profile.model_construct(**SAFE)
    assert evaluate(built, backend=backend) == evaluate(Profile(**SAFE), backend=backend)


def test_every_entry_point_checks():
    """evaluate_many() and counterfactuals() refuse the same bad Profile."""
    bad = CLEARED.model_copy(update={"open_wounds": "true"})
    with pytest.raises(ValidationError):
        list(evaluate_many([bad]))
    with pytest.raises(ValidationError):
        counterfactuals(bad)

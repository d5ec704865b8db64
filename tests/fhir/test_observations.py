"""profile_from_fhir() on pain Observations: the newest final score sets pain_level."""

from __future__ import annotations

import pytest

from neurotriage.fhir import FhirError, profile_from_fhir
from tests.fhirtools import answers, bundle, pain


def read(*resources):
    return profile_from_fhir(bundle(*resources))


def test_the_newest_final_score_counts():
    """Of three final scores, the newest sets pain_level; it alone is the source."""
    result = read(
        pain(2, id="a", when="2026-11-01T08:00:00Z"),
        pain(7, id="b", when="2026-12-01T08:00:00Z"),
        pain(4, id="c", when="2026-11-15"),
    )
    assert result.profile.pain_level == 7
    assert result.sources == {"pain_level": ("Observation/b",)}
    assert result.conflicts == ()


@pytest.mark.parametrize("status", ["registered", "preliminary", "cancelled", "entered-in-error"])
def test_a_score_that_is_not_a_result_says_nothing(status):
    """Only final, amended and corrected scores count; a newer draft does not hide an older one."""
    result = read(pain(1, id="draft", when="2026-12-02", status=status), pain(5, id="final"))
    assert result.profile.pain_level == 5
    assert read(pain(1, status=status)).profile.pain_level is None


@pytest.mark.parametrize("status", ["amended", "corrected"])
def test_amended_and_corrected_scores_count(status):
    """An amended or corrected score is a result."""
    assert read(pain(6, status=status)).profile.pain_level == 6


def test_issued_places_a_score_without_effective_time():
    """With no effective[x], the time is ``issued``."""
    result = read(
        pain(3, id="a", when=None, issued="2026-12-02T09:00:00+01:00"),
        pain(8, id="b", when="2026-12-01T09:00:00Z"),
    )
    assert result.profile.pain_level == 3


def test_an_effective_period_is_placed_at_its_end():
    """effectivePeriod counts by its end."""
    result = read(
        pain(3, id="a", when=None, effectivePeriod={"start": "2026-11-01", "end": "2026-12-03"}),
        pain(8, id="b", when="2026-12-01"),
    )
    assert result.profile.pain_level == 3


def test_scores_at_the_same_time_take_the_higher():
    """Two final scores at the same time that disagree: the higher, with a sentence."""
    result = read(pain(3, id="a"), pain(6, id="b"))
    assert result.profile.pain_level == 6
    assert result.conflicts == (
        (
            "The records disagree about pain_level: Observation/a (a pain Observation) says 3, "
            "Observation/b (a pain Observation) says 6. Taken: 6 (from Observation/b), because "
            "it is the riskier value."
        ),
    )


def test_an_undated_score_is_weighed_against_the_newest():
    """A score with no time cannot be placed: it is weighed against the newest, the higher wins."""
    result = read(pain(9, id="undated", when=None), pain(2, id="dated"))
    assert result.profile.pain_level == 9
    assert len(result.conflicts) == 1


def test_an_answer_and_a_score_that_disagree_take_the_higher():
    """A person's answer of 2 against an Observation of 8: 8, the riskier."""
    result = read(pain(8), answers(("pain_level", [{"valueInteger": 2}])))
    assert result.profile.pain_level == 8
    assert result.sources == {"pain_level": ("Observation/o1",)}


def test_a_whole_quantity_is_a_score():
    """valueQuantity with a whole number is read as the score; a fraction is an error."""
    quantity = {"value": 4, "unit": "{score}"}
    assert read(pain(quantity, element="valueQuantity")).profile.pain_level == 4
    with pytest.raises(FhirError) as caught:
        read(pain({"value": 4.5}, element="valueQuantity"))
    assert str(caught.value) == "Observation/o1 valueQuantity.value: 4.5 is not a whole number"
    with pytest.raises(FhirError, match=r"^Observation/o1 valueQuantity.comparator: "):
        read(pain({"value": 4, "comparator": ">"}, element="valueQuantity"))


def test_a_score_out_of_range_names_the_element():
    """A score above the pack's bound is an error naming the Observation and valueInteger."""
    with pytest.raises(FhirError) as caught:
        read(pain(12, id="p1"))
    assert str(caught.value) == "Observation/p1 valueInteger: 12 is above 10"
    assert (caught.value.resource, caught.value.element) == ("Observation/p1", "valueInteger")
    with pytest.raises(FhirError, match=r"^Observation/o1 valueInteger: -1 is below 0$"):
        read(pain(-1))


@pytest.mark.parametrize("value", ["8", True, 8.0])
def test_a_score_that_is_not_an_integer_is_an_error(value):
    """A string, a boolean or a float in valueInteger is refused (fhir.resources would coerce)."""
    with pytest.raises(FhirError, match=r"^Observation/o1 valueInteger: "):
        read(pain(value))


def test_a_score_of_another_type_is_an_error():
    """A pain Observation with valueString is an error naming the element."""
    with pytest.raises(FhirError) as caught:
        read(pain("severe", element="valueString"))
    assert str(caught.value) == (
        "Observation/o1 valueString: a pain_level score is a valueInteger (or valueQuantity)"
    )


def test_no_value_says_nothing():
    """A pain Observation with a dataAbsentReason and no value leaves pain_level unknown."""
    absent = pain(None, element="valueInteger")
    del absent["valueInteger"]
    absent["dataAbsentReason"] = {"text": "asked, declined"}
    assert read(absent).profile.pain_level is None


def test_another_observation_says_nothing():
    """An Observation with another code (a heart rate) is ignored."""
    other = pain(80)
    other["code"] = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
    assert read(other).profile.pain_level is None

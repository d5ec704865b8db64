"""Bad FHIR input: a clear FhirError naming the resource (or its place) and the element."""

from __future__ import annotations

import pickle

import pytest

from neurotriage import NeurotriageError
from neurotriage.fhir import FhirError, profile_from_fhir
from tests.fhirtools import CLINICAL, answers, bundle, condition, pain


def error_of(given):
    with pytest.raises(FhirError) as caught:
        profile_from_fhir(given)
    return caught.value


def test_fhir_error_is_a_neurotriage_error_and_a_value_error():
    """FhirError subclasses the library's base and ValueError, and pickles whole."""
    error = error_of([{"resourceType": "Foo", "id": "x"}])
    assert isinstance(error, NeurotriageError)
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (str(copy), copy.resource, copy.element) == (str(error), error.resource, error.element)


def test_a_resource_type_that_is_not_fhir():
    """A resourceType FHIR does not have is named, with the resource."""
    error = error_of(bundle({"resourceType": "Conditon", "id": "c1"}))
    assert str(error) == "Conditon/c1 resourceType: 'Conditon' is not a FHIR R4 resource type"


def test_no_resource_type():
    """A dict with no resourceType is named by its place in the input."""
    error = error_of([condition("73211009"), {"id": "x2"}])
    assert str(error) == (
        "resources[1] resourceType: missing: every FHIR resource names its resourceType"
    )


def test_a_resource_that_fails_validation_names_the_element():
    """fhir.resources' validation problems are given as FHIR paths of the resource."""
    bad = condition("73211009", id=None)
    bad["code"]["coding"][0]["system"] = 42
    error = error_of(bundle(pain(3), bad))
    assert error.resource == "entry[1] (Condition)"
    assert error.element == "code.coding[0].system"
    assert str(error).startswith("entry[1] (Condition) code.coding[0].system: ")


def test_a_missing_required_element():
    """An Observation without its required status is refused, naming status."""
    bad = pain(3)
    del bad["status"]
    error = error_of([bad])
    assert (error.resource, error.element) == ("Observation/o1", "status")


def test_an_unknown_element_is_refused():
    """A misspelt element (valueInterger) is an error, never silently ignored."""
    error = error_of([pain(3, element="valueInterger")])
    assert (error.resource, error.element) == ("Observation/o1", "valueInterger")


def test_an_unknown_status_code():
    """A clinicalStatus code outside FHIR's value set is an error naming the coding."""
    bad = condition("73211009")
    bad["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "ongoing"}]}
    error = error_of([bad])
    assert str(error) == (
        "Condition/c1 clinicalStatus.coding[0].code: 'ongoing' is not a code of "
        f"{CLINICAL} (one of active, inactive, recurrence, relapse, remission, resolved)"
    )


def test_bad_bundle_shapes():
    """A Bundle without a type, or whose entry is not a list, names the Bundle's element."""
    assert error_of({"resourceType": "Bundle", "id": "b", "entry": []}).element == "type"
    shape = error_of({"resourceType": "Bundle", "id": "b", "type": "collection", "entry": {}})
    assert str(shape) == "Bundle/b entry: a Bundle's entry is a list"


def test_irrelevant_valid_resources_are_ignored_but_checked():
    """A MedicationRequest or a Patient is accepted and says nothing; an invalid one is an error."""
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female"}
    medication = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "metformin"},
    }
    assert dict(profile_from_fhir(bundle(patient, medication)).sources) == {}
    del medication["intent"]
    assert error_of(bundle(patient, medication)).resource == "MedicationRequest/m1"


def test_text_and_other_objects_are_type_errors():
    """JSON text must be parsed first; a number is no input at all."""
    with pytest.raises(TypeError, match=r"json\.loads"):
        profile_from_fhir('{"resourceType": "Bundle"}')
    with pytest.raises(TypeError, match="not int"):
        profile_from_fhir(42)
    with pytest.raises(TypeError, match=r"resources\[0\]: .* not str"):
        profile_from_fhir(["Condition/c1"])
    with pytest.raises(TypeError, match="RuleSet"):
        profile_from_fhir([], rules="rules/")


def test_two_peoples_records_are_refused():
    """Resources about two patients are an error: one person's 'no' must not answer another's."""
    theirs = answers(("open_wounds", [{"valueBoolean": False}]), id="q2")
    theirs["subject"] = {"reference": "Patient/p2"}
    error = error_of(bundle(condition("73211009"), theirs))
    assert str(error) == (
        "QuestionnaireResponse/q2 subject: Patient/p2 is another person than Patient/p1 "
        "(the subject of Condition/c1); read one person's resources at a time"
    )


def test_one_patient_named_in_several_ways_is_one_person():
    """Patient/p1, a full URL ending in it and the Patient's fullUrl are the same subject."""
    record = bundle(
        {"resourceType": "Patient", "id": "p1"},
        condition("73211009"),
        {**pain(3), "subject": {"reference": "https://ehr.example.org/fhir/Patient/p1"}},
        {**condition("95345008", id="c2"), "subject": {"reference": "urn:uuid:4f7a"}},
    )
    record["entry"][0]["fullUrl"] = "urn:uuid:4f7a"
    result = profile_from_fhir(record)
    assert (result.profile.diabetes, result.profile.pain_level, result.profile.open_wounds) == (
        True,
        3,
        True,
    )

"""profile_from_fhir() on Conditions: the code tables, the statuses, and absence kept unknown."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.condition import Condition

from neurotriage import Profile, default_rules
from neurotriage.fhir import FhirProfile, profile_from_fhir
from tests.fhirtools import ICD10, ICD10CM, SNOMED, bundle, condition


def read(*resources):
    return profile_from_fhir(bundle(*resources))


def test_an_active_condition_says_yes_and_names_its_source():
    """An active, confirmed type 2 diabetes Condition sets diabetes; the Condition is its source."""
    result = read(condition("44054006", verification="confirmed"))
    assert isinstance(result, FhirProfile)
    assert isinstance(result.profile, Profile)
    assert result.profile.diabetes is True
    assert dict(result.sources) == {"diabetes": ("Condition/c1",)}
    assert result.conflicts == ()


def test_nothing_said_stays_unknown():
    """A Bundle with no Condition leaves every condition field unknown, never False."""
    result = read({"resourceType": "Patient", "id": "p1"})
    assert result.profile == Profile()
    assert dict(result.sources) == {}


@pytest.mark.parametrize(
    ("system", "code", "field"),
    [
        (SNOMED, "73211009", "diabetes"),
        (SNOMED, "46635009", "diabetes"),
        (ICD10, "E14.9", "diabetes"),
        (ICD10CM, "E11.9", "diabetes"),
        (ICD10CM, "E119", "diabetes"),  # ICD-10 codes match with or without the dot
        (SNOMED, "95345008", "open_wounds"),
        (ICD10CM, "L97.522", "open_wounds"),
        (ICD10CM, "S91.311A", "open_wounds"),
        (ICD10, "S91.3", "open_wounds"),
        (ICD10CM, "L03.031", "foot_infection"),
        (ICD10CM, "L03.116", "foot_infection"),
        (SNOMED, "419100001", "foot_infection"),
    ],
)
def test_each_table_code_answers_its_field(system, code, field):
    """A code of the table, or one under a prefix row, says yes to the row's field."""
    result = read(condition(code, system))
    assert getattr(result.profile, field) is True
    assert result.sources[field] == ("Condition/c1",)


def test_a_code_not_in_the_table_says_nothing():
    """A Condition of another kind (asthma), or a code under no prefix, leaves fields unknown."""
    result = read(condition("195967001"), condition("L03.111", ICD10CM, id="c2"))
    assert result.profile == Profile()


def test_a_code_of_another_system_does_not_match():
    """A SNOMED CT code sent as ICD-10 is not read as the SNOMED concept."""
    assert read(condition("44054006", ICD10CM)).profile.diabetes is None


def test_a_diabetic_complication_also_says_diabetes():
    """E11.621 (type 2 diabetes with foot ulcer) answers both diabetes and open_wounds."""
    result = read(condition("E11.621", ICD10CM, id="ulcer"))
    assert (result.profile.diabetes, result.profile.open_wounds) == (True, True)
    assert result.sources == {"diabetes": ("Condition/ulcer",), "open_wounds": ("Condition/ulcer",)}


@pytest.mark.parametrize("verification", ["unconfirmed", "provisional", "differential", None])
def test_an_unconfirmed_hazard_is_still_a_hazard(verification):
    """An open wound not yet confirmed is read as an open wound: the riskier value."""
    assert read(condition("95345008", verification=verification)).profile.open_wounds is True


@pytest.mark.parametrize("clinical", ["recurrence", "relapse", None])
def test_a_recurrence_or_no_clinical_status_reads_as_active(clinical):
    """A recurring Condition, or one with no clinicalStatus, is read as active (riskier)."""
    assert read(condition("73211009", clinical=clinical)).profile.diabetes is True


def test_entered_in_error_is_ignored():
    """A Condition entered in error says nothing at all."""
    result = read(condition("95345008", verification="entered-in-error", clinical=None))
    assert result.profile.open_wounds is None
    assert dict(result.sources) == {}


def test_refuted_says_no_only_for_a_code_that_covers_the_field():
    """Refuted diabetes mellitus says no; a refuted type 1 diagnosis leaves type 2 open."""
    refuted = read(condition("73211009", clinical=None, verification="refuted"))
    assert refuted.profile.diabetes is False
    assert refuted.sources == {"diabetes": ("Condition/c1",)}
    one_kind = read(condition("46635009", clinical=None, verification="refuted"))
    assert one_kind.profile.diabetes is None
    assert dict(one_kind.sources) == {}


def test_a_refuted_ulcer_does_not_say_there_is_no_open_wound():
    """An ulcer is one kind of open wound: refuted, it leaves open_wounds unknown."""
    for code in ("95345008", "371087003"):
        assert read(condition(code, verification="refuted")).profile.open_wounds is None


@pytest.mark.parametrize("clinical", ["resolved", "inactive", "remission"])
def test_a_cleared_infection_says_no(clinical):
    """A foot infection resolved (or inactive, in remission) says no foot infection."""
    assert read(condition("419100001", clinical=clinical)).profile.foot_infection is False


@pytest.mark.parametrize("clinical", ["resolved", "inactive", "remission"])
def test_resolved_diabetes_or_ulcer_says_nothing(clinical):
    """Diabetes in remission, or a healed ulcer, leaves the field unknown (it is asked)."""
    result = read(
        condition("44054006", clinical=clinical), condition("95345008", id="c2", clinical=clinical)
    )
    assert (result.profile.diabetes, result.profile.open_wounds) == (None, None)


def test_conflicting_records_take_the_riskier_value_and_say_so():
    """One record refutes a foot infection, another says it is active: yes, with a sentence."""
    result = read(
        condition("419100001", id="old", clinical=None, verification="refuted"),
        condition("L03.116", ICD10CM, id="new"),
    )
    assert result.profile.foot_infection is True
    assert result.sources["foot_infection"] == ("Condition/new",)
    assert result.conflicts == (
        (
            "The records disagree about foot_infection: Condition/old (a refuted Condition) "
            "says no, Condition/new (an active Condition) says yes. Taken: yes (from "
            "Condition/new), because it is the riskier value."
        ),
    )


def test_neuropathy_sets_severity_only_from_condition_severity():
    """A neuropathy Condition says its severity by SNOMED code; without one it says nothing."""
    severe = read(condition("424736006", severity="24484000"))
    assert severe.profile.neuropathy_severity == "severe"
    assert severe.profile.diabetes is True  # diabetic peripheral neuropathy
    assert read(condition("G62.9", ICD10)).profile.neuropathy_severity is None
    text_only = {**condition("302226006"), "severity": {"text": "severe"}}
    assert read(text_only).profile.neuropathy_severity is None


def test_two_severities_take_the_more_severe():
    """Mild in one record and moderate in another: moderate, with a sentence."""
    result = read(
        condition("302226006", id="a", severity="255604002"),
        condition("G63", ICD10CM, id="b", severity="6736007"),
    )
    assert result.profile.neuropathy_severity == "moderate"
    assert result.sources["neuropathy_severity"] == ("Condition/b",)
    assert "Taken: moderate (from Condition/b)" in result.conflicts[0]


def test_a_condition_without_id_is_named_by_its_place():
    """With no id, a source is the entry's fullUrl, else its place in the Bundle."""
    given = bundle(condition("73211009", id=None), condition("95345008", id=None))
    given["entry"][0]["fullUrl"] = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    result = profile_from_fhir(given)
    assert result.sources["diabetes"] == ("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",)
    assert result.sources["open_wounds"] == ("entry[1] (Condition)",)


def test_a_list_of_resources_reads_like_a_bundle():
    """An iterable of resources (dicts or fhir.resources models) gives the same profile."""
    model = Condition.model_validate(condition("95345008", id="c2"))
    result = profile_from_fhir([condition("73211009"), model])
    assert (result.profile.diabetes, result.profile.open_wounds) == (True, True)
    assert result.sources["open_wounds"] == ("Condition/c2",)


def test_the_clinical_pack_maps_its_own_fields_by_name():
    """With the clinical pack, its fields with table codes (varicose veins, PAD) are read too."""
    rules = default_rules("neuropathy-foot-care")
    result = profile_from_fhir(
        bundle(
            condition("I83.93", ICD10CM),
            condition("I73.9", ICD10, id="c2"),
            condition("95345008", id="c3"),
        ),
        rules=rules,
    )
    assert isinstance(result.profile, rules.pack.model)
    assert result.profile.varicose_veins is True
    assert result.profile.peripheral_arterial_disease is True
    assert result.profile.open_wounds is True
    # the default pack has no such field: the same Condition says nothing there
    assert dict(profile_from_fhir(bundle(condition("I83.93", ICD10CM))).sources) == {}


def test_a_refuted_record_says_no_only_if_each_of_its_codings_does():
    """Refuted 'diabetes mellitus' coded with the ICD-10-CM type 2 category says nothing."""
    both = condition("73211009", clinical=None, verification="refuted")
    both["code"]["coding"].append({"system": ICD10CM, "code": "E11.9"})
    result = read(both)
    assert result.profile.diabetes is None
    assert dict(result.sources) == {}

"""The code tables: well-formed, each row answers a field of a built-in pack, documented as is."""

from __future__ import annotations

import sys

import pytest

from neurotriage import default_rules
from neurotriage.fhir import profile_from_fhir, questionnaire
from neurotriage.fhir._codes import applies, condition_codes, observation_codes
from tests.conftest import ROOT

SYSTEMS = {
    "http://snomed.info/sct": "SNOMED CT",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://loinc.org": "LOINC",
}


def test_every_condition_row_answers_a_field_of_a_built_in_pack():
    """Each row names a field of the default or the clinical pack that it can answer."""
    packs = [default_rules().pack.fields, default_rules("neuropathy-foot-care").pack.fields]
    for row in condition_codes():
        assert any(applies(fields.get(row.field)) for fields in packs), row
        assert row.system in SYSTEMS
        assert row.source.strip()
        assert row.display.strip()


def test_no_row_is_given_twice():
    """A code and field appear once, so no row hides another."""
    keys = [(row.system, row.code, row.field) for row in condition_codes()]
    assert len(keys) == len(set(keys))


def test_snomed_codes_are_concept_ids_and_match_exactly():
    """SNOMED CT ids are digits and never prefixes (a prefix of an id is another concept)."""
    for row in condition_codes():
        if row.system == "http://snomed.info/sct":
            assert row.code.isdigit()
            assert not row.prefix


def test_the_docs_list_every_code_as_the_tables_have_it():
    """docs/fhir.md's tables are the data files, row for row."""
    page = (ROOT / "docs" / "fhir.md").read_text("utf-8").partition("\n## The code tables\n")[2]
    documented = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in page.splitlines()
        if line.startswith("| `")
    ]
    expected = [
        [
            f"`{row.field}`",
            SYSTEMS[row.system],
            f"`{row.code}`",
            row.display,
            row.source,
        ]
        for row in observation_codes()
    ] + [
        [
            f"`{row.field}`",
            SYSTEMS[row.system],
            f"`{row.code}{'*' if row.prefix else ''}`",
            row.display,
            row.says_no,
            row.source,
        ]
        for row in condition_codes()
    ]
    assert documented == expected


def test_without_fhir_resources_the_error_says_what_to_install(monkeypatch):
    """With fhir.resources missing, reading FHIR raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "fhir.resources", None)
    with pytest.raises(ImportError, match=r"pip install 'neurotriage\[fhir\]'"):
        profile_from_fhir([{"resourceType": "Patient", "id": "p"}])
    assert questionnaire(default_rules())["resourceType"] == "Questionnaire"  # needs no import

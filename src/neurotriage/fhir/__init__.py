"""FHIR R4 in and out: a profile from FHIR resources, a Questionnaire for the open questions.

The optional extra ``neurotriage[fhir]`` (fhir.resources, whose R4 models
are ``fhir.resources.R4B``). See docs/fhir.md.

- :func:`profile_from_fhir` reads a Bundle (or resources): Conditions through
  code tables, the newest pain Observation, QuestionnaireResponse answers by
  ``linkId`` = field name. Absence never means "no".
- :func:`questionnaire` builds the Questionnaire for a decision's open
  questions (or for every question of a pack).
"""

from neurotriage.fhir._errors import FhirError
from neurotriage.fhir._profile import FhirProfile, profile_from_fhir
from neurotriage.fhir._questionnaire import questionnaire

__all__ = ["FhirError", "FhirProfile", "profile_from_fhir", "questionnaire"]

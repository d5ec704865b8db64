"""The code tables: which Condition and Observation codes answer which fields.

The tables are data files of the package, ``codes/conditions.csv`` and
``codes/observations.csv``, one row per code and field, each with its source
(docs/fhir.md lists them). A row applies to a pack only when the pack has a
field of that name that the row can answer (see :func:`applies`).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from neurotriage.fields import FieldSpec

__all__ = [
    "ConditionCode",
    "ObservationCode",
    "SaysNo",
    "applies",
    "condition_codes",
    "matches",
    "observation_codes",
]

#: When a Condition record with this code may say no to its field: ``never`` (only
#: a record of one kind of the field: refuting it leaves the others open),
#: ``refuted`` (verificationStatus refuted) or ``refuted-or-resolved`` (also
#: clinicalStatus inactive, remission or resolved: the hazard has gone).
SaysNo = Literal["never", "refuted", "refuted-or-resolved"]
_SAYS_NO: tuple[SaysNo, ...] = ("never", "refuted", "refuted-or-resolved")

#: Code systems whose codes are matched without their dots (``E11621`` is ``E11.621``).
_DOTTED = frozenset({"http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm"})


@dataclass(frozen=True)
class ConditionCode:
    """One row of ``conditions.csv``: a code (or, ``prefix``, every code under it) -> a field."""

    system: str
    code: str
    prefix: bool
    display: str
    field: str
    says_no: SaysNo
    source: str


@dataclass(frozen=True)
class ObservationCode:
    """One row of ``observations.csv``: an Observation code whose value answers a field."""

    system: str
    code: str
    display: str
    field: str
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("neurotriage.fhir").joinpath("codes", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def condition_codes() -> tuple[ConditionCode, ...]:
    """Every row of the Condition table, in file order."""
    found = []
    for number, row in enumerate(_rows("conditions.csv"), start=2):
        says_no = row["says_no"]
        if row["match"] not in ("exact", "prefix") or says_no not in _SAYS_NO:  # pragma: no cover
            raise ValueError(f"conditions.csv line {number}: bad match or says_no")
        found.append(
            ConditionCode(
                system=row["system"],
                code=row["code"],
                prefix=row["match"] == "prefix",
                display=row["display"],
                field=row["field"],
                says_no=_SAYS_NO[_SAYS_NO.index(says_no)],
                source=row["source"],
            )
        )
    return tuple(found)


@functools.cache
def observation_codes() -> tuple[ObservationCode, ...]:
    """Every row of the Observation table, in file order."""
    return tuple(ObservationCode(**row) for row in _rows("observations.csv"))


def _key(system: str, code: str) -> str:
    code = code.strip().upper()
    return code.replace(".", "") if system in _DOTTED else code


def matches(row: ConditionCode, system: str | None, code: str | None) -> bool:
    """Whether the coding ``system``/``code`` is the row's code (or under it, for a prefix)."""
    if system != row.system or not code:
        return False
    given, wanted = _key(system, code), _key(row.system, row.code)
    return given.startswith(wanted) if row.prefix else given == wanted


#: The values Condition.severity can give, by SNOMED CT code (FHIR's condition-severity set).
SEVERITY = {"255604002": "mild", "6736007": "moderate", "24484000": "severe"}


def applies(spec: FieldSpec | None) -> bool:
    """Whether a Condition row can answer the field ``spec``.

    A bool field whose ``True`` is the risk (not relaxing, risk rising), or an
    enum field with a value named by Condition.severity (mild, moderate,
    severe). Nothing else: a Condition never answers a clearance.
    """
    if spec is None or spec.relaxing or spec.risk != "rising":
        return False
    if spec.kind == "bool":
        return True
    return spec.kind == "enum" and bool(set(spec.values) & set(SEVERITY.values()))


def fields_with_codes(fields: Mapping[str, FieldSpec]) -> frozenset[str]:
    """The fields of a pack that some Condition row answers."""
    return frozenset(row.field for row in condition_codes() if applies(fields.get(row.field)))

"""profile_from_fhir() over drawn Bundles: absence stays unknown, records only add risk."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurotriage import default_rules, evaluate
from neurotriage.decision import REFERRAL_LEVELS
from neurotriage.fhir import profile_from_fhir
from neurotriage.fhir._codes import applies, condition_codes, matches
from tests.fhirtools import answers, condition, pain
from tests.properties.profiles import PROFILES

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = default_rules().pack.fields
ROWS = [row for row in condition_codes() if applies(FIELDS.get(row.field))]
SEVERITIES = [None, "255604002", "6736007", "24484000"]
CLINICAL = [None, "active", "recurrence", "relapse", "inactive", "remission", "resolved"]
VERIFICATION = [None, "confirmed", "unconfirmed", "provisional", "differential", "refuted"]
TIMES = [None, "2026-11-01", "2026-11-01T10:00:00Z", "2026-12-01T08:30:00+01:00", "2026"]


def touched(system: str, code: str) -> set[str]:
    """The fields a Condition with this code may answer (every table row it matches)."""
    return {row.field for row in ROWS if matches(row, system, code)}


@st.composite
def conditions(draw: st.DrawFn, *, active: bool = False) -> tuple[dict[str, Any], set[str]]:
    """A Condition with a table code (a prefix row's code lengthened), any statuses."""
    row = draw(st.sampled_from(ROWS))
    code = row.code + (draw(st.sampled_from(["", "0", "9", ".21"])) if row.prefix else "")
    clinical = "active" if active else draw(st.sampled_from(CLINICAL))
    verification = draw(st.sampled_from(VERIFICATION[:5] if active else VERIFICATION))
    resource = condition(
        code,
        row.system,
        clinical=clinical,
        verification=verification,
        severity=draw(st.sampled_from(SEVERITIES)),
    )
    return resource, touched(row.system, code)


@st.composite
def observations(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    """A pain Observation, of any status, dated or not."""
    status = draw(st.sampled_from(["final", "amended", "corrected", "preliminary"]))
    return pain(draw(st.integers(0, 10)), when=draw(st.sampled_from(TIMES)), status=status), {
        "pain_level"
    }


ANSWERS = {
    "diabetes": st.booleans().map(lambda v: {"valueBoolean": v}),
    "open_wounds": st.booleans().map(lambda v: {"valueBoolean": v}),
    "symptoms_worsening": st.booleans().map(lambda v: {"valueBoolean": v}),
    "cleared_by_clinician": st.booleans().map(lambda v: {"valueBoolean": v}),
    "pain_level": st.integers(0, 10).map(lambda v: {"valueInteger": v}),
    "neuropathy_severity": st.sampled_from(["mild", "moderate", "severe"]).map(
        lambda v: {"valueCoding": {"code": v}}
    ),
}


@st.composite
def responses(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    """A completed QuestionnaireResponse answering a few fields."""
    links = draw(st.lists(st.sampled_from(sorted(ANSWERS)), max_size=3, unique=True))
    return answers(*[(link, [draw(ANSWERS[link])]) for link in links]), set(links)


ENTRIES = st.lists(conditions() | observations() | responses(), max_size=6)


def bundle_of(entries: list[tuple[dict[str, Any], set[str]]]) -> dict[str, Any]:
    """A Bundle of the drawn resources, each with its own id."""
    resources = [{**resource, "id": f"r{index}"} for index, (resource, _) in enumerate(entries)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


def rank(name: str, value: Any) -> int:
    spec = FIELDS[name]
    return -int(value) if spec.relaxing else spec.risk_rank(value)


@SETTINGS
@given(ENTRIES)
def test_a_field_with_no_evidence_stays_unknown(entries):
    """Whatever the Bundle holds, a field no resource can answer keeps its default (unknown)."""
    result = profile_from_fhir(bundle_of(entries))
    reachable = set().union(*(fields for _, fields in entries))
    for name, spec in FIELDS.items():
        if name not in reachable:
            assert getattr(result.profile, name) == spec.default
            assert name not in result.sources
    assert set(result.sources) <= reachable


@SETTINGS
@given(ENTRIES, conditions(active=True))
def test_adding_an_active_condition_never_lowers_risk(entries, added):
    """An active Condition never lowers a field, never turns unknown into no, and where its
    fields were known already, the decision allows no more and refers no lower."""
    before = profile_from_fhir(bundle_of(entries)).profile
    after = profile_from_fhir(bundle_of([*entries, added])).profile
    for name in FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old is None:
            assert new is not False
        else:
            assert new is not None
            assert rank(name, new) >= rank(name, old)
    if all(getattr(before, name) is not None for name in added[1]):
        first, second = evaluate(before), evaluate(after)
        allowed = {t.technique for t in second.allowed_techniques}
        assert allowed <= {t.technique for t in first.allowed_techniques}
        levels = REFERRAL_LEVELS.index
        assert levels(second.referral.level) >= levels(first.referral.level)


@SETTINGS
@given(ENTRIES, st.randoms(use_true_random=False))
def test_the_order_of_the_entries_does_not_matter(entries, random):
    """Shuffled, the same Bundle gives the same profile and the same sources."""
    bundle = bundle_of(entries)
    shuffled = {**bundle, "entry": random.sample(bundle["entry"], len(bundle["entry"]))}
    one, other = profile_from_fhir(bundle), profile_from_fhir(shuffled)
    assert one.profile == other.profile
    assert {k: set(v) for k, v in one.sources.items()} == {
        k: set(v) for k, v in other.sources.items()
    }
    assert len(one.conflicts) == len(other.conflicts)


def response_for(profile: Any) -> dict[str, Any]:
    """A completed QuestionnaireResponse answering every known field of ``profile``."""
    items = []
    for name, spec in FIELDS.items():
        value = getattr(profile, name)
        if value is None:
            continue
        if spec.kind == "bool":
            given = [{"valueBoolean": value}]
        elif spec.kind == "int":
            given = [{"valueInteger": value}]
        elif spec.kind == "enum":
            given = [{"valueCoding": {"code": value}}]
        else:
            given = [{"valueString": n} for n in value] or [{"valueCoding": {"code": "none"}}]
        items.append((name, given))
    return answers(*items)


@SETTINGS
@given(PROFILES)
def test_a_profile_answered_in_full_reads_back_as_itself(profile):
    """Every known value of any profile, sent as answers, gives back that same profile."""
    result = profile_from_fhir(bundle_of([(response_for(profile), set())]))
    assert result.profile == profile
    assert result.conflicts == ()

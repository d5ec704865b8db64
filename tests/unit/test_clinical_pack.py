"""The built-in clinical pack neuropathy-foot-care: its fields, signs, precautions and sources.

Its input space (over 10^14 classes) is proved by the symbolic ``verify``
(tests/unit/test_symbolic.py); here its safety is also checked case by case
and by hypothesis (see docs/clinical-pack.md).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage import Decision, default_rules, evaluate, load_rules
from neurotriage.language import evaluate_condition
from neurotriage.strategies import profiles
from tests.conftest import ROOT, SAFE, available_backends

PACK_DIR = ROOT / "packs" / "neuropathy-foot-care"
PACK = default_rules("neuropathy-foot-care")
SEED = default_rules()
TECHNIQUES = ("gentle_stroking", "circular_motions", "thumb_pressure", "ankle_leg_massage")

#: The contract's new fields, in declaration order. Spelled out, so a renamed field fails.
SIGNS = (
    "dvt_signs",
    "chest_pain_or_breathless",
    "fever",
    "foot_cold_pale_or_rest_pain",
    "gangrene",
    "rapidly_progressing_weakness",
    "hot_swollen_foot",
    "spreading_redness",
    "new_foot_drop_or_asymmetric_weakness",
    "autonomic_symptoms",
)
PRECAUTIONS = (
    "loss_of_protective_sensation",
    "peripheral_arterial_disease",
    "previous_ulcer_or_amputation",
    "foot_deformity",
    "on_anticoagulants",
    "bleeding_disorder",
    "recent_foot_or_leg_surgery_or_fracture",
    "varicose_veins",
    "lymphoedema",
    "dry_cracked_skin_or_calluses",
)
#: Every question answered, nothing worrying: as SAFE for the built-in pack.
CALM: dict[str, Any] = {**SAFE, **dict.fromkeys(SIGNS + PRECAUTIONS, False)}

#: Each urgent sign, as the facts that make it.
URGENT = {
    "dvt_signs": {"dvt_signs": True},
    "chest_pain_or_breathless": {"chest_pain_or_breathless": True},
    "open_wound_with_fever": {"open_wounds": True, "fever": True},
    "foot_infection_with_fever": {"foot_infection": True, "fever": True},
    "foot_cold_pale_or_rest_pain": {"foot_cold_pale_or_rest_pain": True},
    "gangrene": {"gangrene": True},
    "rapidly_progressing_weakness": {"rapidly_progressing_weakness": True},
    "hot_swollen_foot_with_diabetes": {"hot_swollen_foot": True, "diabetes": True},
    "spreading_redness_with_wound": {"spreading_redness": True, "open_wounds": True},
}
SEE_DOCTOR = (
    "spreading_redness",
    "new_foot_drop_or_asymmetric_weakness",
    "autonomic_symptoms",
    "fever",
    "hot_swollen_foot",
)
#: Each red flag of pack.yaml alone, as the facts that make it.
RED_FLAGS = [
    *({sign: True} for sign in SIGNS),
    {"open_wounds": True},
    {"foot_infection": True},
    {"pain_level": 7},
    {"pain_level": 10},
    {"symptoms_worsening": True},
]

#: Each precaution that keeps gentle work once cleared: what it blocks, the rule, its warning.
RESTRICTIONS = {
    "loss_of_protective_sensation": ({"thumb_pressure"}, "lops-no-thumb-pressure", "numb-feet"),
    "peripheral_arterial_disease": (
        {"thumb_pressure"},
        "pad-no-thumb-pressure",
        "poor-circulation",
    ),
    "on_anticoagulants": (
        {"thumb_pressure"},
        "anticoagulants-no-thumb-pressure",
        "blood-thinners",
    ),
    "bleeding_disorder": (
        {"thumb_pressure"},
        "bleeding-disorder-no-thumb-pressure",
        "bleeding-disorder",
    ),
    "lymphoedema": ({"thumb_pressure"}, "lymphoedema-gentle-only", "lymphoedema"),
    "previous_ulcer_or_amputation": (
        {"thumb_pressure", "circular_motions"},
        "ulcer-history-no-sole-work",
        "healed-ulcer-skin",
    ),
    "foot_deformity": (
        {"thumb_pressure", "circular_motions"},
        "deformity-no-sole-work",
        "foot-deformity",
    ),
    "dry_cracked_skin_or_calluses": (
        {"circular_motions"},
        "dry-skin-no-circular-motions",
        "dry-skin-care",
    ),
}
BACKENDS = available_backends()
#: A source's confidence mark, at the end of its section: G, T, V, G-ish, combined.
MARK = re.compile(r"\((?:[^()]*\b)?(?:G|T|V|G-ish)(?:\b[^()]*)?\)$")


def decide(backend: str = "reference", **changes: Any) -> Decision:
    """The pack's decision for CALM with ``changes``."""
    return evaluate({**CALM, **changes}, rules=PACK, backend=backend)


def allowed(decision: Decision) -> set[str]:
    """The ids of the techniques a decision allows."""
    return {t.technique for t in decision.allowed_techniques}


def reasons(decision: Decision, technique: str) -> dict[str, str]:
    """Rule id -> message of every reason ``technique`` is blocked."""
    (blocked,) = [b for b in decision.blocked_techniques if b.technique == technique]
    return {r.rule_id: r.message for r in blocked.reasons}


# --- the pack ------------------------------------------------------------------------------


def test_the_pack_is_built_in_and_selected_by_name():
    """default_rules names the pack; no name is still the seed's pack."""
    assert PACK is default_rules("neuropathy-foot-care")
    assert (PACK.pack.id, PACK.pack.version) == ("neuropathy-foot-care", "2026.12.0")
    assert PACK.version.startswith("2026.12.0+")
    assert PACK.version == load_rules(PACK_DIR).version
    assert default_rules().pack.id == "foot-massage-for-neuropathy"
    with pytest.raises(ValueError, match="foot-massage-for-neuropathy, neuropathy-foot-care"):
        default_rules("neuropathy")


def test_fields_are_the_seeds_and_the_contracts_new_ones():
    """All 11 seed fields, declared as there, and the 20 new ones: unknown by default."""
    fields = PACK.pack.fields
    assert set(fields) == set(SEED.pack.fields) | set(SIGNS) | set(PRECAUTIONS)
    assert len(fields) == 31
    for name, spec in SEED.pack.fields.items():
        # the same declaration; the seed's model (Profile) also says how to act on a field
        assert dataclasses.replace(fields[name], action=spec.action) == spec, name
    model = PACK.pack.model
    for name in SIGNS + PRECAUTIONS:
        spec = fields[name]
        assert (spec.kind, spec.nullable, spec.default, spec.relaxing) == (
            "bool",
            True,
            None,
            False,
        )
        assert spec.description
        assert spec.question.endswith("?")
        assert model.model_fields[name].default is None
    assert PACK.pack.relaxing == ("cleared_by_clinician",)


def test_every_seed_rule_is_kept_with_its_effects():
    """The seed's rules, invariants and catalogue are in the pack unchanged."""
    for rule in SEED.rules:
        ours = PACK.rule(rule.id)
        assert (ours.when, ours.block, ours.refer, ours.warn, ours.ask, ours.verdict) == (
            rule.when,
            rule.block,
            rule.refer,
            rule.warn,
            rule.ask,
            rule.verdict,
        ), rule.id
        assert ours.source == rule.source
    assert {i.id for i in SEED.invariants} <= {i.id for i in PACK.invariants}
    assert PACK.technique_ids == SEED.technique_ids == TECHNIQUES
    assert [t.id for t in PACK.therapies] == [t.id for t in SEED.therapies]


def test_the_seed_rule_files_are_copies():
    """Each seed rule file is copied byte for byte, but for the pack's version."""
    for seed in sorted((ROOT / "rules").glob("*.yaml")):
        if seed.name == "pack.yaml":
            continue
        copied = (PACK_DIR / seed.name).read_text(encoding="utf-8")
        expected = seed.read_text(encoding="utf-8").replace(
            'version: "2026.11.0"', 'version: "2026.12.0"'
        )
        assert copied == expected, seed.name


def test_every_rule_file_declares_the_packs_version():
    """A rule file's version is pack.yaml's, or it declares none (the seed's copies)."""
    for path in sorted(PACK_DIR.glob("*.yaml")):
        versions = re.findall(r'^version: "([^"]+)"$', path.read_text(encoding="utf-8"), re.M)
        assert versions in ([], ["2026.12.0"]), path.name


def test_every_rule_cites_a_source_with_a_confidence_mark():
    """Seed rules cite the article; every other rule and invariant a source, section and mark."""
    seed_ids = {r.id for r in SEED.rules} | {i.id for i in SEED.invariants}
    for item in (*PACK.rules, *PACK.invariants):
        assert item.source is not None, item.id
        assert item.source.document, item.id
        assert item.source.section, item.id
        if item.id in seed_ids:
            assert item.source.document == "foot-massage-for-neuropathy", item.id
        else:
            assert MARK.search(item.source.section), (item.id, item.source.section)


def test_red_flags_are_every_urgent_and_see_doctor_sign_and_the_seeds():
    """pack.yaml's red flags hold for each sign alone, and for each of the seed's."""
    condition, specs = PACK.pack.red_flag_condition, PACK.pack.fields
    assert condition is not None
    for facts in RED_FLAGS:
        assert evaluate_condition(condition, {**CALM, **facts}, specs), facts
    assert not evaluate_condition(condition, CALM, specs)


def test_every_urgent_sign_has_an_invariant():
    """Each urgent sign is declared: nothing allowed and an urgent referral, whatever else."""
    specs = PACK.pack.fields
    urgent = [i for i in PACK.invariants if i.referral_at_least == "urgent"]
    for name, facts in URGENT.items():
        if name in ("foot_infection_with_fever", "spreading_redness_with_wound"):
            continue  # beyond the contract: checked by the tests below
        assert any(
            evaluate_condition(i.condition, {**CALM, **facts}, specs)
            and i.allowed_only == frozenset()
            for i in urgent
        ), name


# --- signs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", URGENT, ids=list(URGENT))
@pytest.mark.parametrize("cleared", [False, True], ids=["uncleared", "cleared"])
def test_an_urgent_sign_allows_nothing_and_refers_urgently(backend, sign, cleared):
    """An urgent sign: no technique, referral urgent, verdict see_doctor, clearance or not."""
    decision = decide(backend, cleared_by_clinician=cleared, **URGENT[sign])
    assert decision.allowed_techniques == ()
    assert decision.referral.level == "urgent"
    assert decision.verdict == "see_doctor"
    assert any(w.severity == "danger" for w in decision.warnings)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", SEE_DOCTOR)
def test_a_see_doctor_sign_allows_nothing_and_refers_to_a_doctor(backend, sign):
    """Alone, a see-a-doctor sign blocks everything and refers to a doctor, not urgently."""
    decision = decide(backend, cleared_by_clinician=True, **{sign: True})
    assert decision.allowed_techniques == ()
    assert (decision.referral.level, decision.verdict) == ("see_doctor", "see_doctor")


def test_a_hot_swollen_foot_is_urgent_unless_known_not_diabetic():
    """The Charcot rule: urgent with diabetes or an unknown answer, see_doctor without."""
    assert decide(hot_swollen_foot=True).referral.level == "see_doctor"
    assert decide(hot_swollen_foot=True, diabetes=True).referral.level == "urgent"
    unknown = decide(hot_swollen_foot=True, diabetes=None)
    assert unknown.referral.level == "urgent"
    assert "diabetes" in unknown.questions


# --- precautions ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("field", RESTRICTIONS)
def test_a_restriction_blocks_its_techniques_and_leaves_gentle_work_once_cleared(backend, field):
    """Cleared: its techniques blocked with its reason, its warning given, the rest allowed."""
    blocked, rule_id, code = RESTRICTIONS[field]
    decision = decide(backend, cleared_by_clinician=True, **{field: True})
    assert allowed(decision) == set(TECHNIQUES) - blocked
    assert "gentle_stroking" in allowed(decision)
    assert decision.verdict == "proceed"
    for technique in blocked:
        assert reasons(decision, technique) == {rule_id: PACK.rule(rule_id).description}
    assert code in {w.code for w in decision.warnings}


@pytest.mark.parametrize(
    ("field", "why"),
    [
        ("loss_of_protective_sensation", "cannot feel"),
        ("peripheral_arterial_disease", "blood supply is poor"),
        ("on_anticoagulants", "bruising and bleeding"),
        ("bleeding_disorder", "bruising and bleeding"),
    ],
)
def test_the_thumb_pressure_block_says_why(field, why):
    """The reason thumb pressure is blocked names the risk, not only the fact."""
    (message,) = reasons(decide(**{field: True}), "thumb_pressure").values()
    assert why in message
    assert "no thumb pressure" in message


@pytest.mark.parametrize("field", ["loss_of_protective_sensation", "on_anticoagulants"])
def test_a_thumb_restriction_alone_does_not_wait_for_clearance(field):
    """Without clearance, gentle work stays allowed, with the advice to consult first."""
    decision = decide(**{field: True})
    assert decision.verdict == "consult_first"
    assert decision.referral.level == "consult_before_starting"
    assert "thumb_pressure" not in allowed(decision)
    assert "gentle_stroking" in allowed(decision)


@pytest.mark.parametrize("backend", BACKENDS)
def test_recent_surgery_blocks_everything_until_cleared(backend):
    """Recent surgery or a fracture: nothing until cleared, then everything, with its warning."""
    waiting = decide(backend, recent_foot_or_leg_surgery_or_fracture=True)
    assert waiting.allowed_techniques == ()
    assert (waiting.verdict, waiting.referral.level) == (
        "needs_clearance",
        "consult_before_starting",
    )
    cleared = decide(
        backend, recent_foot_or_leg_surgery_or_fracture=True, cleared_by_clinician=True
    )
    assert allowed(cleared) == set(TECHNIQUES)
    for decision in (waiting, cleared):
        assert "recent-surgery-or-fracture" in {w.code for w in decision.warnings}


@pytest.mark.parametrize(
    "facts",
    [
        {"lymphoedema": True},
        {"previous_ulcer_or_amputation": True},
        {"loss_of_protective_sensation": True, "peripheral_arterial_disease": True},
        {"loss_of_protective_sensation": True, "foot_deformity": True},
        {"peripheral_arterial_disease": True, "foot_deformity": True},
    ],
    ids=["lymphoedema", "ulcer-history", "lops-pad", "lops-deformity", "pad-deformity"],
)
def test_a_high_risk_foot_waits_for_clearance(facts):
    """IWGDF risk 2-3 and lymphoedema: nothing until cleared, gentle stroking after."""
    assert decide(**facts).allowed_techniques == ()
    assert decide(**facts).verdict == "needs_clearance"
    assert "gentle_stroking" in allowed(decide(cleared_by_clinician=True, **facts))


def test_varicose_veins_hold_back_leg_massage_until_cleared():
    """Varicose veins: no lower-leg massage until cleared; the warning always."""
    waiting, cleared = (
        decide(varicose_veins=True),
        decide(varicose_veins=True, cleared_by_clinician=True),
    )
    assert allowed(waiting) == set(TECHNIQUES) - {"ankle_leg_massage"}
    assert allowed(cleared) == set(TECHNIQUES)
    assert all("varicose-veins" in {w.code for w in d.warnings} for d in (waiting, cleared))


# --- unknowns ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sign", SIGNS)
def test_an_unknown_sign_blocks_everything_and_is_asked(backend, sign):
    """An unanswered urgent or see-a-doctor sign: nothing allowed, even cleared; it is asked."""
    decision = decide(backend, cleared_by_clinician=True, **{sign: None})
    assert decision.allowed_techniques == ()
    assert decision.verdict == "needs_answers"
    assert decision.questions == (sign,)
    assert decision.referral.level == "none"  # an unknown never raises the referral by itself


@pytest.mark.parametrize("field", PRECAUTIONS)
def test_an_unknown_precaution_blocks_what_it_would_block(field):
    """Uncleared: nothing allowed. Cleared: what the true answer blocks. Asked both times."""
    assert decide(**{field: None}).allowed_techniques == ()
    assert decide(**{field: None}).questions == (field,)
    unknown = decide(cleared_by_clinician=True, **{field: None})
    known = decide(cleared_by_clinician=True, **{field: True})
    assert allowed(unknown) <= allowed(known)
    assert unknown.questions == (field,)


def test_an_empty_profile_asks_every_question():
    """With nothing known, nothing is allowed and every unknown field is asked."""
    decision = evaluate({}, rules=PACK)
    assert decision.allowed_techniques == ()
    assert decision.verdict == "needs_answers"
    nullable = [n for n, spec in PACK.pack.fields.items() if spec.nullable]
    assert sorted(decision.questions) == sorted(nullable)


# --- properties ----------------------------------------------------------------------------


@st.composite
def urgent_profiles(draw: st.DrawFn) -> Any:
    """Any profile of the pack, with one urgent sign's facts set."""
    facts = draw(st.sampled_from(list(URGENT.values())))
    return draw(profiles(PACK, fixed=facts))


@settings(max_examples=150, deadline=None)
@given(urgent_profiles())
def test_any_profile_with_an_urgent_sign_allows_nothing(profile: Any):
    """Whatever else is true or unknown, an urgent sign allows nothing and refers urgently."""
    decision = evaluate(profile, rules=PACK)
    assert decision.allowed_techniques == ()
    assert decision.referral.level == "urgent"
    assert decision.verdict in ("see_doctor", "stop")


@st.composite
def red_flag_profiles(draw: st.DrawFn) -> Any:
    """Any profile of the pack with one red flag set.

    Not ``neurotriage.strategies.red_flag_profiles``: over this pack's 14 red-flag
    fields it takes seconds to build.
    """
    return draw(profiles(PACK, fixed=draw(st.sampled_from(RED_FLAGS))))


@settings(max_examples=100, deadline=None)
@given(red_flag_profiles())
def test_any_red_flag_profile_allows_nothing(profile: Any):
    """The pack's red flags: nothing allowed, at least a doctor, whatever else is true."""
    decision = evaluate(profile, rules=PACK)
    assert decision.allowed_techniques == ()
    assert decision.referral.level in ("see_doctor", "urgent")
    assert decision.verdict in ("see_doctor", "stop")


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable-rules is not available here")
@settings(max_examples=60, deadline=None)
@given(profiles(PACK))
def test_the_backends_agree_on_the_pack(profile: Any):
    """durable and reference fire the same rules for any profile of the pack."""
    assert evaluate(profile, rules=PACK, backend="durable") == evaluate(
        profile, rules=PACK, backend="reference"
    )

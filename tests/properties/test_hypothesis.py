"""Safety properties 1-7 on the default rule set, sampled with hypothesis."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurotriage import Profile, RuleSet, default_rules, evaluate
from neurotriage.profile import field_specs
from tests.conftest import available_backends, requires_durable
from tests.properties import safety
from tests.properties.profiles import CONDITIONS, PROFILES

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = st.sampled_from(available_backends())


@st.composite
def riskier(draw: st.DrawFn, profile: Profile) -> tuple[str, Profile]:
    """One risk factor of ``profile`` turned up (from a known value)."""
    specs = field_specs()
    name = draw(st.sampled_from(safety.RISK_FIELDS))
    value = getattr(profile, name)
    spec = specs[name]
    if spec.kind == "bool":
        higher: Any = True if value is False else value
    elif spec.kind == "enum":
        start = spec.values.index(value) if value is not None else len(spec.values) - 1
        higher = draw(st.sampled_from(spec.values[start:]))
    elif spec.kind == "int":
        higher = draw(st.integers(value, 10)) if value is not None else None
    else:
        higher = sorted({*value, draw(CONDITIONS.filter(bool))[0]}) if value is not None else None
    return name, profile.model_copy(update={name: higher})


@SETTINGS
@given(PROFILES, BACKENDS)
def test_allowed_and_blocked_partition_the_catalogue(profile, backend):
    """Property 1: every technique is either allowed or blocked (with a reason)."""
    catalogue = set(default_rules().technique_ids)
    safety.check_partition(evaluate(profile, backend=backend), catalogue)


@SETTINGS
@given(
    PROFILES,
    st.sampled_from(["open_wounds", "foot_infection", "pain", "symptoms_worsening"]),
    st.integers(7, 10),
    BACKENDS,
)
def test_red_flags_allow_nothing_whatever_else(profile, flag, pain, backend):
    """Property 2: a red flag allows nothing and refers to a doctor, clearance or not."""
    update: dict[str, Any] = {"pain_level": pain} if flag == "pain" else {flag: True}
    flagged = profile.model_copy(update=update)
    decision = evaluate(flagged, backend=backend)
    safety.check_red_flag(flagged, decision)
    assert decision.allowed_techniques == ()


@SETTINGS
@given(st.data(), PROFILES, BACKENDS)
def test_more_risk_is_never_safer(data, profile, backend):
    """Property 3: turning a risk factor up never adds, lowers or removes safety."""
    name, higher = data.draw(riskier(profile))
    safety.check_riskier(
        evaluate(profile, backend=backend), evaluate(higher, backend=backend), (name, profile)
    )


@SETTINGS
@given(PROFILES, st.sampled_from([n for n, s in field_specs().items() if s.nullable]), BACKENDS)
def test_unknown_is_never_safer(profile, name, backend):
    """Property 4: forgetting an answer never adds an allowed technique."""
    unknown = profile.model_copy(update={name: None})
    safety.check_unknown_not_safer(
        evaluate(profile, backend=backend), evaluate(unknown, backend=backend), (name, profile)
    )


@SETTINGS
@given(PROFILES, BACKENDS)
def test_clearance_only_relaxes(profile, backend):
    """Property 5: being cleared never removes a technique nor raises the referral."""
    before = profile.model_copy(update={"cleared_by_clinician": False})
    after = profile.model_copy(update={"cleared_by_clinician": True})
    safety.check_clearance_relaxes(
        evaluate(before, backend=backend), evaluate(after, backend=backend), profile
    )


@settings(max_examples=40, deadline=None)
@given(st.permutations(default_rules().rules), st.lists(PROFILES, min_size=1, max_size=5), BACKENDS)
def test_decisions_are_deterministic_and_order_free(order, profiles, backend):
    """Property 6: same input, same decision; shuffling the rules changes nothing."""
    base: RuleSet = default_rules()
    shuffled = base.reordered(order)
    for profile in profiles:
        first = evaluate(profile, backend=backend)
        assert evaluate(profile, backend=backend) == first
        assert evaluate(profile, rules=shuffled, backend=backend) == first


@requires_durable
@SETTINGS
@given(PROFILES)
def test_backends_agree(profile):
    """Property 7: every available backend gives the identical decision."""
    decisions = [evaluate(profile, backend=b) for b in available_backends()]
    assert all(d == decisions[0] for d in decisions)


@SETTINGS
@given(PROFILES)
def test_concrete_profile_decides_like_its_class_representative(profile):
    """A profile and its input-space representative get the same decision."""
    from neurotriage.analysis import input_space  # noqa: PLC0415

    space = input_space(default_rules())
    representative = space.representative(profile)
    assert evaluate(representative, backend="reference") == evaluate(profile, backend="reference")

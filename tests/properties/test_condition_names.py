"""Condition names: one normal form, the same for profiles and rules, on random text."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from neurotriage import Profile
from neurotriage._names import normalise_name
from neurotriage.language import evaluate_condition, parse_condition
from neurotriage.profile import field_specs

SETTINGS = settings(max_examples=500, deadline=None)
SPECS = field_specs()

#: Characters that exercise every step of the normal form, mixed with any text.
TRICKY = st.sampled_from(
    [
        *"kidney disease KIDNEY",
        *".,;:!?-'\"()[]{}",
        "\u200b",  # zero-width space
        "\u00ad",  # soft hyphen
        "\ufeff",  # byte order mark
        "\u200d",  # zero-width joiner
        "\u00a0",  # no-break space
        "\u3000",  # ideographic space
        "\uff4b",  # fullwidth k
        "\ufb01",  # fi ligature
        "\u00df",  # sharp s
        "\u0130",  # I with dot above
        "\u0301",  # combining acute
        "\u0345",  # combining ypogegrammeni
        "\u01f0",  # j with caron
        "\u2019",  # right single quotation mark
        "\u2013",  # en dash
        "\u2212",  # minus sign
        "\u0435",  # Cyrillic e
        "\u03b1",  # Greek alpha
        "\u7cd6",  # a Han character
        "\u3068",  # a Hiragana character
    ]
)
NAMES = st.text(TRICKY | st.characters(exclude_categories=["Cs"]), max_size=60)  # no surrogates


def normal_or_none(text: str) -> str | None:
    """The normal form of ``text``, or None if it has none."""
    try:
        return normalise_name(text)
    except ValueError:
        return None


@SETTINGS
@given(NAMES)
def test_normalising_is_idempotent(text: str):
    """A normal form is its own normal form."""
    normal = normal_or_none(text)
    assume(normal is not None)
    assert normalise_name(normal) == normal


@SETTINGS
@given(NAMES)
def test_a_profile_and_a_rule_agree_on_every_name(text: str):
    """A profile naming x holds exactly what a rule naming normalise(x) tests, if x has one."""
    normal = normal_or_none(text)
    try:
        profile = Profile(other_conditions=[text])
    except ValueError:  # pydantic's ValidationError is a ValueError
        assert normal is None
        return
    assert profile.other_conditions == [normal]
    assert normal is not None
    # the language has no escapes: a name with a backslash or both quotes cannot be written
    assume("\\" not in normal and not ('"' in normal and "'" in normal))
    quote = "'" if '"' in normal else '"'
    condition = parse_condition(f"{quote}{normal}{quote} in other_conditions", SPECS)
    assert evaluate_condition(condition, profile.model_dump(), SPECS) is True

"""The normal form of condition names, shared by profiles and rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from neurotriage import Profile
from neurotriage._names import MAX_CONDITION_LENGTH, normalise_name
from neurotriage.profile import MAX_CONDITION_LENGTH as PROFILE_MAX_CONDITION_LENGTH


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        pytest.param("asthma", "asthma", id="already-normal"),
        pytest.param("  Heart \t\n Disease ", "heart disease", id="case-and-spaces"),
        pytest.param("kidney\u200b disease", "kidney disease", id="zero-width-space"),
        pytest.param("kid\u200bney disease", "kidney disease", id="zero-width-space-in-word"),
        pytest.param("kid\u00adney disease", "kidney disease", id="soft-hyphen"),
        pytest.param("\ufeffkidney disease", "kidney disease", id="byte-order-mark"),
        pytest.param("kid\u200dney\u200c disease\u2060", "kidney disease", id="joiners"),
        pytest.param("\u200ekidney disease\u200f", "kidney disease", id="direction-marks"),
        pytest.param(
            "\uff4b\uff49\uff44\uff4e\uff45\uff59 disease", "kidney disease", id="fullwidth"
        ),
        pytest.param("KIDNEY\u00a0DISEASE", "kidney disease", id="no-break-space"),
        pytest.param("kidney\u3000disease", "kidney disease", id="ideographic-space"),
        pytest.param("\ufb01brosis", "fibrosis", id="ligature"),
        pytest.param("Morbus Basedow Stra\u00dfe", "morbus basedow strasse", id="sharp-s"),
        pytest.param("Kidney Disease.", "kidney disease", id="trailing-dot"),
        pytest.param("\u201cKidney disease\u201d!", "kidney disease", id="quotes-around"),
        pytest.param("- kidney disease;", "kidney disease", id="list-punctuation"),
        pytest.param("(kidney disease)", "kidney disease", id="brackets-around"),
        pytest.param("Type 2 Diabetes (T2D).", "type 2 diabetes (t2d)", id="brackets-inside"),
        pytest.param("(T2D) diabetes", "(t2d) diabetes", id="brackets-leading"),
        pytest.param("type-2 diabetes", "type-2 diabetes", id="inner-hyphen"),
        pytest.param("type\u20132 diabetes", "type-2 diabetes", id="en-dash"),
        pytest.param("type\u20112 diabetes", "type-2 diabetes", id="non-breaking-hyphen"),
        pytest.param("type\u22122 diabetes", "type-2 diabetes", id="minus-sign"),
        pytest.param("Crohn\u2019s disease", "crohn's disease", id="right-quote-apostrophe"),
        pytest.param("Crohn\u02bcs disease", "crohn's disease", id="modifier-apostrophe"),
        pytest.param("Crohn's disease", "crohn's disease", id="ascii-apostrophe"),
        pytest.param("caf\u0065\u0301 au lait", "caf\u00e9 au lait", id="composed"),
        pytest.param(
            "\u0414\u0438\u0430\u0431\u0435\u0442",
            "\u0434\u0438\u0430\u0431\u0435\u0442",
            id="cyrillic",
        ),
        pytest.param("\u03b2-thalassemia", "\u03b2-thalassemia", id="greek-word-then-latin"),
        pytest.param("\u7cd6\u5c3f\u75c5", "\u7cd6\u5c3f\u75c5", id="han"),
        pytest.param("\u3068\u3046\u5c3f\u75c5", "\u3068\u3046\u5c3f\u75c5", id="kana-and-han"),
        pytest.param("covid-19", "covid-19", id="digits"),
    ],
)
def test_names_are_normalised(written: str, normal: str):
    """Width, case, invisible characters, dashes, apostrophes and surrounding punctuation go."""
    assert normalise_name(written) == normal
    assert normalise_name(normal) == normal


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("", id="empty"),
        pytest.param(" \t\n", id="spaces"),
        pytest.param("...", id="punctuation"),
        pytest.param("\u200b\u00ad\ufeff", id="invisible"),
        pytest.param("( - )", id="brackets"),
    ],
)
def test_blank_names_are_refused(written: str):
    """A name with nothing left once normalised is a ValueError starting with the subject."""
    with pytest.raises(ValueError, match=r"^item 4 is blank; name the condition or leave it out$"):
        normalise_name(written, subject="item 4")


def test_too_long_names_are_refused():
    """A name over the limit is refused; the message says when only normalising made it so."""
    with pytest.raises(ValueError, match=r"^the name is longer than 200 characters$"):
        normalise_name("x" * (MAX_CONDITION_LENGTH + 1))
    expands = "\ufdfa" * 12  # 12 characters, 216 once normalised
    with pytest.raises(
        ValueError, match=r"^the name is longer than 200 characters once normalised$"
    ):
        normalise_name(expands)
    assert normalise_name("x" * MAX_CONDITION_LENGTH) == "x" * MAX_CONDITION_LENGTH


@pytest.mark.parametrize(
    ("written", "message"),
    [
        pytest.param(
            "kidn\u0435y disease",
            "the name mixes Latin and Cyrillic letters in the word 'kidn\u0435y' "
            "(Cyrillic '\u0435', U+0435): a look-alike letter? Write each word in one alphabet",
            id="cyrillic-e",
        ),
        pytest.param(
            "\u0441ancer",
            "the name mixes Latin and Cyrillic letters in the word '\u0441ancer' "
            "(Cyrillic '\u0441', U+0441): a look-alike letter? Write each word in one alphabet",
            id="cyrillic-first",
        ),
        pytest.param(
            "\u0430\u0441\u0442\u04bbma",
            "the name mixes Cyrillic and Latin letters in the word '\u0430\u0441\u0442\u04bbma' "
            "(Latin 'm', U+006D): a look-alike letter? Write each word in one alphabet",
            id="latin-minority",
        ),
        pytest.param(
            "\u03bfsteoporosis",
            "the name mixes Latin and Greek letters in the word '\u03bfsteoporosis' "
            "(Greek '\u03bf', U+03BF): a look-alike letter? Write each word in one alphabet",
            id="greek-omicron",
        ),
    ],
)
def test_words_mixing_scripts_are_refused(written: str, message: str):
    """A word with letters of two scripts is refused, naming the odd letter and its code point."""
    with pytest.raises(ValueError, match="mixes") as info:
        normalise_name(written)
    assert str(info.value) == message


def test_one_limit_for_profiles_and_rules():
    """Profiles and rules share one length limit."""
    assert PROFILE_MAX_CONDITION_LENGTH is MAX_CONDITION_LENGTH


def test_a_profile_refuses_a_name_that_grows_past_the_limit():
    """A 12-character name that NFKC expands to 216 is a ValidationError naming the item."""
    with pytest.raises(ValidationError) as info:
        Profile(other_conditions=["gout", "\ufdfa" * 12])
    [error] = info.value.errors()
    assert error["loc"] == ("other_conditions",)
    assert error["msg"] == "Value error, item 1 is longer than 200 characters once normalised"


def test_a_normal_form_is_a_valid_profile_item():
    """Every normal form is kept as it is by Profile, which analysis relies on."""
    names = ["kidney disease", "type 2 diabetes (t2d)", "crohn's disease", "\u7cd6\u5c3f\u75c5"]
    assert Profile(other_conditions=names).other_conditions == sorted(names)

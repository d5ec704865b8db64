"""Profile.model_validate_json, which our own hint recommended, let a duplicated key win.

``{"open_wounds": true, "open_wounds": false}`` read as no open wounds and gave
proceed. ``Profile.from_json`` refuses duplicate keys, as the CLI does, and the
hint for JSON text passed to evaluate() points there.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from neurotriage import Profile, evaluate


@pytest.mark.parametrize(
    "text",
    [
        '{"open_wounds": true, "open_wounds": false}',
        b'{"open_wounds": true, "open_wounds": false}',
        '{"pain_level": 8, "diabetes": true, "pain_level": 2}',
    ],
)
def test_from_json_refuses_a_duplicate_key(text):
    """A key given twice is a ValidationError naming it."""
    with pytest.raises(ValidationError) as info:
        Profile.from_json(text)
    (error,) = info.value.errors()
    assert error["type"] == "json_duplicate_key"
    assert error["loc"][0] in ("open_wounds", "pain_level")
    assert error["msg"].endswith("is given more than once; give each field once")


def test_from_json_reads_a_profile():
    """Valid JSON gives the same Profile as model_validate_json."""
    text = '{"open_wounds": true, "pain_level": 3, "other_conditions": ["Asthma"]}'
    assert Profile.from_json(text) == Profile.model_validate_json(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('{"open_wounds": tru', "json_invalid"),
        ('{"open_wounds": "true"}', "bool_type"),
        ('{"pain_level": 1' + "0" * 50 + "}", "less_than_equal"),
        ('{"pain_level": 1' + "0" * 5000 + "}", "int_type"),
        ('{"pain_level": NaN}', "int_type"),
        ("[1, 2]", "model_type"),
    ],
)
def test_from_json_other_problems_are_pydantics(text, kind):
    """Anything else wrong is pydantic's own ValidationError, naming the field where it has one."""
    with pytest.raises(ValidationError) as info:
        Profile.from_json(text)
    (error,) = info.value.errors()
    assert error["type"] == kind
    if "pain_level" in text:
        assert error["loc"] == ("pain_level",)


def test_evaluate_hint_points_at_from_json():
    """JSON text passed to evaluate() is a TypeError that names Profile.from_json()."""
    with pytest.raises(TypeError, match=r"for JSON text use Profile\.from_json\(\)$"):
        evaluate('{"open_wounds": true}')  # type: ignore[arg-type]

"""A deeply nested profile got another message on Python 3.13 than on 3.11.

json.loads raised RecursionError on 5,000 levels on 3.11 but parsed them on
3.13, so evaluate-many said "nested too deeply" on one and named a field on
the other. The nesting limit is now neurotriage's own, the same everywhere.
"""

from __future__ import annotations

import pytest

from neurotriage.cli._inputs import MAX_NESTING, InputError, parse_profile
from neurotriage.profile import Profile


@pytest.mark.parametrize("depth", [MAX_NESTING, 100, 5000])
def test_too_deep_is_refused_the_same_way_everywhere(depth):
    """Nesting past the limit is 'nested too deeply', whatever json.loads can parse."""
    text = '{"other_conditions": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(InputError, match=r"^is not a valid profile: it is nested too deeply$"):
        parse_profile(text, Profile)


def test_nesting_up_to_the_limit_is_judged_by_its_fields():
    """Just under the limit, the field with the wrong value is named."""
    depth = MAX_NESTING - 1
    text = '{"other_conditions": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(InputError, match=r"field 'other_conditions\.0'"):
        parse_profile(text, Profile)

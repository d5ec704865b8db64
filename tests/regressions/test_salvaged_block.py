"""A rule whose ``block`` fails validation is still checked without crashing the loader."""

from __future__ import annotations

import pytest

from neurotriage import RuleError, load_rules
from tests.rulefiles import with_catalogue


@pytest.mark.parametrize("block", ["[[gentle_stroking]]", "[null]", "[1, thumb_pressure]"])
def test_invalid_block_items_give_a_rule_error(tmp_path, block):
    """Non-string block items are a located RuleError, never a TypeError (found by fuzzing)."""
    text = (
        f"rules:\n  - id: r1\n    description: A rule.\n    when: open_wounds\n    block: {block}\n"
    )
    with pytest.raises(RuleError) as info:
        load_rules(with_catalogue(tmp_path, {"r.yaml": text}))
    assert info.value.problems[0].message == "'block': must be 'all' or a list of technique ids"

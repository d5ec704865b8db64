"""libyaml and the pure-Python loader build the same located data."""

from __future__ import annotations

import pytest

from neurotriage.loading import _yaml
from tests.conftest import FIXTURES, ROOT

FILES = sorted([*(ROOT / "rules").glob("*.yaml"), *FIXTURES.rglob("*.yaml")])


def _marks(data: object) -> object:
    """Every value with every mark, as plain comparable data."""
    if isinstance(data, _yaml.LocatedDict):
        return (
            data.mark,
            {k: (data.key_marks[k], data.value_marks[k], _marks(v)) for k, v in data.items()},
        )
    if isinstance(data, _yaml.LocatedList):
        return (data.mark, [(m, _marks(v)) for m, v in zip(data.item_marks, data, strict=True)])
    return data


@pytest.mark.skipif(_yaml._CLoader is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_fast_and_pure_python_paths_agree(path, monkeypatch):
    """Every rule file loads to the same values and marks with and without libyaml."""
    text = path.read_text(encoding="utf-8")
    fast = _marks(_yaml.load_located(text))
    monkeypatch.setattr(_yaml, "_CLoader", None)
    assert _marks(_yaml.load_located(text)) == fast

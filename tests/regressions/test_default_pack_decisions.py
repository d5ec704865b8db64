"""The default pack decides exactly as it did before the rule-pack rebuild.

Every class of its input space is evaluated and its full Decision compared,
by digest, with the copy saved before the rebuild (tests/default_decisions.py).
"""

from __future__ import annotations

import json

import pytest

from tests.default_decisions import CHUNK, SAVED, digests


@pytest.mark.slow
def test_every_default_decision_is_unchanged():
    """All 104,976 decisions equal the saved ones; a failure names the class ranges."""
    saved = json.loads(SAVED.read_text(encoding="utf-8"))
    now = digests()
    assert now["classes"] == saved["classes"]
    changed = [
        f"{i * CHUNK}..{i * CHUNK + CHUNK - 1}"
        for i, (a, b) in enumerate(zip(now["chunks"], saved["chunks"], strict=True))
        if a != b
    ]
    assert changed == [], f"decisions changed in classes {', '.join(changed[:10])}"
    assert now["sha256"] == saved["sha256"]

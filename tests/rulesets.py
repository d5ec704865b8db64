"""Small rule-file texts that several test modules build their rule sets from."""

from __future__ import annotations

from pathlib import Path

import yaml

__all__ = ["ONE_TECHNIQUE", "TWO_FLAGS", "blocking_rules", "names"]

_ROOT = Path(__file__).resolve().parents[1]

#: A technique catalogue of one technique.
ONE_TECHNIQUE = """\
techniques:
  - id: gentle_stroking
    name: Gentle stroking
    area: foot
    how_to: Stroke lightly.
    pressure_ceiling: light
"""

#: Two red-flag rules with the same effect (open wounds, foot infection).
TWO_FLAGS = """\
rules:
  - id: wounds
    description: Open wounds rule out massage.
    when: open_wounds
    block: all
    verdict: see_doctor
  - id: infection
    description: An infection rules out massage.
    when: foot_infection
    block: all
    verdict: see_doctor
"""


def blocking_rules(directory: Path, *whens: str) -> Path:
    """``directory`` with the default catalogue and one rule ``rN`` blocking all per condition."""
    directory.mkdir(exist_ok=True)
    (directory / "techniques.yaml").write_text((_ROOT / "rules" / "techniques.yaml").read_text())
    rules = [
        {"id": f"r{index}", "description": "d", "when": when, "block": "all"}
        for index, when in enumerate(whens)
    ]
    (directory / "rules.yaml").write_text(yaml.safe_dump({"rules": rules}, width=10**9))
    return directory


def names(count: int, start: int = 0) -> list[str]:
    """``"cN" in other_conditions`` tests for ``count`` different names."""
    return [f'"c{index}" in other_conditions' for index in range(start, start + count)]

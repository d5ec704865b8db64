"""Small rule-file texts that several test modules build their rule sets from."""

from __future__ import annotations

__all__ = ["ONE_TECHNIQUE", "TWO_FLAGS"]

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

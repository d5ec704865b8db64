"""Generated packs of any size, safe by construction (or with one planted fault).

``write_generated_pack(directory, fields=200, rules=1000)`` writes a pack
whose every field may be unknown, in the shape of a real clinical pack:

- red-flag fields ``r0``, ``r1``, ...: each blocks everything and refers to a
  doctor, and the pack declares them as its red flags;
- questions: while any field is unknown, nothing is allowed and it is asked;
- restrictions over one to three other fields (true, at least ``"mid"``, at
  least a threshold) that block one technique and warn, never the first one;
- clearance rules: some conditions block everything until ``cleared``;
- ``age``, an integer field, with a warning from 80 on.

The space has about ``3 ** fields`` classes. ``corner=True`` plants one fault
reachable only at one corner of it: the first red flag blocks nothing at
``age >= 95``. The same arguments always write the same files.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.rulefiles import write

__all__ = ["write_generated_pack"]

_TECHNIQUES = 8
#: one rule asks the questions of this many fields (durable-rules follows at
#: most 64 rules at once, so a rule per field would not compile for it)
_ASKED_TOGETHER = 16


def write_generated_pack(
    directory: Path, *, fields: int = 200, rules: int = 1000, corner: bool = False, seed: int = 7
) -> Path:
    """Write the pack into ``directory`` (created); return it."""
    chance = random.Random(seed)  # noqa: S311 - a repeatable shape, not a secret
    flags = max(1, fields // 10)
    kinds: dict[str, str] = {f"r{i}": "bool" for i in range(flags)}
    for i in range(fields - flags - 2):
        kinds[f"f{i}"] = chance.choices(("bool", "enum", "int"), (7, 1.5, 1.5))[0]
    declared = {"cleared": {"type": "bool", "default": False, "relaxing": True, "actionable": True}}
    declared["age"] = {"type": "int", "min": 0, "max": 120}
    for name, kind in kinds.items():
        if kind == "enum":
            declared[name] = {"type": "enum", "values": ["low", "mid", "high"]}
        elif kind == "int":
            declared[name] = {"type": "int", "min": 0, "max": 10}
        else:
            declared[name] = {"type": "bool"}
    red_flags = " or ".join(f"r{i}" for i in range(flags))
    pack = {
        "id": "generated",
        "version": "1.0",
        "title": f"A generated pack of {fields} fields",
        "fields": declared,
        "red_flags": red_flags,
    }
    written: list[dict[str, object]] = []

    def rule(rule_id: str, when: str, **effects: object) -> None:
        written.append({"id": rule_id, "description": f"Rule {rule_id}.", "when": when, **effects})

    for i in range(flags):
        when = f"r{i}" if not (corner and i == 0) else "r0 and (age is unknown or age < 95)"
        rule(f"flag-{i}", when, block="all", refer="see_doctor", verdict="see_doctor")
    asked = ["age", *kinds]
    for start in range(0, len(asked), _ASKED_TOGETHER):
        group = asked[start : start + _ASKED_TOGETHER]
        when = " or ".join(f"{name} is unknown" for name in group)
        rule(f"ask-{start}", when, block="all", verdict="needs_answers", ask=group)
    warning = {"code": "older", "severity": "caution", "message": "Older skin bruises easily."}
    rule("age-warning", "age >= 80", warn=warning)
    others = [name for name in kinds if not name.startswith("r")]
    clearing = max(1, len(others) // 20)
    for i in range(clearing):
        first, second = chance.sample(others, 2)
        when = f"({_atom(first, kinds, chance)} or {_atom(second, kinds, chance)}) and not cleared"
        rule(
            f"clear-{i}",
            when,
            block="all",
            refer="consult_before_starting",
            verdict="needs_clearance",
        )
    for i in range(max(0, rules - len(written))):
        chosen = chance.sample(others, chance.randint(1, 3))
        technique = f"t{chance.randrange(1, _TECHNIQUES)}"
        code = f"w{i % 50}"
        rule(
            f"limit-{i}",
            " and ".join(_atom(name, kinds, chance) for name in chosen),
            block=[technique],
            warn={"code": code, "severity": "caution", "message": f"Careful ({code})."},
        )
    invariant = {
        "id": "first-flag-urgent-enough",
        "description": "The first red flag allows nothing.",
        "when": "r0",
        "allowed": "none",
    }
    techniques = [
        {
            "id": f"t{i}",
            "name": f"Technique {i}",
            "area": "foot",
            "how_to": "Gently.",
            "pressure_ceiling": "light",
        }
        for i in range(_TECHNIQUES)
    ]
    files = {
        "pack.yaml": json.dumps(pack, indent=1),
        "techniques.yaml": json.dumps({"version": "1.0", "techniques": techniques}, indent=1),
        "rules.yaml": json.dumps(
            {"version": "1.0", "rules": written, "invariants": [invariant]}, indent=1
        ),
    }
    return write(directory, files)


def _atom(name: str, kinds: dict[str, str], chance: random.Random) -> str:
    if kinds[name] == "enum":
        return f'{name} >= "{chance.choice(("mid", "high"))}"'
    if kinds[name] == "int":
        return f"{name} >= {chance.randint(1, 10)}"
    return name

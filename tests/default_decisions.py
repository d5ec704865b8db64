"""The default pack's decisions on its whole input space, as digests, saved and compared.

``python -m tests.default_decisions --save`` writes
``tests/fixtures/default-decisions.json``: the SHA-256 of every class's full
Decision (as JSON, without the rule-set version) in class-index order, and
one digest per chunk of 128 classes, so a change points at the classes it
touched. The test in ``tests/regressions/test_default_pack_decisions.py``
recomputes them: any change of a default decision fails it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from neurotriage import default_rules
from neurotriage.analysis import input_space
from neurotriage.pipeline import evaluate

SAVED = Path(__file__).resolve().parent / "fixtures" / "default-decisions.json"
CHUNK = 128


def digests() -> dict[str, object]:
    """The digests of the default pack's decisions now."""
    rules = default_rules()
    space = input_space(rules)
    whole = hashlib.sha256()
    chunks: list[str] = []
    chunk = hashlib.sha256()
    for index in range(space.size):
        decision = evaluate(space.profile_at(index), rules=rules, backend="reference")
        # what the decision says, not which rule set said it, nor whether that set was proved
        text = decision.model_dump_json(exclude={"ruleset_version", "verified"}).encode()
        whole.update(text + b"\n")
        chunk.update(text + b"\n")
        if index % CHUNK == CHUNK - 1 or index == space.size - 1:
            chunks.append(chunk.hexdigest()[:16])
            chunk = hashlib.sha256()
    return {"classes": space.size, "chunk": CHUNK, "sha256": whole.hexdigest(), "chunks": chunks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--save", action="store_true", help="write the digests of today")
    if parser.parse_args().save:
        SAVED.write_text(json.dumps(digests(), indent=0) + "\n", encoding="utf-8")
        print(f"wrote {SAVED}")
    else:
        print(digests()["sha256"])


if __name__ == "__main__":
    main()

"""Only proved packs are served: load_rules() proves each one before it returns it.

Once a proof takes about a second there is no reason to evaluate a pack
whose safety properties have not been proved. Each proof is kept in memory,
keyed by the pack's content (the rule set's version carries the digest of
every rule file and of ``pack.yaml``; the fields' semantics, which an app's
own model may bring, are part of the key too), so loading the same pack
again costs no second proof.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neurotriage._cache import BoundedCache
from neurotriage._errors import ProofError, RuleProblem
from neurotriage.proof import QUERY_SECONDS, PropertyResult, VerifyReport, prove
from neurotriage.ruleset import RuleSet

__all__ = ["refuse_unproved"]

_Key = tuple[Any, ...]
_PROOFS: BoundedCache[_Key, tuple[tuple[RuleProblem, ...], VerifyReport]] = BoundedCache(256)


def refuse_unproved(ruleset: RuleSet, shown: str) -> None:
    """Prove ``ruleset``'s properties (or find them proved before); raise ProofError if one fails.

    ``shown`` names the rule set in problems that belong to no single file.
    """
    pack = ruleset.pack
    key = (ruleset.version, pack.id, pack.red_flags, tuple(pack.fields.items()))
    found = _PROOFS.get(key)
    if found is None:
        report = prove(ruleset, "reference", None, QUERY_SECONDS)
        where = pack.file if pack.file and not pack.file.startswith("<") else shown
        problems = tuple(_problem(result, where) for result in report.failed)
        found = (problems, report)
        _PROOFS.put(key, found)
    problems, report = found
    if problems:
        raise ProofError(list(problems), report)


def _problem(result: PropertyResult, where: str) -> RuleProblem:
    what = "invariant" if result.kind == "invariant" else "safety property"
    message = f"the {what} '{result.id}' fails"
    example = result.counterexample
    if example is not None:
        message += ": " + "; ".join(example.problems)
        shown = [
            json.dumps(p.model_dump(mode="json", exclude_defaults=True)) for p in example.profiles
        ]
        message += f", for example at {' -> '.join(shown)}"
        if example.change is not None:
            message += f" ({example.change})"
    message += "; not served (see 'neurotriage verify'; verify=False loads it unproved)"
    if result.where is not None:  # an invariant: its file and line
        file, _, line = result.where.rpartition(":")
        return RuleProblem(file, message, result.id, int(line) if line.isdigit() else None)
    return RuleProblem(str(Path(where)), message, None)

"""Build a rule set's declared invariants, checked against its catalogue and warnings."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from neurotriage.fields import FieldSpec
from neurotriage.loading._checks import check_techniques, suggest
from neurotriage.loading._files import Collector, FileResult, parse_when
from neurotriage.loading._schema import EXPECTATIONS, InvariantSpec, SourceSpec
from neurotriage.loading._yaml import LocatedDict
from neurotriage.ruleset import Invariant, Rule, Source, Technique

__all__ = ["build_invariants", "source"]


def source(spec: SourceSpec | None) -> Source | None:
    """The Source a ``source:`` entry gives (None: it gives none)."""
    return Source(spec.document, spec.section) if spec else None


def _build_invariant(
    collector: Collector,
    result: FileResult,
    spec: InvariantSpec,
    raw: LocatedDict,
    *,
    techniques: dict[str, Technique],
    warn_codes: Collection[str],
    specs: Mapping[str, FieldSpec],
) -> Invariant | None:
    before = len(collector.problems)
    when = raw.value_marks["when"]
    condition = parse_when(collector, result, spec.when, when, spec.id, fields=specs)
    for key, ids in (("allowed_only", spec.allowed_only), ("not_allowed", spec.not_allowed)):
        check_techniques(collector, result, raw, key, ids, techniques=techniques, item_id=spec.id)
    warns = [spec.warns] if isinstance(spec.warns, str) else list(spec.warns or ())
    for code in warns:
        if code not in warn_codes:
            suggestion = suggest(code, warn_codes)
            collector.add(
                result,
                f"no rule gives warning code '{code}'{suggestion}",
                mark=raw.value_marks.get("warns"),
                rule_id=spec.id,
            )
    if id(raw) not in result.salvaged and not any(
        getattr(spec, key) is not None for key in EXPECTATIONS
    ):
        collector.add(
            result,
            f"the invariant expects nothing; give it one of {', '.join(EXPECTATIONS)}",
            mark=raw.mark,
            rule_id=spec.id,
        )
    if condition is None or len(collector.problems) > before:
        return None
    return Invariant(
        id=spec.id,
        description=spec.description,
        when=spec.when,
        condition=condition,
        allowed_only=frozenset() if spec.allowed == "none" else _frozen(spec.allowed_only),
        not_allowed=frozenset(spec.not_allowed or ()),
        referral_at_least=spec.referral_at_least,
        verdict_in=_frozen(spec.verdict_in),
        warns=frozenset(warns),
        source=source(spec.source),
        file=result.path,
        line=raw.mark.line,
    )


def _frozen(items: Iterable[str] | None) -> frozenset[str] | None:
    return None if items is None else frozenset(items)


def build_invariants(
    collector: Collector,
    files: list[FileResult],
    techniques: dict[str, Technique],
    rules: list[Rule],
    specs: Mapping[str, FieldSpec],
) -> list[Invariant]:
    warn_codes = {rule.warn.code for rule in rules if rule.warn is not None}
    invariants: list[Invariant] = []
    first_seen: dict[str, str] = {}
    for result in files:
        for spec, raw in result.invariants:
            built = _build_invariant(
                collector,
                result,
                spec,
                raw,
                techniques=techniques,
                warn_codes=warn_codes,
                specs=specs,
            )
            if spec.id in first_seen:
                collector.add(
                    result,
                    f"duplicate invariant id (first defined at {first_seen[spec.id]})",
                    mark=raw.mark,
                    rule_id=spec.id,
                )
            elif built is not None:
                invariants.append(built)
            first_seen.setdefault(spec.id, f"{result.path}:{raw.mark.line}")
    return invariants

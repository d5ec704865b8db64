"""Text and JSON renderings of analysis reports, for the command line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from neurotriage.analysis import (
    Counterexample,
    Finding,
    PropertyResult,
    RuleCoverage,
    RuleSetDiff,
    VerifyReport,
    WordingChange,
)

__all__ = [
    "coverage_json",
    "coverage_text",
    "diff_json",
    "diff_text",
    "lint_json",
    "lint_text",
    "verify_json",
    "verify_text",
]

_UNITS = {
    "partition": "distinct decisions",
    "monotone-risk": "single-field steps",
    "unknown-not-safer": "single-field steps",
    "clearance-relaxes": "single-field steps",
}


def _profile(profile: Any) -> str:
    return json.dumps(profile.model_dump(mode="json", exclude_defaults=True))


def _counterexample_lines(example: Counterexample) -> list[str]:
    fields = "1 field" if example.known_fields == 1 else f"{example.known_fields} fields"
    lines = [f"      smallest counterexample ({fields} set):"]
    if example.change is None:
        lines.append(f"        profile: {_profile(example.profiles[0])}")
        lines.append(f"        fired:   {', '.join(example.fired[0]) or '(none)'}")
    else:
        lines.append(f"        step:    {example.change}")
        for label, profile, fired in zip(
            ("before", "after"), example.profiles, example.fired, strict=True
        ):
            lines.append(f"        {label + ':':8} {_profile(profile)}")
            lines.append(f"        fired:   {', '.join(fired) or '(none)'}")
    lines.extend(f"        problem: {problem}" for problem in example.problems)
    return lines


def _result_line(result: PropertyResult) -> str:
    name = result.id if result.kind == "built-in" else f"invariant {result.id}"
    if result.status == "skip":
        return f"SKIP  {name}: {result.note}"
    unit = _UNITS.get(result.id, "profiles") if result.kind == "built-in" else "profiles"
    unit = result.unit or unit
    where = f" ({result.where})" if result.where else ""
    if result.checked == 1:  # "1 profile", "1 single-field step"
        unit = unit.removesuffix("s")
    if result.status == "fail" and result.failures is None:  # proved false, not counted
        return f"FAIL  {name}{where}: violated in a space of {result.checked:,} {unit}"
    if result.status == "fail":
        return f"FAIL  {name}{where}: {result.failures:,} of {result.checked:,} {unit}"
    return f"PASS  {name}{where}: {result.checked:,} {unit}"


def verify_text(report: VerifyReport) -> str:
    """The verify report for a terminal."""
    lines = [
        f"Rule set {report.ruleset_version}, backend {' + '.join(report.backends)}",
        f"Input space: {report.space_size:,} classes, "
        + (
            f"proved by the solver in {report.seconds:.1f} s"
            if report.method == "symbolic"
            else f"checked in {report.seconds:.1f} s"
        ),
    ]
    for result in report.results:
        lines.append(_result_line(result))
        if result.counterexample is not None:
            lines.extend(_counterexample_lines(result.counterexample))
    counts = {
        status: sum(r.status == status for r in report.results)
        for status in ("pass", "fail", "skip")
    }
    lines.append(
        f"{len(report.results)} properties: {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['skip']} skipped"
    )
    return "\n".join(lines) + "\n"


def verify_json(report: VerifyReport) -> str:
    """The verify report as JSON."""

    def example(item: Counterexample | None) -> dict[str, Any] | None:
        if item is None:
            return None
        return {
            "profiles": [p.model_dump(mode="json", exclude_defaults=True) for p in item.profiles],
            "fired": [list(f) for f in item.fired],
            "problems": list(item.problems),
            "change": item.change,
            "known_fields": item.known_fields,
        }

    return _dumps(
        {
            "ruleset_version": report.ruleset_version,
            "space_size": report.space_size,
            "backends": list(report.backends),
            "seconds": round(report.seconds, 3),
            "method": report.method,
            "ok": report.ok,
            "properties": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "description": r.description,
                    "status": r.status,
                    "checked": r.checked,
                    "failures": r.failures,
                    "where": r.where,
                    "note": r.note,
                    "unit": r.unit,
                    "counterexample": example(r.counterexample),
                }
                for r in report.results
            ],
        }
    )


def lint_text(findings: Sequence[Finding]) -> str:
    """Lint findings, one per line, and a count."""
    errors = sum(f.severity == "error" for f in findings)
    lines = [str(f) for f in findings]
    warnings = len(findings) - errors
    lines.append(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}")
    return "\n".join(lines) + "\n"


def lint_json(findings: Sequence[Finding]) -> str:
    """Lint findings as a JSON array."""
    return _dumps([f.as_dict() for f in findings])


def coverage_text(coverage: RuleCoverage) -> str:
    """How often each rule fired, and which never did."""
    total = len(coverage.rules.rules)
    lines = [
        (
            f"Rule set {coverage.rules.version}: {_count(coverage.evaluations, 'profile')}, "
            f"{coverage.fired} of {total} rules fired ({coverage.percent:.1f}%)"
        ),
    ]
    width = max((len(rule.id) for rule in coverage.rules.rules), default=0)
    lines.extend(
        f"  {coverage.counts.get(rule.id, 0):>8,}  {rule.id:<{width}}  {rule.file}:{rule.line}"
        for rule in coverage.rules.rules
    )
    never = coverage.never_fired
    if never:
        lines.append(f"Never fired ({len(never)}):")
        lines.extend(f"  {rule.file}:{rule.line}: {rule.id}" for rule in never)
    return "\n".join(lines) + "\n"


def coverage_json(coverage: RuleCoverage) -> str:
    """Rule coverage as JSON."""
    return _dumps(coverage.as_dict())


#: Printed after the wording changes: diff shows them but cannot judge them.
REVIEW_WORDING = "a human must review every wording change: diff cannot judge text"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # every space and line break visible


def _wording_lines(change: WordingChange) -> list[str]:
    kind = "" if change.kind == "changed" else f" ({change.kind})"
    lines = [f"wording changed: {change.item}{kind}"]
    if change.before is not None:
        lines.append(f"    before: {_quoted(change.before)}")
    if change.after is not None:
        lines.append(f"    after:  {_quoted(change.after)}")
    return lines


def diff_text(result: RuleSetDiff) -> str:
    """The semantic diff, grouped, less safe groups first, then every wording change."""
    lines = [
        f"{result.old_version} -> {result.new_version}",
        (
            f"{_changed(result)} of {result.space_size:,} classes decide differently "
            f"({_count(len(result.groups), 'kind')} of change); "
            f"{_count(len(result.wording), 'wording change')}"
        ),
    ]
    for group in result.groups:
        mark = "LESS SAFE" if group.less_safe else "change"
        counted = "uncounted (too costly to count)" if group.count is None else f"{group.count:,}"
        lines.append(f"{mark}: {counted} classes")
        lines.extend(f"    {change}" for change in group.changes)
        lines.append(f"    e.g. {_profile(group.example)}")
    for pack_change in result.pack:
        mark = "LESS SAFE" if pack_change.less_safe else "change"
        lines.append(f"{mark}: {pack_change}")
    for change in result.wording:
        lines.extend(_wording_lines(change))
    if result.wording:
        lines.append(REVIEW_WORDING)
    if any(group.less_safe for group in result.groups):
        verdict = "less safe: some decisions got less safe"
    elif result.less_safe:
        verdict = "less safe: the pack's red flags or risk orders prove less"
    else:
        verdict = "no decision got less safe"
    lines.append(verdict)
    return "\n".join(lines) + "\n"


def _changed(result: RuleSetDiff) -> str:
    if result.changed is None:  # every kind was found, some too costly to count
        return "some"
    return f"{result.changed:,}"


def diff_json(result: RuleSetDiff) -> str:
    """The semantic diff as JSON."""
    return _dumps(
        {
            "old_version": result.old_version,
            "new_version": result.new_version,
            "space_size": result.space_size,
            "changed": result.changed,
            "less_safe": result.less_safe,
            "groups": [group.as_dict() for group in result.groups],
            "wording": [change.as_dict() for change in result.wording],
            "pack": [change.as_dict() for change in result.pack],
        }
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"

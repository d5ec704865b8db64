"""lint: one fixture per finding, the output format, and exit codes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurotriage import default_rules
from neurotriage.analysis import lint, lint_path
from tests.clitools import cli
from tests.conftest import FIXTURES
from tests.rulefiles import load_unproved, with_default_catalogue, write

LINT = FIXTURES / "lint"

#: fixture -> the one finding it exists for (besides unread fields), as printed
EXPECTED = {
    "dead-rule": (
        "dead-rule.yaml:12: never: error: the condition can never hold, "
        "so the rule never fires [dead-rule]"
    ),
    "shadowed-rule": (
        "shadowed-rule.yaml:12: wounds-with-diabetes: warning: removing this rule changes "
        "no decision anywhere: other rules always have the same effect wherever it fires "
        "[shadowed-rule]"
    ),
    "no-source": "no-source.yaml:12: infection: warning: the rule cites no source [no-source]",
    "long-warning": (
        "long-warning.yaml:12: pressure: warning: the warning message has 160 characters; "
        "keep it to 140 so it is read [long-warning]"
    ),
    "warning-without-code": (
        "warning-without-code.yaml:16: pressure: error: missing key 'warn.code' [load-error]"
    ),
    "block-without-verdict": (
        "block-without-verdict.yaml:12: infection: error: the rule blocks techniques but "
        "sets no verdict, so the verdict may say 'proceed' while nothing is allowed; give it "
        "one ('verdict: proceed' only if other techniques stay allowed) [block-without-verdict]"
    ),
    "unreferenced-technique": (
        "unreferenced-technique.yaml:4: thumb_pressure: warning: no rule ever blocks this "
        "technique, so it is allowed for everyone, even with a red flag [unreferenced-technique]"
    ),
    "dead-invariant": (
        "dead-invariant.yaml:13: impossible: warning: the condition can never hold, "
        "so the invariant checks nothing [dead-invariant]"
    ),
}


def _without_unread(lines: list[str]) -> list[str]:
    return [line for line in lines if "[unread-field]" not in line]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_gives_exactly_its_finding(name):
    """Each lint fixture yields its one finding, located, and nothing else but unread fields."""
    findings = lint_path(LINT / f"{name}.yaml")
    shown = _without_unread([str(f) for f in findings])
    assert shown == [f"{LINT}/{EXPECTED[name]}"]


def test_unread_fields_are_reported():
    """A rule set that reads one field gets a warning for each other Profile field."""
    findings = [f for f in lint_path(LINT / "unread-field.yaml") if f.code == "unread-field"]
    assert len(findings) == 10
    assert str(findings[0]) == (
        f"{LINT}/unread-field.yaml: -: warning: no rule reads the field 'diabetes', "
        "so its answer never matters [unread-field]"
    )


def test_default_rules_are_lint_clean():
    """The built-in rule set has no finding at all."""
    assert lint(default_rules()) == []


def test_shadowing_counts_questions(tmp_path):
    """A rule whose only effect is a question nobody else asks is not shadowed."""
    text = (LINT / "unread-field.yaml").read_text(encoding="utf-8")
    text += (
        "  - id: ask-wounds\n"
        "    description: Ask about wounds.\n"
        "    when: open_wounds is unknown\n"
        "    ask: [open_wounds]\n"
        "    source: {document: test, section: ask}\n"
    )
    write(tmp_path, {"r.yaml": text})
    assert [f.code for f in lint_path(tmp_path) if f.code != "unread-field"] == []


@pytest.mark.parametrize(
    ("name", "code"),
    [("dead-rule", 1), ("warning-without-code", 1), ("no-source", 0), ("shadowed-rule", 0)],
)
def test_cli_exit_code(name, code):
    """Exit 1 when there is an error finding, 0 with warnings only."""
    run = cli("lint", "--rules", LINT / f"{name}.yaml")
    assert (run.code, run.err) == (code, "")
    assert f"{LINT}/{EXPECTED[name]}\n" in run.out


def test_cli_default_rules_clean():
    """``neurotriage lint`` on the built-in rules finds nothing and exits 0."""
    run = cli("lint")
    assert (run.code, run.out, run.err) == (0, "0 errors, 0 warnings\n", "")


def test_cli_summary_line_counts():
    """The last line counts errors and warnings, singular when one."""
    run = cli("lint", "--rules", LINT / "dead-rule.yaml")
    assert run.out.splitlines()[-1] == "1 error, 9 warnings"


def test_cli_json_format():
    """``--format json`` lists every finding with its location and code."""
    run = cli("lint", "--rules", LINT / "dead-rule.yaml", "--format", "json")
    assert run.code == 1
    data = json.loads(run.out)
    assert data[0] == {
        "file": f"{LINT}/dead-rule.yaml",
        "line": 12,
        "item_id": "never",
        "severity": "error",
        "code": "dead-rule",
        "message": "the condition can never hold, so the rule never fires",
    }
    assert {item["code"] for item in data} == {"dead-rule", "unread-field"}


def test_lint_rejects_a_non_ruleset():
    """lint() names the wrong argument type."""
    with pytest.raises(TypeError, match="rules must be a RuleSet"):
        lint(LINT)  # type: ignore[arg-type]


_ATOMS = (
    "open_wounds",
    "foot_infection",
    "pain_level >= 7",
    "diabetes",
    "diabetes is unknown",
    "open_wounds is unknown",
    "always",
)
_EFFECTS = (
    "    block: all\n    verdict: see_doctor\n",
    "    block: [thumb_pressure]\n    verdict: proceed\n",
    "    refer: see_doctor\n",
    "    refer: consult_before_starting\n",
    "    verdict: stop\n    block: all\n",
    "    warn: {code: one, severity: caution, message: One.}\n",
    "    warn: {code: two, severity: info, message: Two.}\n",
    "    ask: [diabetes]\n",
    "    ask: [open_wounds, diabetes]\n",
)


def _shadowed_by_removal(rules):
    """The oracle: rules whose removal changes no outcome and no question on any class."""
    from neurotriage import RuleSet, evaluate  # noqa: PLC0415
    from neurotriage.analysis import input_space  # noqa: PLC0415
    from neurotriage.decision import Outcome  # noqa: PLC0415

    space = input_space(rules)
    profiles = list(space)

    def seen(ruleset):
        return [
            (Outcome.of(d := evaluate(p, rules=ruleset, backend="reference")), d.questions)
            for p in profiles
        ]

    everything = seen(rules)
    found = []
    for rule in rules.rules:
        fires = any(
            rule.id in evaluate(p, rules=rules, backend="reference").fired_rules for p in profiles
        )
        rest = tuple(r for r in rules.rules if r is not rule)
        without = RuleSet(rules.techniques, rules.therapies, rest, rules.version)
        if fires and seen(without) == everything:
            found.append(rule.id)
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(_ATOMS), st.sampled_from(_ATOMS), st.sampled_from(_EFFECTS)),
        min_size=1,
        max_size=6,
    )
)
def test_shadowed_matches_removing_each_rule(tmp_path_factory, picks):
    """lint's shadowed rules are exactly those whose removal changes nothing anywhere."""
    directory = tmp_path_factory.mktemp("shadow")
    text = "rules:\n"
    for index, (first, second, effect) in enumerate(picks):
        text += (
            f"  - id: r{index}\n    description: Rule {index}.\n"
            f"    when: {first} and {second}\n{effect}"
        )
    with_default_catalogue(directory, {"r.yaml": text})
    rules = load_unproved(directory)
    shadowed = [f.item_id for f in lint(rules) if f.code == "shadowed-rule"]
    assert sorted(shadowed) == sorted(_shadowed_by_removal(rules))

"""The verdict was never tied to what is allowed.

A red-flag rule without ``verdict:`` gave "Verdict: proceed" with nothing
allowed, and a rule with ``verdict: stop`` and no block gave "stop" with
gentle_stroking allowed; verify passed both and lint found no error.
"""

from __future__ import annotations

from neurotriage import evaluate
from neurotriage.analysis import lint, verify
from tests.clitools import cli
from tests.rulefiles import load_unproved, with_default_catalogue

NO_VERDICT = """\
rules:
  - id: wounds
    description: Open wounds rule out massage.
    when: open_wounds
    block: all
    refer: see_doctor
"""

STOP_WITHOUT_BLOCK = """\
rules:
  - id: wounds
    description: Open wounds rule out massage.
    when: open_wounds
    block: all
    refer: see_doctor
    verdict: see_doctor
  - id: sharp-pain
    description: Sharp pain means stop.
    when: sharp_pain_during_massage
    verdict: stop
"""


def _rules(tmp_path, text):
    return with_default_catalogue(tmp_path, {"rules.yaml": text})


def test_block_without_verdict_fails_verify_and_lint(tmp_path):
    """proceed with nothing allowed fails verify's verdict property and is a lint error."""
    rules = load_unproved(_rules(tmp_path, NO_VERDICT))
    decision = evaluate({"open_wounds": True}, rules=rules, backend="reference")
    assert (decision.verdict, decision.allowed_techniques) == ("proceed", ())
    failed = {result.id: result for result in verify(rules).failed}
    example = failed["verdict-matches-allowed"].counterexample
    assert example is not None
    assert example.problems == ("the verdict is proceed, but no technique is allowed",)
    assert example.profiles[0].open_wounds is True
    errors = [f for f in lint(rules) if f.severity == "error"]
    assert [(f.item_id, f.code) for f in errors] == [("wounds", "block-without-verdict")]


def test_stop_with_techniques_allowed_fails_verify(tmp_path):
    """A stop verdict while gentle_stroking stays allowed fails the verdict property."""
    rules = load_unproved(_rules(tmp_path, STOP_WITHOUT_BLOCK))
    decision = evaluate({"sharp_pain_during_massage": True}, rules=rules, backend="reference")
    assert decision.verdict == "stop"
    assert "gentle_stroking" in [t.technique for t in decision.allowed_techniques]
    result = next(r for r in verify(rules).failed if r.id == "verdict-matches-allowed")
    assert result.counterexample is not None
    problem = (
        "the verdict is stop, but ankle_leg_massage, circular_motions, gentle_stroking, "
        "thumb_pressure are allowed"
    )
    assert result.counterexample.problems == (problem,)


def test_red_flag_verdict_must_be_see_doctor_or_stop(tmp_path):
    """A red flag that blocks everything but says needs_answers fails the red-flag property."""
    text = NO_VERDICT.replace(
        "when: open_wounds",
        "when: open_wounds or foot_infection or symptoms_worsening or pain_level >= 7",
    )
    text += "    verdict: needs_answers\n"
    failed = {result.id: result for result in verify(load_unproved(_rules(tmp_path, text))).failed}
    assert "verdict-matches-allowed" not in failed  # nothing is allowed there
    example = failed["red-flags"].counterexample
    assert example is not None
    assert example.problems == ("verdict needs_answers, not in see_doctor, stop",)


def test_cli_verify_exits_1_on_the_verdict_property(tmp_path):
    """``neurotriage verify`` names the verdict property and exits 1."""
    run = cli("verify", "--rules", _rules(tmp_path, STOP_WITHOUT_BLOCK))
    assert run.code == 1
    assert "FAIL  verdict-matches-allowed: " in run.out

"""Cards in-process: every distinct decision of the default pack's input space, and the rest."""

from __future__ import annotations

import itertools
import shutil

import pytest

from neurotriage import default_rules, evaluate, load_rules
from neurotriage.analysis import input_space
from neurotriage.decision import REFERRAL_LEVELS, VERDICTS, DecisionWarning, Referral
from neurotriage.server import INDICATORS, MAX_SUMMARY, Card, card
from tests.conftest import ROOT

RULES = default_rules()


@pytest.fixture(scope="module")
def distinct_decisions():
    """Every distinct Decision the default pack makes, over its whole input space."""
    return {evaluate(p, rules=RULES, backend="reference") for p in input_space(RULES)}


@pytest.mark.slow
def test_every_decision_of_the_default_pack_gets_a_valid_card(distinct_decisions):
    """Each distinct decision: summary within 140 characters, its indicator, every question."""
    verdicts = set()
    for decision in distinct_decisions:
        got = card(decision, RULES, card_id="00000000-0000-4000-8000-000000000000")
        Card.model_validate(got.model_dump())  # the 140-character limit is in the model too
        assert len(got.summary) <= MAX_SUMMARY
        assert got.indicator == INDICATORS[decision.verdict]
        for name in decision.questions:
            assert f"(`{name}`)" in got.detail
        verdicts.add(decision.verdict)
    assert verdicts == set(VERDICTS)


def test_every_summary_fits_whatever_the_pack():
    """The summary depends only on verdict, urgency and verification: all of them fit."""
    base = evaluate({}, rules=RULES)
    for verdict, level, verified in itertools.product(VERDICTS, REFERRAL_LEVELS, (True, False)):
        decision = base.model_copy(
            update={
                "verdict": verdict,
                "referral": Referral(level=level, reasons=()),
                "verified": verified,
            }
        )
        got = card(decision, RULES, card_id="x")
        assert len(got.summary) <= MAX_SUMMARY, got.summary
        if level == "urgent":
            assert got.indicator == "critical"
        if not verified:
            assert got.summary.startswith("UNVERIFIED RULES: ")
            assert "NOT VERIFIED" in got.detail


def test_an_urgent_referral_is_critical_and_says_today():
    """The clinical pack's urgent signs: a critical card whose summary says today."""
    rules = default_rules("neuropathy-foot-care")
    decision = evaluate({"dvt_signs": True}, rules=rules)
    assert decision.referral.level == "urgent"
    got = card(decision, rules, card_id="x")
    assert got.indicator == "critical"
    assert got.summary == "Get medical help today; no massage."
    assert got.source.label == "Foot care and massage with peripheral neuropathy 2026.12.0"


def test_text_from_outside_is_escaped_markdown():
    """A message with a link, HTML and emphasis shows as written, adding none of them."""
    decision = evaluate({}, rules=RULES)
    sneaky = DecisionWarning(
        code="x", severity="danger", message="[click](http://x) <b>now</b> *really*", rule_id="r"
    )
    got = card(decision.model_copy(update={"warnings": (sneaky,)}), RULES, card_id="x")
    assert r"\[click\](http://x) \<b\>now\</b\> \*really\*" in got.detail
    assert "[click]" not in got.detail


def test_conflicts_are_listed_in_the_detail():
    """What FHIR records disagreed on is said in the card, one item each."""
    decision = evaluate({}, rules=RULES)
    got = card(decision, RULES, card_id="x", conflicts=("Records disagree on open_wounds.",))
    assert "**The records disagree**" in got.detail
    assert "- Records disagree on open\\_wounds." in got.detail


def test_a_pack_url_is_the_source_url(tmp_path):
    """source.url is the pack's url where it declares one, and absent where not."""
    plain = card(evaluate({}, rules=RULES), RULES, card_id="x")
    assert plain.source.url is None
    assert "url" not in plain.model_dump(exclude_none=True)["source"]
    pack = shutil.copytree(ROOT / "examples" / "packs" / "calf-check", tmp_path / "calf-check")
    with (pack / "pack.yaml").open("a", encoding="utf-8") as declaration:
        declaration.write("url: https://example.org/calf-check\n")
    rules = load_rules(pack)
    got = card(evaluate({}, rules=rules), rules, card_id="x")
    assert got.source.url == "https://example.org/calf-check"

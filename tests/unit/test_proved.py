"""Only proved packs are served: load_rules() proves each pack before it returns it."""

from __future__ import annotations

import json
import os
import pickle

import pytest

import neurotriage.loading._proved as proved_module
from neurotriage import (
    ProofError,
    RuleError,
    UndecidedError,
    default_rules,
    evaluate,
    load_rules,
)
from neurotriage.proof._solver import Query
from tests.clitools import assert_clean_failure, cli, write_profile
from tests.conftest import FIXTURES, ROOT, available_backends
from tests.rulefiles import copy_rules

UNSAFE = FIXTURES / "unsafe-unknown-pain"
#: a cleared person with nothing else in the way, but an open wound
WOUND = {
    **json.loads((ROOT / "examples" / "ready-to-start.json").read_text(encoding="utf-8")),
    "open_wounds": True,
}


def test_the_built_in_packs_are_proved():
    """Both built-in packs load proved, and their decisions say so."""
    for name in ("foot-massage-for-neuropathy", "neuropathy-foot-care"):
        rules = default_rules(name)
        assert rules.verified
        assert evaluate({}, rules=rules).verified


def test_a_missing_red_flag_file_is_refused_not_served(tmp_path):
    """Without red-flags.yaml the pack's red flags are unguarded: the load refuses it."""
    rules_dir = copy_rules(tmp_path / "rules")
    (rules_dir / "red-flags.yaml").unlink()
    with pytest.raises(ProofError) as info:
        load_rules(rules_dir)
    assert isinstance(info.value, RuleError)
    assert "the safety property 'red-flags' fails" in str(info.value)
    assert 'for example at {"foot_infection": true}' in str(info.value)
    # loaded anyway, it would have allowed massage on open wounds
    unproved = load_rules(rules_dir, verify=False)
    for backend in available_backends():
        decision = evaluate(WOUND, rules=unproved, backend=backend)
        assert decision.allowed_techniques
        assert decision.verified is False


def test_a_dangling_symlink_in_place_of_red_flags_is_refused(tmp_path):
    """A red-flags.yaml that points nowhere is a load error, never a pack without red flags."""
    rules_dir = copy_rules(tmp_path / "rules")
    (rules_dir / "red-flags.yaml").unlink()
    os.symlink(tmp_path / "nowhere.yaml", rules_dir / "red-flags.yaml")
    with pytest.raises(RuleError, match=r"red-flags\.yaml"):
        load_rules(rules_dir)
    run = cli("evaluate", "--rules", rules_dir, write_profile(tmp_path, WOUND))
    assert_clean_failure(run)


def test_the_refusal_names_each_property_and_invariant_with_its_place():
    """Every failing property is one problem; an invariant's carries its file and line."""
    with pytest.raises(ProofError) as info:
        load_rules(UNSAFE)
    problems = info.value.problems
    assert [p.rule_id for p in problems] == [None, None, "unknown-pain-allows-nothing"]
    assert problems[2].file.endswith("rules.yaml")
    assert problems[2].line == 30
    assert "pain_level: 7 -> unknown" in problems[0].message
    report = info.value.report
    assert [r.id for r in report.failed] == [
        "unknown-not-safer",
        "verdict-matches-allowed",
        "unknown-pain-allows-nothing",
    ]
    again = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert (type(again), again.problems) == (ProofError, problems)


def test_unverified_rule_sets_say_so_everywhere(tmp_path):
    """verify=False: the RuleSet, every Decision, the JSON and the summary say unverified."""
    rules = load_rules(UNSAFE, verify=False)
    assert rules.verified is False
    assert rules.reordered(reversed(rules.rules)).verified is False
    decision = evaluate({}, rules=rules)
    assert decision.verified is False
    assert json.loads(decision.model_dump_json())["verified"] is False
    path = write_profile(tmp_path, {})
    refused = cli("evaluate", "--rules", UNSAFE, path)
    assert_clean_failure(refused)
    assert "the invariant 'unknown-pain-allows-nothing' fails" in refused.err
    text = cli("evaluate", "--unverified", "--rules", UNSAFE, path)
    assert text.code == 0
    assert text.out.startswith("NOT VERIFIED: ")
    data = json.loads(cli("evaluate", "--json", "--unverified", "--rules", UNSAFE, path).out)
    assert data["verified"] is False
    proved = json.loads(cli("evaluate", "--json", path).out)
    assert proved["verified"] is True
    assert "NOT VERIFIED" not in cli("evaluate", path).out


def test_the_analysis_commands_read_unsafe_rule_sets():
    """verify, lint and schema read a pack that fails its proof: they are how you find out."""
    assert cli("verify", "--rules", UNSAFE).code == 1
    assert cli("lint", "--rules", UNSAFE).code in (0, 1)
    assert cli("schema", "profile", "--rules", UNSAFE).code == 0
    assert cli("diff", UNSAFE, UNSAFE).code == 0


def test_a_proof_is_kept_by_content(tmp_path, monkeypatch):
    """Loading the same content again proves nothing twice; changed content is proved anew."""
    calls = []
    real = proved_module.prove
    monkeypatch.setattr(
        proved_module, "prove", lambda *args: calls.append(args[0].version) or real(*args)
    )
    rules_dir = copy_rules(tmp_path / "rules")
    (rules_dir / "local.yaml").write_text(
        "rules:\n  - id: gout\n    description: Gout.\n"
        "    when: '\"gout\" in other_conditions'\n"
        "    warn: {code: gout, severity: caution, message: Gout.}\n",
        encoding="utf-8",
    )
    first = load_rules(rules_dir)
    second = load_rules(rules_dir)
    assert first is not second
    assert calls == [first.version]
    (rules_dir / "local.yaml").write_text(
        (rules_dir / "local.yaml").read_text(encoding="utf-8").replace("Gout.}", "Gout!}"),
        encoding="utf-8",
    )
    third = load_rules(rules_dir)
    assert calls == [first.version, third.version]


def test_a_proof_over_its_budget_refuses_the_load(tmp_path, monkeypatch):
    """A solver that gives up is UndecidedError at load (exit 2), never a served pack."""
    rules_dir = copy_rules(tmp_path / "rules")
    (rules_dir / "session.yaml").write_text(
        (rules_dir / "session.yaml").read_text(encoding="utf-8") + "\n# a new digest\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(Query, "check", lambda self, *assumptions: "unknown")
    with pytest.raises(UndecidedError):
        load_rules(rules_dir)
    run = cli("evaluate", "--rules", rules_dir, write_profile(tmp_path, {}))
    assert_clean_failure(run)
    assert "could not decide the property" in run.err

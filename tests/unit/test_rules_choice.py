"""``--pack NAME``: a built-in pack by name, on every command that takes ``--rules``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neurotriage import Decision, default_rules, evaluate
from tests.clitools import assert_clean_failure, cli, write_profile
from tests.conftest import ROOT, SAFE

CLINICAL = "neuropathy-foot-care"
#: The commands that read a rule set, each with the arguments it needs besides the rules.
COMMANDS = {
    "evaluate": ["evaluate", "{profile}"],
    "explain": ["explain", "{profile}"],
    "evaluate-many": ["evaluate-many", "{profiles}", "-o", "-"],
    "schema": ["schema", "profile"],
    "verify": ["verify"],
    "lint": ["lint"],
    "coverage": ["coverage", "{profiles}"],
}
#: What each command prints that only the clinical pack gives, for one profile with DVT signs.
SHOWS_THE_PACK = {
    "evaluate": "Referral: urgent",
    "explain": "urgent-dvt-signs",
    "evaluate-many": '"ruleset_version":"2026.12.0+',
    "schema": '"dvt_signs"',
    "coverage": "Rule set 2026.12.0+",
}
BUILTIN = "foot-massage-for-neuropathy, neuropathy-foot-care"


def argv(command: str, tmp_path: Path, *options: str) -> list[str]:
    """``command``'s arguments, with profile files written under ``tmp_path``."""
    profile = write_profile(tmp_path, {"dvt_signs": True})
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text('{"dvt_signs": true}\n', encoding="utf-8")
    args = [a.format(profile=profile, profiles=profiles) for a in COMMANDS[command]]
    return [*args, *options]


def test_evaluate_with_a_pack_name_uses_that_pack(tmp_path):
    """``evaluate --pack NAME`` decides as evaluate() does with default_rules(NAME)."""
    run = cli("evaluate", "--json", "--pack", CLINICAL, write_profile(tmp_path, {"gangrene": True}))
    assert (run.code, run.err) == (0, "")
    decision = Decision.model_validate_json(run.out)
    assert decision == evaluate({"gangrene": True}, rules=default_rules(CLINICAL))
    assert decision.referral.level == "urgent"


def test_the_default_pack_by_name_is_the_default(tmp_path):
    """``--pack foot-massage-for-neuropathy`` prints what no option prints."""
    path = write_profile(tmp_path, SAFE)
    assert cli("evaluate", "--pack", "foot-massage-for-neuropathy", path) == cli("evaluate", path)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_that_takes_rules_takes_a_pack(command, tmp_path):
    """Each command's help offers ``--pack``, and it reads the named pack's fields."""
    assert "--pack NAME" in cli(command, "-h").out
    run = cli(*argv(command, tmp_path, "--pack", CLINICAL))
    if command == "verify":  # too large to enumerate, proved by the solver
        assert (run.code, run.err) == (0, "")
        assert "Input space: 366,028,679,279,376 classes, proved by the solver" in run.out
    elif command == "lint":  # by the solver, on the whole pack
        assert (run.code, run.err) == (0, "")
    else:
        assert run.code == 0, run.err
        assert SHOWS_THE_PACK[command] in run.out


def test_schema_profile_of_a_pack_lists_its_fields():
    """``schema profile --pack NAME`` is the JSON Schema of that pack's model."""
    run = cli("schema", "profile", "--pack", CLINICAL)
    properties = json.loads(run.out)["properties"]
    assert list(properties) == list(default_rules(CLINICAL).pack.model.model_fields)


def test_lint_of_the_default_pack_by_name():
    """``lint --pack NAME`` lints the named pack's directory."""
    named = cli("lint", "--pack", "foot-massage-for-neuropathy")
    assert named == cli("lint", "--rules", ROOT / "rules")
    assert named.code == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_pack_and_rules_together_is_a_usage_error(command, tmp_path):
    """``--pack`` with ``--rules`` gives exit 2 and says they do not go together."""
    run = cli(*argv(command, tmp_path, "--pack", CLINICAL, "--rules", ROOT / "rules"))
    assert_clean_failure(run)
    assert run.err.startswith("usage: neurotriage ")
    assert run.err.splitlines()[-1] == (
        f"neurotriage {command}: error: argument --rules: not allowed with argument --pack"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_pack_name_is_a_usage_error_naming_the_built_in_packs(command, tmp_path):
    """``--pack`` with a name that is no built-in pack gives exit 2 and lists the packs."""
    run = cli(*argv(command, tmp_path, "--pack", "calf-check"))
    assert_clean_failure(run)
    assert run.err.splitlines()[-1] == (
        f"neurotriage {command}: error: argument --pack: invalid choice: 'calf-check' "
        "(choose from 'foot-massage-for-neuropathy', 'neuropathy-foot-care')"
    )
    assert BUILTIN.replace(", ", "', '") in run.err

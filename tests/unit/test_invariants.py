"""``invariants:`` in rule files: what loads, what is refused, and what they check."""

from __future__ import annotations

from pathlib import Path

import pytest

from neurotriage.decision import Outcome
from tests.rulefiles import load_error, load_unproved, shown, with_catalogue

RULES = """\
rules:
  - id: wounds
    description: Wounds rule out massage.
    when: open_wounds
    block: all
    refer: see_doctor
    verdict: see_doctor
    warn: {code: wounds, severity: danger, message: See a doctor.}
"""


def with_invariants(tmp_path: Path, invariants: str) -> Path:
    """The small catalogue, one rule, and ``invariants`` in their own file."""
    return with_catalogue(tmp_path, {"rules.yaml": RULES, "inv.yaml": invariants})


def test_every_expectation_loads(tmp_path):
    """Each expectation key is parsed into the Invariant, with its file and line."""
    rules = load_unproved(
        with_invariants(
            tmp_path,
            "invariants:\n"
            "  - id: all-keys\n"
            "    description: Every key.\n"
            "    when: open_wounds and pain_level >= 7\n"
            "    allowed_only: [gentle_stroking]\n"
            "    not_allowed: [thumb_pressure]\n"
            "    referral_at_least: see_doctor\n"
            "    verdict_in: [see_doctor, stop]\n"
            "    warns: wounds\n"
            "  - id: none-allowed\n"
            "    description: Nothing.\n"
            "    when: open_wounds\n"
            "    allowed: none\n"
            "    warns: [wounds]\n",
        )
    )
    first, second = rules.invariants
    assert first.allowed_only == {"gentle_stroking"}
    assert first.not_allowed == {"thumb_pressure"}
    assert first.referral_at_least == "see_doctor"
    assert first.verdict_in == {"see_doctor", "stop"}
    assert first.warns == {"wounds"}
    assert (Path(first.file).name, first.line) == ("inv.yaml", 2)
    assert second.allowed_only == frozenset()
    assert second.warns == {"wounds"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "    when: open_wounds\n    not_allowed: [thumb_presure]\n",
            "<dir>/inv.yaml:5:19: rule 'i1': unknown technique 'thumb_presure' in 'not_allowed' "
            "(did you mean 'thumb_pressure'?)",
            id="unknown-technique",
        ),
        pytest.param(
            "    when: open_wounds\n    warns: wound\n",
            "<dir>/inv.yaml:5:12: rule 'i1': no rule gives warning code 'wound' "
            "(did you mean 'wounds'?)",
            id="unknown-warning-code",
        ),
        pytest.param(
            "    when: open_wounds\n",
            "<dir>/inv.yaml:2:5: rule 'i1': the invariant expects nothing; give it one of "
            "allowed, allowed_only, not_allowed, referral_at_least, verdict_in, warns",
            id="no-expectation",
        ),
        pytest.param(
            "    when: open_wounds\n    allowed: some\n",
            "<dir>/inv.yaml:5:14: rule 'i1': 'allowed': Input should be 'none'",
            id="allowed-only-none",
        ),
        pytest.param(
            "    when: open_wounds\n    verdict_in: []\n",
            "<dir>/inv.yaml:5:17: rule 'i1': 'verdict_in': List should have at least 1 item "
            "after validation, not 0",
            id="empty-verdicts",
        ),
        pytest.param(
            "    when: open_wound\n    allowed: none\n",
            "<dir>/inv.yaml:4:11: rule 'i1': in 'when': unknown field 'open_wound' "
            "(did you mean 'open_wounds'?)",
            id="bad-condition",
        ),
        pytest.param(
            "    when: open_wounds\n    allowed: none\n    refer: see_doctor\n",
            "<dir>/inv.yaml:6:5: rule 'i1': unknown key 'refer'; "
            "allowed keys: id, description, when, allowed, allowed_only, "
            "not_allowed, referral_at_least, verdict_in, warns, source",
            id="rule-key-in-invariant",
        ),
    ],
)
def test_bad_invariants_are_located(tmp_path, body, expected):
    """Each kind of bad invariant is one located problem naming the invariant."""
    text = "invariants:\n  - id: i1\n    description: An invariant.\n" + body
    error = load_error(with_invariants(tmp_path, text))
    problems = [str(p).splitlines()[0] for p in error.problems]
    assert problems == shown(tmp_path, [expected])


def test_duplicate_invariant_ids(tmp_path):
    """Two invariants with one id are refused, pointing at the first."""
    item = (
        "  - id: same\n    description: An invariant.\n    when: open_wounds\n    allowed: none\n"
    )
    error = load_error(with_invariants(tmp_path, "invariants:\n" + item + item))
    assert [str(p).splitlines()[0] for p in error.problems] == shown(
        tmp_path,
        [
            (
                "<dir>/inv.yaml:6:5: rule 'same': duplicate invariant id "
                "(first defined at <dir>/inv.yaml:2)"
            )
        ],
    )


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome("stop", frozenset(), "see_doctor", frozenset({"wounds"})), []),
        (
            Outcome("proceed", frozenset({"thumb_pressure"}), "none", frozenset()),
            [
                "allows thumb_pressure; expected only gentle_stroking",
                "allows thumb_pressure; expected not",
                "refers none, below see_doctor",
                "verdict proceed, not in see_doctor, stop",
                "does not warn wounds",
            ],
        ),
    ],
)
def test_violations_name_each_broken_expectation(tmp_path, outcome, expected):
    """Invariant.violations lists every expectation an outcome breaks, in plain words."""
    rules = load_unproved(
        with_invariants(
            tmp_path,
            "invariants:\n"
            "  - id: all-keys\n"
            "    description: Every key.\n"
            "    when: open_wounds\n"
            "    allowed_only: [gentle_stroking]\n"
            "    not_allowed: [thumb_pressure]\n"
            "    referral_at_least: see_doctor\n"
            "    verdict_in: [see_doctor, stop]\n"
            "    warns: wounds\n",
        )
    )
    assert rules.invariants[0].violations(outcome) == expected


def test_invariants_survive_pickling():
    """A pickled RuleSet (as sent to batch workers) keeps its invariants."""
    import pickle  # noqa: PLC0415

    from neurotriage import default_rules  # noqa: PLC0415

    rules = default_rules()
    copy = pickle.loads(pickle.dumps(rules))  # noqa: S301 - our own object
    assert copy.invariants == rules.invariants
    assert copy.version == rules.version

"""A loaded, validated rule set: the catalogue, the rules and the invariants. Plain data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from neurotriage.decision import (
    REFERRAL_LEVELS,
    Decision,
    Outcome,
    Pressure,
    ReferralLevel,
    Severity,
    Verdict,
)
from neurotriage.language import Condition, fields_read
from neurotriage.pack import PROFILE_PACK, Pack

__all__ = ["Invariant", "Rule", "RuleSet", "Source", "Technique", "Therapy", "WarningSpec"]


@dataclass(frozen=True)
class Source:
    """Where a rule or catalogue entry comes from: a document and its section."""

    document: str
    section: str


@dataclass(frozen=True)
class WarningSpec:
    """The warning a rule adds when it fires.

    ``advice`` marks advice on how to massage (keep the pressure gentle, stop
    on sharp pain): a person's summary shows it only when some technique is
    allowed. The Decision always holds every warning.
    """

    code: str
    severity: Severity
    message: str
    advice: bool = False


@dataclass(frozen=True)
class Technique:
    """One massage technique of the catalogue."""

    id: str
    name: str
    area: str
    how_to: str
    pressure_ceiling: Pressure
    source: Source | None = None
    file: str = "<memory>"
    line: int = 0


@dataclass(frozen=True)
class Therapy:
    """One complementary therapy of the catalogue."""

    id: str
    name: str
    description: str
    note: str
    source: Source | None = None
    file: str = "<memory>"
    line: int = 0


@dataclass(frozen=True)
class Rule:
    """One rule: a condition and the effects it has when it holds.

    ``block`` holds technique ids, already resolved (``block: all`` is every
    technique of the catalogue). ``file`` and ``line`` say where it was written.
    """

    id: str
    description: str
    when: str
    condition: Condition
    block: frozenset[str] = frozenset()
    refer: ReferralLevel | None = None
    warn: WarningSpec | None = None
    ask: tuple[str, ...] = ()
    verdict: Verdict | None = None
    source: Source | None = None
    file: str = "<memory>"
    line: int = 0

    @property
    def fields(self) -> frozenset[str]:
        """The input fields this rule's condition reads."""
        return fields_read(self.condition)


@dataclass(frozen=True)
class Invariant:
    """A property every decision must have wherever ``condition`` holds.

    Each expectation is optional: ``allowed_only`` (a set; empty means nothing
    may be allowed), ``not_allowed``, ``referral_at_least``, ``verdict_in`` and
    ``warns`` (warning codes that must all be present).
    """

    id: str
    description: str
    when: str
    condition: Condition
    allowed_only: frozenset[str] | None = None
    not_allowed: frozenset[str] = frozenset()
    referral_at_least: ReferralLevel | None = None
    verdict_in: frozenset[str] | None = None
    warns: frozenset[str] = frozenset()
    source: Source | None = None
    file: str = "<memory>"
    line: int = 0

    @property
    def condition_fields(self) -> frozenset[str]:
        """The input fields this invariant's condition reads."""
        return fields_read(self.condition)

    def violations(self, decision: Decision | Outcome) -> list[str]:
        """What ``decision`` fails of this invariant's expectations (empty: it holds).

        The condition is not checked here: call this only for profiles where it holds.
        """
        outcome = decision if isinstance(decision, Outcome) else Outcome.of(decision)
        found: list[str] = []
        allowed = outcome.allowed
        if self.allowed_only is not None and not allowed <= self.allowed_only:
            extra = ", ".join(sorted(allowed - self.allowed_only))
            expected = (
                "only " + ", ".join(sorted(self.allowed_only)) if self.allowed_only else "none"
            )
            found.append(f"allows {extra}; expected {expected}")
        if allowed & self.not_allowed:
            found.append(f"allows {', '.join(sorted(allowed & self.not_allowed))}; expected not")
        level = outcome.referral
        wanted = self.referral_at_least
        if wanted is not None and REFERRAL_LEVELS.index(level) < REFERRAL_LEVELS.index(wanted):
            found.append(f"refers {level}, below {wanted}")
        if self.verdict_in is not None and outcome.verdict not in self.verdict_in:
            found.append(f"verdict {outcome.verdict}, not in {', '.join(sorted(self.verdict_in))}")
        missing = self.warns - outcome.warnings
        if missing:
            found.append(f"does not warn {', '.join(sorted(missing))}")
        return found


@dataclass(eq=False)
class RuleSet:
    """A validated rule set. Build one with :func:`neurotriage.load_rules`.

    A RuleSet is immutable, plain data: nothing compiled is kept on it. The
    pipeline compiles an engine per backend on first use and keeps it beside
    the rule set (see :mod:`neurotriage.pipeline`), which is also why a
    RuleSet pickles as just its content: a copy in a worker process compiles
    its own engines there. Two RuleSets are equal only if they are the same
    object.
    """

    techniques: tuple[Technique, ...]
    therapies: tuple[Therapy, ...]
    rules: tuple[Rule, ...]
    version: str
    invariants: tuple[Invariant, ...] = ()
    #: the input model the rules read and the safety semantics they are proved against
    pack: Pack = PROFILE_PACK
    #: whether load_rules() proved the pack's safety properties (False: verify=False)
    verified: bool = True
    _by_id: Mapping[str, Rule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {rule.id: rule for rule in self.rules}
        if len(self._by_id) != len(self.rules):
            raise ValueError("rule ids must be unique")

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if there is none)."""
        return self._by_id[rule_id]

    @property
    def technique_ids(self) -> tuple[str, ...]:
        """Technique ids in catalogue order."""
        return tuple(t.id for t in self.techniques)

    @property
    def fields_read(self) -> frozenset[str]:
        """Every Profile field some rule reads."""
        return frozenset().union(*(rule.fields for rule in self.rules))

    def reordered(self, rules: Iterable[Rule]) -> RuleSet:
        """The same rule set with its rules in another order (for order tests)."""
        return RuleSet(
            self.techniques,
            self.therapies,
            tuple(rules),
            self.version,
            self.invariants,
            self.pack,
            self.verified,
        )

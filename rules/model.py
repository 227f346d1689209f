"""The rule engine's vocabulary: severities, scopes, outcomes, a rule, a finding, load errors.

Pure data: nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Severity(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self]


SEVERITY_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class RuleScope(enum.StrEnum):
    """What a rule judges: one machine, one LAN device, one network link, or one unit (fleet)."""

    MACHINE = "machine"
    DEVICE = "device"
    LINK = "link"
    UNIT = "unit"


class Outcome(enum.StrEnum):
    FIRING = "firing"  # the condition holds: something is wrong
    UNKNOWN = "unknown"  # a fact the rule needs is missing, or the expression failed on the data
    PASSING = "passing"  # evaluated, condition false (never returned as a finding: it is the absence)


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def both(self) -> str:
        """Vietnamese with English beside, as notifications and the CLI show it."""
        return f"{self.vi} / {self.en}"


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a legal text (old and current where the law changed) or practice."""

    text: str
    effective: str = ""  # ISO date the text took effect, "" when not applicable
    until: str = ""  # ISO date it stopped applying, "" when current


@dataclass(frozen=True)
class Example:
    """A set of facts and whether the rule must fire on them (the rule's own test)."""

    facts: Mapping[str, Any]
    fires: bool
    parameters: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    """For a rule with levels: the severity it must fire with (None: not checked)."""


@dataclass(frozen=True)
class Level:
    """A higher severity of a rule's condition: while the rule fires and ``condition`` holds, its
    alert has this severity (and title). One condition with thresholds is one rule with levels,
    so its alert escalates and de-escalates instead of resolving while the problem grows."""

    severity: Severity
    condition: str
    title: Text | None = None


@dataclass(frozen=True)
class Rule:
    """A rule as loaded from a pack (YAML); ``condition`` is CEL over facts and ``params``."""

    id: str
    title: Text
    remediation: Text
    severity: Severity
    scope: RuleScope
    condition: str
    parameters: Mapping[str, Any]
    sources: tuple[Source, ...]
    roles: frozenset[str] = frozenset()
    """Machine roles the rule applies to; empty means every role."""
    requires: tuple[str, ...] | None = None
    """Facts that must be known for the rule to judge; None means every fact the condition names."""
    examples: tuple[Example, ...] = ()
    active_from: str = ""
    """ISO date before which the rule does not apply ("" = always); e.g. a law taking effect."""
    active_until: str = ""
    """ISO date from which the rule no longer applies ("" = still applies)."""
    pack: str = ""
    file: str = ""
    line: int = 0
    levels: tuple[Level, ...] = ()
    """Higher severities by threshold, the most severe first when evaluated (see :class:`Level`)."""
    evidence: tuple[str, ...] = ()
    """Facts whose items are the alert's evidence: an acknowledged alert opens again when a new
    item appears (another threat, another product switched off)."""
    incident: bool = False
    """Its alerts are security incidents (sự cố): each opening goes into the incident register."""

    def title_for(self, severity: Severity) -> Text:
        """The title of the level with this severity, else the rule's own."""
        for level in self.levels:
            if level.severity is severity and level.title is not None:
                return level.title
        return self.title


class Finding(NamedTuple):
    """A rule fired (or could not judge) on a subject. Absence of a finding for an evaluated rule
    means it passed. (A NamedTuple: a sweep makes hundreds of thousands of them.)"""

    rule_id: str
    subject: str
    outcome: Outcome
    severity: Severity
    reason: str = ""
    """For UNKNOWN: which fact was missing or what failed; for FIRING: the facts read (name=value)."""
    read: tuple[tuple[str, Any], ...] = ()
    """FIRING: the facts the condition read, with their values (for the evidence in words)."""
    evidence: tuple[str, ...] = ()
    """FIRING: the items of the rule's evidence facts."""


@dataclass(frozen=True)
class Override:
    """An operator's change to one rule for one unit's subtree (deepest unit wins)."""

    unit: str
    rule_id: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    disabled: bool = False


class RuleError(ValueError):
    """A rule file or a rule is broken: says which file, which line, and why."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason

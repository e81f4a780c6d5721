"""What changed for one image between two judgements: each finding reduced to the facts an owner acts on, then
compared with the previous judgement (the last tick's, else the scan attached at promotion).

A finding keeps its identity across ticks through any of its ids in the same package, so a GHSA that the DB now
links to its CVE is the same finding, not one gone and one new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from seawall.model.finding import Finding
from seawall.model.vuln import Severity
from seawall.triage.targets import source_of

# The rating order for "raised"; an unknown rating that becomes high or critical counts as raised too.
_RANK = {Severity.NEGLIGIBLE.value: 1, Severity.LOW.value: 2, Severity.MEDIUM.value: 3, Severity.HIGH.value: 4,
         Severity.CRITICAL.value: 5}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "negligible", "unknown")

NEWLY_AFFECTED = "newly-affected"
NEWLY_FIXED = "newly-fixed"
SEVERITY_RAISED = "severity-raised"
ADDED_TO_KEV = "added-to-kev"
ALLOWLIST_EXPIRED = "allowlist-expired"
TRIAGE_LIFTED = "triage-lifted"  # a VEX statement or allowlist entry that covered it is gone
NO_LONGER_AFFECTED = "no-longer-affected"
ACTION_KINDS = (NEWLY_AFFECTED, NEWLY_FIXED, SEVERITY_RAISED, ADDED_TO_KEV, ALLOWLIST_EXPIRED, TRIAGE_LIFTED)


@dataclass(frozen=True)
class FindingState:
    """One finding as the watch remembers it (JSON-friendly)."""

    id: str
    ids: tuple[str, ...]
    package: str
    version: str
    pkg_type: str
    source: str
    severity: str
    severity_source: str
    fixed_version: str | None
    fix_available: bool
    kev: str | None  # the date CISA added it
    kev_due: str | None
    epss: float | None
    suppressed_by: tuple[str, ...]  # "allowlist <locator>" | "vex <rule>"
    expires: str | None  # the earliest expiry of the allowlist entries suppressing it

    @property
    def open(self) -> bool:
        return not self.suppressed_by

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> FindingState:
        values: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        values["ids"] = tuple(values["ids"] or ())
        values["suppressed_by"] = tuple(values["suppressed_by"] or ())
        values["fix_available"] = bool(values["fix_available"])
        return cls(**values)


def state_of(finding: Finding) -> FindingState:
    allowlisted = [s for s in finding.suppressions if s.kind == "allowlist"]
    expiries = sorted(s.expires for s in allowlisted if s.expires)
    return FindingState(
        id=finding.id, ids=tuple(dict.fromkeys(finding.ids)), package=finding.package.name,
        version=finding.package.version, pkg_type=finding.package.type, source=source_of(finding.package),
        severity=finding.severity.value, severity_source=finding.severity_source,
        fixed_version=finding.fixed_versions[0] if finding.fixed_versions else None,
        fix_available=finding.fix_available,
        kev=finding.kev.date_added if finding.kev else None, kev_due=finding.kev.due_date if finding.kev else None,
        epss=finding.epss.score if finding.epss else None,
        suppressed_by=tuple(f"{s.kind} {s.rule}" for s in finding.suppressions),
        expires=expiries[0] if expiries else None)


def states_of(findings: Iterable[Finding]) -> dict[str, FindingState]:
    out: dict[str, FindingState] = {}
    for finding in findings:
        state = state_of(finding)
        out.setdefault(key_of(state), state)
    return out


def key_of(state: FindingState) -> str:
    return f"{state.id} {state.pkg_type}/{state.package}@{state.version}"


@dataclass(frozen=True)
class Change:
    """One change in one finding of a promoted image since its last judgement, and what its owner should do."""

    kind: str
    finding: FindingState
    previous: FindingState | None = None
    detail: str = ""

    @property
    def needs_action(self) -> bool:
        return self.kind in ACTION_KINDS

    def suggested_action(self) -> str:
        f = self.finding
        fix = f"upgrade {f.package} to {f.fixed_version}, rebuild and promote" if f.fix_available and \
            f.fixed_version else None
        if self.kind == NO_LONGER_AFFECTED:
            return "none: the data no longer says this image is affected"
        if self.kind == ADDED_TO_KEV:
            due = f" (CISA due date {f.kev_due})" if f.kev_due else ""
            return f"exploited in the wild{due}: {fix or 'mitigate now; no fixed version yet'}"
        if self.kind == NEWLY_FIXED:
            return fix or "a fix is available: rebuild and promote"
        if self.kind == ALLOWLIST_EXPIRED:
            return f"review the expired allowlist entry ({self.detail}): renew it with a reason, or {fix or 'fix'}"
        if self.kind == SEVERITY_RAISED:
            return f"re-triage at the new rating: {fix or 'no fixed version yet; allowlist with a reason or mitigate'}"
        return fix or "triage: no fixed version yet; allowlist with a justification and expiry, or mitigate"

    def to_data(self) -> dict[str, Any]:
        f = self.finding
        return {"kind": self.kind, "id": f.id, "aliases": [i for i in f.ids if i != f.id], "package": f.package,
                "version": f.version, "type": f.pkg_type, "severity": f.severity, "severitySource": f.severity_source,
                "previousSeverity": self.previous.severity if self.previous else None,
                "fixedVersion": f.fixed_version, "fixAvailable": f.fix_available, "kev": f.kev is not None,
                "kevDateAdded": f.kev, "kevDueDate": f.kev_due, "epss": f.epss, "detail": self.detail or None,
                "needsAction": self.needs_action, "suggestedAction": self.suggested_action()}


@dataclass
class ImageChanges:
    """Every change the watch found in one promoted image since its last judgement."""

    repository: str
    digest: str
    tags: list[str]
    changes: list[Change] = field(default_factory=list)

    @property
    def needs_action(self) -> bool:
        return any(c.needs_action for c in self.changes)


def _raised(before: str, after: str) -> bool:
    if before not in _RANK:
        return after in ("high", "critical")
    return _RANK.get(after, 0) > _RANK[before]


def diff(previous: Mapping[str, FindingState], current: Mapping[str, FindingState],
         expired: Mapping[str, str]) -> list[Change]:
    """The changes from `previous` to `current`. `expired`: for a finding of `current` (by key) that an allowlist
    entry would cover but for its expiry, which entry and when it expired."""
    by_id: dict[tuple[str, str, str, str], FindingState] = {}
    for state in previous.values():
        for vuln_id in state.ids:
            by_id.setdefault((vuln_id.upper(), state.pkg_type, state.package, state.version), state)
    matched: set[int] = set()
    changes: list[Change] = []
    for key, now in current.items():
        before = previous.get(key) or next(
            (by_id[k] for k in ((i.upper(), now.pkg_type, now.package, now.version) for i in now.ids) if k in by_id),
            None)
        if before is not None:
            matched.add(id(before))
        if not now.open:
            continue
        if before is None:
            changes.append(Change(NEWLY_AFFECTED, now))
            continue
        if not before.open:
            if key in expired and any(s.startswith("allowlist ") for s in before.suppressed_by):
                changes.append(Change(ALLOWLIST_EXPIRED, now, before, expired[key]))
            else:
                changes.append(Change(TRIAGE_LIFTED, now, before, ", ".join(before.suppressed_by)))
            continue
        if now.fix_available and not before.fix_available:
            changes.append(Change(NEWLY_FIXED, now, before))
        if _raised(before.severity, now.severity):
            changes.append(Change(SEVERITY_RAISED, now, before, f"{before.severity} → {now.severity}"))
        if now.kev and not before.kev:
            changes.append(Change(ADDED_TO_KEV, now, before, f"added {now.kev}"))
    for state in previous.values():
        if id(state) not in matched and state.open:
            changes.append(Change(NO_LONGER_AFFECTED, state, state))
    return sorted(changes, key=lambda c: (ACTION_KINDS.index(c.kind) if c.kind in ACTION_KINDS else 99,
                                          SEVERITY_ORDER.index(c.finding.severity)
                                          if c.finding.severity in SEVERITY_ORDER else 9, c.finding.id))

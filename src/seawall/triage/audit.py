"""Audit allowlists so they stay true: expired or expiring entries, entries nothing uses any more, entries the
distribution now contradicts (a fix exists → upgrade instead; not affected → the entry is not needed), and
entries whose reasoning is missing or boilerplate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from seawall.db.store import VulnStore
from seawall.model.finding import ScanReport
from seawall.model.vuln import Advisory, Status
from seawall.triage.allowlist import Allowlist, AllowlistEntry
from seawall.triage.targets import image_names, parse_purl, source_of
from seawall.versions import scheme_for

BOILERPLATE = frozenset({
    "n/a", "na", "none", "not applicable", "false positive", "fp", "accepted", "risk accepted", "accepted risk",
    "ignore", "ignored", "wontfix", "won't fix", "wont fix", "tbd", "todo", "not exploitable", "not relevant",
    "no fix", "no fix available", "not affected", "ok", "approved", "temporary", "see ticket",
})
KINDS = ("expired", "expiring", "unused", "upgrade", "not-needed", "vague")


@dataclass(frozen=True)
class AuditProblem:
    """One thing an allowlist audit found wrong with an entry, and what to do about it."""

    locator: str
    id: str
    kind: str  # one of KINDS
    message: str
    remedy: str


@dataclass
class AuditReport:
    """The outcome of an allowlist audit: entries and scan reports read, whether the DB was asked, every problem."""

    entries: int
    scans: int
    problems: list[AuditProblem] = field(default_factory=list)
    checked_db: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_data(self) -> dict[str, object]:
        return {"schema": "seawall-allowlist-audit/v1", "entries": self.entries, "scans": self.scans,
                "checked_db": self.checked_db, "ok": self.ok,
                "problems": [p.__dict__ for p in self.problems]}


def audit_allowlists(allowlists: Sequence[Allowlist], reports: Sequence[ScanReport] = (),
                     store: VulnStore | None = None, *, now: datetime | None = None, expiring_days: int = 30,
                     min_statement: int = 20) -> AuditReport:
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    entries = [e for a in allowlists for e in a.entries]
    report = AuditReport(entries=len(entries), scans=len(reports), checked_db=store is not None)
    for entry in entries:
        problems = report.problems
        if entry.expired(today):
            problems.append(AuditProblem(entry.locator, entry.id, "expired",
                                         f"expired on {entry.expires}: it suppresses nothing",
                                         "review it: fix the finding, or renew `expires` with a fresh justification"))
        elif entry.expires <= today + timedelta(days=expiring_days):
            problems.append(AuditProblem(entry.locator, entry.id, "expiring",
                                         f"expires on {entry.expires} (within {expiring_days} days)",
                                         "review it before it lapses and the gate starts failing"))
        vague = _vagueness(entry, min_statement)
        if vague:
            problems.append(AuditProblem(entry.locator, entry.id, "vague", vague,
                                         "give a `justification` (OpenVEX vocabulary) and a statement that says why"))
        if reports and not _used(entry, reports):
            problems.append(AuditProblem(entry.locator, entry.id, "unused",
                                         f"matches no finding in the {len(reports)} scan(s) given",
                                         "remove it if the vulnerability is gone from every image it covers"))
        if store is not None:
            problems.extend(_contradictions(entry, reports, store))
    return report


def _vagueness(entry: AllowlistEntry, min_statement: int) -> str | None:
    if entry.justification:
        return None
    text = (entry.statement or "").strip()
    normalised = text.lower().strip(" .!")
    if not text:
        return "no justification and no statement"
    if normalised in BOILERPLATE:
        return f"no justification, and the statement is boilerplate ({text!r})"
    if len(text) < min_statement:
        return f"no justification, and the statement is shorter than {min_statement} characters ({text!r})"
    return None


def _applies(entry: AllowlistEntry, report: ScanReport) -> bool:
    return entry.applies_to_image(image_names(report)) if entry.scope else True


def _used(entry: AllowlistEntry, reports: Sequence[ScanReport]) -> bool:
    return any(entry.matches(f) for r in reports if _applies(entry, r) for f in r.findings)


def _context(entry: AllowlistEntry, reports: Sequence[ScanReport]) -> set[tuple[str, str, str | None]]:
    """(namespace, source package, installed source version) the entry covers in the scanned images; without
    scans, what its purl says (distro qualifier) or every namespace."""
    found: set[tuple[str, str, str | None]] = set()
    ids = {entry.id.upper()}
    for report in reports:
        distro = report.sbom.distro
        if distro is None or not _applies(entry, report):
            continue
        if entry.names_package:
            packages = [p for p in report.sbom.packages if p.type in ("deb", "apk", "rpm") and
                        entry.matches_package(p)]
        else:
            packages = [f.package for f in report.findings if ids & {i.upper() for i in f.ids}]
        for p in packages:
            found.add((distro.namespace, source_of(p), p.source_version or p.version))
    if found or reports:
        return found
    purl = parse_purl(entry.purl) if entry.purl else None
    source = entry.source or (purl.name if purl else None) or entry.package
    if not source:
        return found
    namespace = ""
    if purl is not None and isinstance(purl.qualifiers, dict) and purl.qualifiers.get("distro"):
        name, _, version = purl.qualifiers["distro"].rpartition("-")
        namespace = f"{name}:{version}"
    found.add((namespace, source, None))
    return found


def _advisories(entry: AllowlistEntry, store: VulnStore) -> list[Advisory]:
    ids = [entry.id, *sorted(store.aliases(entry.id))]
    return [a for i in ids for a in store.advisories_by_id(i)]


def _contradictions(entry: AllowlistEntry, reports: Sequence[ScanReport], store: VulnStore) -> list[AuditProblem]:
    context = _context(entry, reports)
    if not context:
        return []
    advisories = _advisories(entry, store)
    out: list[AuditProblem] = []
    seen: set[tuple[str, str]] = set()
    for namespace, source, installed in sorted(context, key=lambda c: (c[0], c[1], c[2] or "")):
        for adv in advisories:
            if adv.package != source or (namespace and adv.namespace != namespace) or adv.feed == "nvd":
                continue
            key = (adv.namespace, source)
            if key in seen:
                continue
            if adv.status is Status.NOT_AFFECTED:
                seen.add(key)
                out.append(AuditProblem(entry.locator, entry.id, "not-needed",
                                        f"{adv.namespace} now says {source} is not affected by {adv.id}",
                                        "remove the entry: the finding no longer exists"))
            elif adv.status is Status.FIXED and adv.fixed_versions:
                seen.add(key)
                fixed = adv.fixed_versions[0]
                if installed and _at_least(adv.namespace, installed, fixed):
                    out.append(AuditProblem(entry.locator, entry.id, "not-needed",
                                            f"{adv.namespace} fixed {adv.id} in {source} {fixed}, which the image "
                                            f"already has ({installed})", "remove the entry"))
                else:
                    out.append(AuditProblem(entry.locator, entry.id, "upgrade",
                                            f"{adv.namespace} now has a fix for {adv.id} in {source}: {fixed}",
                                            f"upgrade instead to {fixed} (source package {source}), then remove the "
                                            "entry"))
    return out


def _at_least(namespace: str, installed: str, fixed: str) -> bool:
    scheme = scheme_for(namespace.split(":", 1)[0])
    have, want = scheme.try_parse(installed), scheme.try_parse(fixed)
    return bool(have and want and have >= want)

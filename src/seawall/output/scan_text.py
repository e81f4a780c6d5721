"""What every scan format says the same way: severity order, status in words, counts, and which findings to write."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.model.vuln import Severity, Status, split_source
from seawall.output.scan import ScanView

# Worst first. UNKNOWN sits below LOW as in Trivy and grype: an unrated issue is not ranked above a rated one.
SEVERITY_ORDER: tuple[Severity, ...] = (
    Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.NEGLIGIBLE, Severity.UNKNOWN,
)
_RANK = {severity: index for index, severity in enumerate(SEVERITY_ORDER)}

STATUS_WORDS = {
    Status.FIXED: "fixed",
    Status.AFFECTED: "no fix",
    Status.NOT_AFFECTED: "not affected",
    Status.UNDETERMINED: "undetermined",
    Status.MINOR: "minor",
    Status.WILL_NOT_FIX: "will not fix",
    Status.FIX_DEFERRED: "fix deferred",
    Status.NEGLIGIBLE: "negligible",
    Status.UNSUPPORTED: "end-of-life",
}

# The uuid5 namespace of seawall's scan document ids.
DOCUMENT_NAMESPACE = UUID("7b0e3e62-3c1e-5f3e-9c55-5ea3a11c0de5")


def severity_rank(severity: Severity) -> int:
    """0 for critical … 5 for unknown: sort keys put the worst first."""
    return _RANK[severity]


def status_text(finding: Finding) -> str:
    """`fixed in 3.0.13-1~deb12u1`, `no fix`, `will not fix`, … — the vendor's verdict as a reader says it."""
    if finding.status is Status.FIXED and finding.fixed_versions:
        return "fixed in " + ", ".join(finding.fixed_versions)
    return STATUS_WORDS[finding.status]


def severity_hint(finding: Finding) -> str:
    """Whose rating a reader sees, when it is not the distribution's own: `nvd 3.1`, `osv 3.1`, `ghsa`, or
    `unrated`; empty for a distribution's rating, which is what the table is about."""
    scorer, version = split_source(finding.severity_source)
    if finding.severity_source == "none":
        return "unrated"
    if version is None:
        return scorer if scorer == "ghsa" else ""
    who = "nvd" if scorer.startswith("nvd") else scorer.split("@")[-1] if "@" in scorer else \
        scorer if scorer == "osv" else "cna"
    return f"{who} {version}"


def finding_order(finding: Finding) -> tuple[int, int, str]:
    """Worst first, known-exploited before the rest of its severity, then by id."""
    return (severity_rank(finding.severity), 0 if finding.kev else 1, finding.id)


def package_key(package: Package) -> tuple[str, str, str, str]:
    return (package.type, package.name, package.version, package.locations[0].path if package.locations else "")


def recorded(report: ScanReport, view: ScanView) -> list[Finding]:
    """Findings a machine-readable report carries: the view's filters apply, but suppressed ones stay, marked.

    Suppression is data: a reader (code scanning, a VEX-aware tool) must see what was waived and why.
    """
    keep = dataclasses.replace(view, show_suppressed=True)
    return [finding for finding in report.findings if keep.shows(finding)]


def by_package(findings: Iterable[Finding]) -> list[tuple[Package, list[Finding]]]:
    """Findings grouped per package (the same package found at two paths stays two groups), in a stable order."""
    groups: dict[tuple[str, str, str, str], tuple[Package, list[Finding]]] = {}
    for finding in findings:
        groups.setdefault(package_key(finding.package), (finding.package, []))[1].append(finding)
    for _, items in groups.values():
        items.sort(key=finding_order)
    return [groups[key] for key in sorted(groups)]


@dataclass(frozen=True)
class Summary:
    """Counts a summary line or table states; `by_severity` counts what is shown."""

    shown: int
    by_severity: dict[Severity, int]
    fixable: int
    kev: int
    suppressed: int  # every suppressed finding in the report, shown or not
    hidden: int  # unsuppressed findings the filters left out

    @classmethod
    def of(cls, report: ScanReport, view: ScanView, shown: Sequence[Finding]) -> Summary:
        counts = Counter(finding.severity for finding in shown if not finding.suppressed)
        active = [finding for finding in shown if not finding.suppressed]
        suppressed = sum(1 for finding in report.findings if finding.suppressed)
        hidden = sum(1 for finding in report.findings if not finding.suppressed and not view.shows(finding))
        return cls(
            shown=len(active),
            by_severity={severity: counts.get(severity, 0) for severity in SEVERITY_ORDER},
            fixable=sum(1 for finding in active if finding.fix_available),
            kev=sum(1 for finding in active if finding.kev),
            suppressed=suppressed,
            hidden=hidden,
        )


def document_serial(report: ScanReport) -> UUID:
    """A document id that is the same for the same report: golden files and re-renders agree, scans differ."""
    image = report.image
    return uuid5(DOCUMENT_NAMESPACE, f"{image.digest or image.source}|{report.scanned_at}")


def scanned_at(report: ScanReport) -> datetime:
    return datetime.fromisoformat(report.scanned_at.replace("Z", "+00:00"))


def shorten(text: str | None, width: int) -> str:
    """One line, at most `width` characters, an ellipsis where cut."""
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: max(width - 1, 0)].rstrip() + "…"


def created_by_short(created_by: str | None, width: int = 60) -> str:
    """A history line without the shell and buildkit noise: `RUN pip install …` rather than `/bin/sh -c …`."""
    text = " ".join((created_by or "").split())
    for prefix in ("/bin/sh -c #(nop) ", "/bin/sh -c ", "RUN /bin/sh -c "):
        if text.startswith(prefix):
            text = ("" if prefix.endswith("#(nop) ") else "RUN ") + text[len(prefix):]
            break
    text = text.removesuffix(" # buildkit").strip()
    return shorten(text, width)


def no_findings_line(report: ScanReport) -> str:
    """What to say when no finding is shown — never "no vulnerabilities" without what was covered."""
    if report.findings:
        return "No findings to show."
    coverage = report.coverage
    if coverage is None:
        return "No vulnerabilities found."
    if coverage.complete:
        count = coverage.packages
        return f"No vulnerabilities found in {count} package{'' if count == 1 else 's'}, all covered by the DB."
    count = coverage.covered_packages
    return f"No vulnerabilities in {count} covered package{'' if count == 1 else 's'}."


def coverage_statement(report: ScanReport) -> str:
    """`129 packages were not checked: the DB has no advisories for debian:12 (try seawall db update).`"""
    coverage = report.coverage
    if coverage is None or coverage.complete:
        return ""
    return coverage.statement()


def coverage_notes(report: ScanReport) -> list[str]:
    """Covered, but only partly: data that lists fixed vulnerabilities only."""
    coverage = report.coverage
    if coverage is None:
        return []
    return [f"{name}: the DB's data lists fixed vulnerabilities only; unfixed ones cannot be reported."
            for name in coverage.fixed_only_namespaces]

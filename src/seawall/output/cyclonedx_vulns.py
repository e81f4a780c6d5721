"""The scan as CycloneDX 1.6 JSON: the inventory exactly as `seawall sbom` writes it, plus a `vulnerabilities` section.

One vulnerability entry per finding (id × package), because each carries its own verdict and its own analysis; the
entry `affects` the package's component by bom-ref. Suppressed findings stay, with an `analysis`:
    VEX not_affected → not_affected + justification     VEX fixed → resolved
    VEX affected     → exploitable                      VEX under_investigation → in_triage
    allowlist        → exploitable, response will_not_fix (a risk accepted is not a risk disproved)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisAffectedStatus,
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAdvisory,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6

from seawall.model.finding import Finding, ScanReport, Suppression
from seawall.model.vuln import CVSS, Severity, Status
from seawall.output.cyclonedx import bom_refs, render_cyclonedx, verbatim_purl
from seawall.output.scan import ScanView
from seawall.output.scan_text import document_serial, finding_order, package_key, recorded, scanned_at, status_text

PROPERTY = "seawall:vulnerability:"
SEVERITIES = {
    Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
    Severity.HIGH: VulnerabilitySeverity.HIGH,
    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
    Severity.LOW: VulnerabilitySeverity.LOW,
    Severity.NEGLIGIBLE: VulnerabilitySeverity.INFO,
    Severity.UNKNOWN: VulnerabilitySeverity.UNKNOWN,
}
METHODS = {
    "2.0": VulnerabilityScoreSource.CVSS_V2,
    "3.0": VulnerabilityScoreSource.CVSS_V3,
    "3.1": VulnerabilityScoreSource.CVSS_V3_1,
    "4.0": VulnerabilityScoreSource.CVSS_V4,
}
VEX_STATES = {
    "not_affected": ImpactAnalysisState.NOT_AFFECTED,
    "fixed": ImpactAnalysisState.RESOLVED,
    "affected": ImpactAnalysisState.EXPLOITABLE,
    "under_investigation": ImpactAnalysisState.IN_TRIAGE,
}
# OpenVEX justification → CycloneDX justification (the mapping CISA's VEX status document gives).
JUSTIFICATIONS = {
    "component_not_present": ImpactAnalysisJustification.CODE_NOT_PRESENT,
    "vulnerable_code_not_present": ImpactAnalysisJustification.CODE_NOT_PRESENT,
    "vulnerable_code_not_in_execute_path": ImpactAnalysisJustification.CODE_NOT_REACHABLE,
    "vulnerable_code_cannot_be_controlled_by_adversary": ImpactAnalysisJustification.REQUIRES_ENVIRONMENT,
    "inline_mitigations_already_exist": ImpactAnalysisJustification.PROTECTED_BY_MITIGATING_CONTROL,
}
_ALIAS_PAGES = {"DSA-": "https://security-tracker.debian.org/tracker/", "DLA-": "https://security-tracker.debian.org/tracker/",
                "CVE-": "https://nvd.nist.gov/vuln/detail/"}


def render(report: ScanReport, view: ScanView) -> str:
    bom = inventory_bom(report)
    refs = dict(zip((package_key(p) for p in report.sbom.packages), bom_refs(report.sbom.packages), strict=True))
    findings = sorted(recorded(report, view), key=lambda f: (*finding_order(f), package_key(f.package)))
    for finding in findings:
        bom.vulnerabilities.add(vulnerability(finding, refs[package_key(finding.package)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # components without dependencies of their own, as in the SBOM writer
        return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


def inventory_bom(report: ScanReport) -> Bom:
    """The SBOM writer's document as a Bom object, timestamped and numbered by the scan.

    The SBOM module builds and serialises in one call, so its output is read back; purls are restored verbatim
    because the library would re-encode them and readers match on the exact text.
    """
    text = render_cyclonedx(report.sbom, now=scanned_at(report), serial=document_serial(report))
    data = json.loads(text)
    bom = Bom.from_json(data)  # type: ignore[attr-defined]
    purls = {item["bom-ref"]: item["purl"] for item in data.get("components", []) if "purl" in item}
    for component in bom.components:
        if component.bom_ref.value in purls:
            component.purl = verbatim_purl(purls[component.bom_ref.value])
    image = bom.metadata.component
    written = data.get("metadata", {}).get("component", {})
    if image is not None and "purl" in written:
        image.purl = verbatim_purl(written["purl"])
    return bom


def vulnerability(finding: Finding, component_ref: str) -> Vulnerability:
    package = finding.package
    versions = [BomTargetVersionRange(version=package.version, status=ImpactAnalysisAffectedStatus.AFFECTED)]
    versions += [BomTargetVersionRange(version=fixed, status=ImpactAnalysisAffectedStatus.UNAFFECTED)
                 for fixed in finding.fixed_versions]
    advisories = [finding.data_source] if finding.data_source else []
    advisories += [url for url in finding.references if url not in advisories]
    return Vulnerability(
        bom_ref=f"{finding.id}@{component_ref}",
        id=finding.id,
        source=_source(finding),
        references=[_reference(alias) for alias in finding.aliases],
        ratings=_ratings(finding),
        description=finding.description or finding.title,
        detail=finding.title if finding.description else None,
        recommendation=_recommendation(finding),
        advisories=[VulnerabilityAdvisory(url=XsUri(url)) for url in advisories],
        published=_datetime(finding.published),
        analysis=_analysis(finding.suppressions) if finding.suppressions else None,
        affects=[BomTarget(ref=component_ref, versions=versions)],
        properties=_properties(finding),
    )


def _source(finding: Finding) -> VulnerabilitySource:
    feed = finding.details[0].feed if finding.details else finding.severity_source
    return VulnerabilitySource(name=feed, url=XsUri(finding.data_source) if finding.data_source else None)


def _reference(alias: str) -> VulnerabilityReference:
    page = next((base for prefix, base in _ALIAS_PAGES.items() if alias.startswith(prefix)),
                "https://osv.dev/vulnerability/")
    name = "debian" if "debian" in page else "nvd" if "nvd" in page else "osv"
    return VulnerabilityReference(id=alias, source=VulnerabilitySource(name=name, url=XsUri(page + alias)))


def _ratings(finding: Finding) -> list[VulnerabilityRating]:
    ratings = []
    if finding.vendor_severity is not None and not finding.severity_source.startswith("cvss:"):
        ratings.append(VulnerabilityRating(
            source=VulnerabilitySource(name=finding.severity_source,
                                       url=XsUri(finding.data_source) if finding.data_source else None),
            severity=SEVERITIES[finding.vendor_severity], method=VulnerabilityScoreSource.OTHER,
        ))
    if finding.cvss is not None:
        ratings.append(_cvss_rating(finding.id, finding.cvss))
    if not ratings:
        ratings.append(VulnerabilityRating(severity=SEVERITIES[finding.severity]))
    return ratings


def _cvss_rating(vuln_id: str, cvss: CVSS) -> VulnerabilityRating:
    nvd = cvss.source.startswith("nvd")
    source = VulnerabilitySource(
        name="NVD" if nvd else cvss.source,
        url=XsUri(f"https://nvd.nist.gov/vuln/detail/{vuln_id}") if nvd and vuln_id.startswith("CVE-") else None,
    )
    return VulnerabilityRating(
        source=source,
        score=Decimal(str(cvss.score)) if cvss.score is not None else None,
        severity=SEVERITIES[cvss.rating],
        method=METHODS.get(cvss.version, VulnerabilityScoreSource.OTHER),
        vector=cvss.vector,
    )


def _recommendation(finding: Finding) -> str:
    if finding.fix_available:
        return f"Upgrade {finding.package.name} to {' or '.join(finding.fixed_versions)}"
    if finding.status is Status.AFFECTED:
        return "No fixed version yet"
    return f"No fixed version ({status_text(finding)})"


def _analysis(suppressions: Iterable[Suppression]) -> VulnerabilityAnalysis:
    first, *_ = suppressions
    detail = f"{first.kind} {first.rule}: {first.reason}"
    if first.owner:
        detail += f" (owner {first.owner})"
    if first.expires:
        detail += f" (expires {first.expires})"
    if first.kind == "vex" and first.vex_status in VEX_STATES:
        return VulnerabilityAnalysis(
            state=VEX_STATES[first.vex_status],
            justification=JUSTIFICATIONS.get(first.justification or ""),
            detail=detail,
        )
    return VulnerabilityAnalysis(
        state=ImpactAnalysisState.EXPLOITABLE, responses=[ImpactAnalysisResponse.WILL_NOT_FIX], detail=detail,
    )


def _properties(finding: Finding) -> list[Property]:
    pairs: list[tuple[str, str | None]] = [
        ("status", finding.status.value),
        ("severity", finding.severity.value),
        ("severitySource", finding.severity_source),
        ("fixAvailable", str(finding.fix_available).lower()),
        ("versionUnknown", "true" if finding.version_unknown else None),
        ("inBaseImage", None if finding.in_base_image is None else str(finding.in_base_image).lower()),
        ("suppressed", "true" if finding.suppressed else None),
        ("kev:dateAdded", finding.kev.date_added if finding.kev else None),
        ("kev:knownRansomware", str(finding.kev.known_ransomware).lower() if finding.kev else None),
        ("epss:score", f"{finding.epss.score}" if finding.epss else None),
        ("epss:percentile", f"{finding.epss.percentile}" if finding.epss else None),
    ]
    pairs += [(f"match:{index}", f"{d.feed} {d.namespace} {d.searched_name} {d.installed_version}: {d.constraint}")
              for index, d in enumerate(finding.details)]
    return [Property(name=PROPERTY + name, value=value) for name, value in pairs if value is not None]


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None

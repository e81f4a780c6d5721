"""The scan as SARIF 2.1.0, shaped for GitHub code scanning: one rule per vulnerability, one result per finding.

Written as plain dicts: SARIF is one JSON document, and the Python SARIF object models add nothing but a dependency.
GitHub reads `properties.security-severity` (a number as a string) for a rule's severity and needs a physical
location on every result; a container has no source line, so the location is the file the package was found in,
relative to the image root, as Trivy and grype do.
"""

from __future__ import annotations

import hashlib
from typing import Any

from seawall import __version__
from seawall.model.finding import Finding, ScanReport
from seawall.model.vuln import Severity
from seawall.output import json_text
from seawall.output.scan import ScanView
from seawall.output.scan_extra import sarif_parts
from seawall.output.scan_text import coverage_notes, finding_order, recorded, status_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://seawall.dev"
# GitHub's bands: critical ≥ 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9; these sit inside each band.
SECURITY_SEVERITY = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NEGLIGIBLE: 0.5,
    Severity.UNKNOWN: 0.0,
}
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
    Severity.UNKNOWN: "note",
}


def render(report: ScanReport, view: ScanView) -> str:
    return json_text.dumps(sarif_log(report, view), ensure_ascii=False) + "\n"


def sarif_log(report: ScanReport, view: ScanView) -> dict[str, Any]:
    findings = sorted(recorded(report, view), key=lambda f: (*finding_order(f), f.package.name, f.package.version))
    rules: dict[str, dict[str, Any]] = {}
    for finding in findings:
        rules.setdefault(finding.id, _rule(finding))
    index = {rule_id: position for position, rule_id in enumerate(rules)}
    extra_rules, extra_results = sarif_parts(report, view, len(rules))  # secrets and configuration checks
    image = report.image
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "seawall",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "fullName": f"seawall {__version__} container image vulnerability scanner",
                "rules": [*rules.values(), *extra_rules],
            }
        },
        "results": [*(_result(finding, report, index[finding.id]) for finding in findings), *extra_results],
        "columnKind": "utf16CodeUnits",
        "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
        "properties": {
            key: value
            for key, value in (
                ("imageName", image.source),
                ("imageDigest", image.digest),
                ("repoDigests", list(image.repo_digests) or None),
                ("distro", report.sbom.distro.pretty_name if report.sbom.distro else None),
                ("scannedAt", report.scanned_at),
                ("dbBuiltAt", report.db_built_at),
            )
            if value is not None
        },
    }
    if report.coverage is not None:
        run["invocations"] = [{"executionSuccessful": True,
                               "toolExecutionNotifications": _coverage_notifications(report)}]
        run["properties"]["coverage"] = {"complete": report.coverage.complete,
                                         "coveredPackages": report.coverage.covered_packages,
                                         "uncoveredPackages": report.coverage.uncovered_packages,
                                         "uncoveredNamespaces": list(report.coverage.uncovered_namespaces)}
    return {"version": "2.1.0", "$schema": SCHEMA, "runs": [run]}


def _coverage_notifications(report: ScanReport) -> list[dict[str, Any]]:
    """What was not checked, as the tool's own notifications: code scanning shows them beside the results."""
    coverage = report.coverage
    assert coverage is not None
    out: list[dict[str, Any]] = []
    for namespace in coverage.namespaces:
        if namespace.covered:
            continue
        count = namespace.packages
        out.append({
            "descriptor": {"id": "coverage/not-checked"},
            "level": "warning",
            "message": {"text": f"{count} package{'' if count == 1 else 's'} in {namespace.namespace} "
                                f"{'was' if count == 1 else 'were'} not checked: {namespace.reason}."},
            "properties": {"namespace": namespace.namespace, "packages": count},
        })
    for note in coverage_notes(report):
        out.append({"descriptor": {"id": "coverage/fixed-only"}, "level": "note", "message": {"text": note}})
    if coverage.complete:
        out.append({"descriptor": {"id": "coverage/complete"}, "level": "note",
                    "message": {"text": f"All {coverage.packages} packages were covered by the DB."}})
    return out


def security_severity(finding: Finding) -> str:
    """The CVSS score when it agrees with the reported severity, else the middle of that severity's band.

    A vendor may rate a CVE lower than its CVSS score (Debian: minor in this release); the number GitHub sorts by
    must say the same as the severity seawall reports, not contradict it.
    """
    cvss = finding.cvss
    if cvss is not None and cvss.score is not None and cvss.rating is finding.severity:
        return f"{cvss.score:.1f}"
    return f"{SECURITY_SEVERITY[finding.severity]:.1f}"


def _rule(finding: Finding) -> dict[str, Any]:
    title = finding.title or finding.id
    description = finding.description or title
    link = finding.data_source or (finding.references[0] if finding.references else None)
    text = (
        f"Vulnerability {finding.id}\nSeverity: {finding.severity.value} ({finding.severity_source})\n"
        f"Package: {finding.package.name}\nStatus: {status_text(finding)}\n"
        + (f"Link: {link}\n" if link else "")
        + description
    )
    markdown = (
        "| Vulnerability | Severity | Package | Status | Link |\n| --- | --- | --- | --- | --- |\n"
        f"| {finding.id} | {finding.severity.value} | {_cell(finding.package.name)} | {_cell(status_text(finding))} "
        f"| {f'[{finding.id}]({link})' if link else ''} |\n\n{description}"
    )
    rule: dict[str, Any] = {
        "id": finding.id,
        "name": "OsPackageVulnerability" if finding.package.source_name else "LanguagePackageVulnerability",
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "help": {"text": text, "markdown": markdown},
        "properties": {
            "precision": "very-high",
            "security-severity": security_severity(finding),
            "tags": ["security", "vulnerability", finding.severity.value],
        },
    }
    if link:
        rule["helpUri"] = link
    return rule


def _result(finding: Finding, report: ScanReport, rule_index: int) -> dict[str, Any]:
    package = finding.package
    uri = _location_uri(finding, report)
    message = (
        f"Package: {package.name}\nInstalled Version: {package.version}\nVulnerability: {finding.id}\n"
        f"Severity: {finding.severity.value}\nStatus: {status_text(finding)}\n"
        f"Fixed Version: {', '.join(finding.fixed_versions) or 'none'}\n"
        + (f"Layer: {package.layer_index} {package.created_by or ''}".rstrip() + "\n"
           if package.layer_index is not None else "")
        + (f"Link: [{finding.id}]({finding.data_source})" if finding.data_source else "")
    ).rstrip()
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
                },
                "message": {"text": f"{uri}: {package.name}@{package.version}"},
            }
        ],
        "partialFingerprints": {"seawallFinding/v1": _fingerprint(finding, uri, report)},
        "properties": {
            key: value
            for key, value in (
                ("packageName", package.name),
                ("packageVersion", package.version),
                ("packageType", package.type),
                ("purl", package.purl),
                ("status", finding.status.value),
                ("fixedVersions", list(finding.fixed_versions) or None),
                ("aliases", list(finding.aliases) or None),
                ("severitySource", finding.severity_source),
                ("knownExploited", True if finding.kev else None),
                ("epss", finding.epss.score if finding.epss else None),
                ("inBaseImage", finding.in_base_image),
                ("versionUnknown", True if finding.version_unknown else None),
                ("rangeUnparseable", True if finding.range_unparseable else None),
            )
            if value is not None
        },
    }
    if finding.suppressions:
        result["suppressions"] = [
            {
                # No `status`/`state`: the 2.1.0 schema says `state`, its errata and readers say `status`.
                "kind": "external",
                "justification": f"{item.kind} {item.rule}: {item.reason}",
                "properties": {k: v for k, v in (("owner", item.owner), ("expires", item.expires),
                                                 ("source", item.source or None)) if v},
            }
            for item in finding.suppressions
        ]
    return result


def _location_uri(finding: Finding, report: ScanReport) -> str:
    """The package's file relative to the image root, or the image's name when the package has no file."""
    for location in finding.package.locations:
        path = location.path.lstrip("/")
        if path:
            return path
    return (report.image.ref.repository if report.image.ref else report.image.source).lstrip("/") or "image"


def _fingerprint(finding: Finding, uri: str, report: ScanReport) -> str:
    """Stable across rescans of new builds of the same image name, so code scanning tracks one alert per finding."""
    image = report.image.ref.name if report.image.ref else report.image.source
    key = "|".join((image, finding.id, finding.package.type, finding.package.name, finding.package.version, uri))
    return hashlib.sha256(key.encode()).hexdigest()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")

"""seawall's own scan JSON: every fact of every finding, under a versioned schema (docs/scan-json.md).

Image, distro and package objects are written exactly as in seawall's SBOM JSON (schema sbom/v1), so one reader
handles both documents; findings and DB provenance follow the same convention: snake_case fields named after the
model, unknown values left out rather than written as null.
"""

from __future__ import annotations

from typing import Any

from seawall import __version__
from seawall.model.finding import Finding, ScanReport
from seawall.model.serialize import to_data
from seawall.model.vuln import FeedProvenance
from seawall.output import json_text
from seawall.output.scan import ScanView
from seawall.output.scan_extra import json_sections, redact_image
from seawall.output.scan_text import SEVERITY_ORDER, Summary, by_package, coverage_statement, package_key, recorded

SCHEMA_URI = "https://seawall.dev/schema/scan/v1"
SCHEMA_VERSION = 1


def render(report: ScanReport, view: ScanView) -> str:
    return json_text.dumps(scan_document(report, view), ensure_ascii=False) + "\n"


def scan_document(report: ScanReport, view: ScanView) -> dict[str, Any]:
    findings = recorded(report, view)
    summary = Summary.of(report, view, findings)
    groups = by_package(findings)
    document: dict[str, Any] = {
        "schema": SCHEMA_URI,
        "schemaVersion": SCHEMA_VERSION,
        "generator": {"name": "seawall", "version": __version__},
        "scannedAt": report.scanned_at,
        "image": redact_image(to_data(report.image), report),  # config values holding a found secret
        "distro": to_data(report.sbom.distro) if report.sbom.distro is not None else None,
        "baseImage": _base(report),
        "db": {
            key: value
            for key, value in (
                ("builtAt", report.db_built_at),
                ("schema", report.db_schema),
                ("feeds", [_feed(feed) for feed in report.feeds]),
            )
            if value is not None
        },
        "filters": {
            "severities": None if view.severities is None else [
                severity.value for severity in SEVERITY_ORDER if severity in view.severities
            ],
            "ignoreUnfixed": view.ignore_unfixed,
            "onlyApp": view.only_app,
            "showSuppressed": view.show_suppressed,
        },
        "summary": {
            "findings": summary.shown,
            "bySeverity": {severity.value: count for severity, count in summary.by_severity.items()},
            "fixable": summary.fixable,
            "knownExploited": summary.kev,
            "suppressed": summary.suppressed,
            "hiddenByFilters": summary.hidden,
            "packages": len(report.sbom.packages),
        },
        "packages": [
            {"package": _package(package), "findings": [finding_data(finding) for finding in items]}
            for package, items in groups
        ],
        # The rest of the inventory, so an audit of this report can see a package already at its fixed version.
        "otherPackages": [_package(package) for package in _others(report, groups)],
        "unknowns": [to_data(unknown) for unknown in report.sbom.unknowns],
    }
    if report.coverage is not None:
        document["coverage"] = coverage_data(report)
    document.update(json_sections(report, view))  # secrets, config, minimality: when those scanners ran
    return document


def coverage_data(report: ScanReport) -> dict[str, Any]:
    coverage = report.coverage
    assert coverage is not None
    data: dict[str, Any] = {"complete": coverage.complete, "packages": coverage.packages,
                            "covered": coverage.covered_packages, "uncovered": coverage.uncovered_packages}
    if statement := coverage_statement(report):
        data["statement"] = statement
    data["namespaces"] = [to_data(n) for n in coverage.namespaces]
    for namespace in data["namespaces"]:
        namespace.setdefault("covered", False)
    data["uncoveredPackages"] = [to_data(p) for p in coverage.uncovered]
    return data


def _others(report: ScanReport, groups: list[tuple[Any, list[Finding]]]) -> list[Any]:
    listed = {package_key(package) for package, _ in groups}
    return sorted((p for p in report.sbom.packages if package_key(p) not in listed), key=package_key)


def finding_data(finding: Finding) -> dict[str, Any]:
    """One finding without its package (its parent in the document), with the derived flags spelled out."""
    data = to_data(finding)
    data.pop("package", None)
    data["fix_available"] = finding.fix_available
    data["suppressed"] = finding.suppressed
    data["version_unknown"] = finding.version_unknown
    data["range_unparseable"] = finding.range_unparseable
    return data


def _package(package: Any) -> dict[str, Any]:
    data = to_data(package)
    data.pop("files", None)  # the file list belongs to the SBOM; a vulnerability report would be mostly paths
    return data


def _base(report: ScanReport) -> dict[str, Any] | None:
    if report.base_image is None:
        return None
    base: dict[str, Any] = {"name": report.base_image}
    if report.base_layers is not None:
        base["layers"] = report.base_layers
    return base


def _feed(feed: FeedProvenance) -> dict[str, Any]:
    data = to_data(feed)
    data["skip_reasons"] = {reason: count for reason, count in feed.skip_reasons}
    data["flag_reasons"] = {reason: count for reason, count in feed.flag_reasons}
    return data

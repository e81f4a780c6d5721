"""The scan as SPDX 2.3 JSON: the inventory as `seawall sbom` writes it, each finding attached to its package.

SPDX 2.3 has no vulnerability section; a finding becomes an external reference of category SECURITY, type
`advisory`, locating the vendor's page (the convention SPDX 2.3 annex F describes and other scanners follow), with
a comment that states id, severity and verdict, plus an annotation holding the finding's facts as JSON.

Secrets and configuration findings (REVIEW) and minimality (OTHER) are annotations on the document, which
describes exactly the image: `seawall:secret: {json}`, `seawall:config: {json}`, `seawall:minimality: {json}`. A
secret's `match` is the redacted one.
"""

from __future__ import annotations

import json
from typing import Any

from seawall.model.finding import Finding, ScanReport
from seawall.model.serialize import to_data
from seawall.output import json_text
from seawall.output.cyclonedx import bom_refs
from seawall.output.scan import ScanView
from seawall.output.scan_extra import config, config_data, secrets
from seawall.output.scan_json import coverage_data
from seawall.output.scan_text import document_serial, finding_order, package_key, recorded, scanned_at, status_text
from seawall.output.spdx import render_spdx, spdx_id

ANNOTATION_PREFIX = "seawall:vulnerability: "


def render(report: ScanReport, view: ScanView) -> str:
    when = scanned_at(report)
    document: dict[str, Any] = json.loads(render_spdx(report.sbom, now=when, serial=document_serial(report)))
    ids = {
        package_key(package): spdx_id(package, ref)
        for package, ref in zip(report.sbom.packages, bom_refs(report.sbom.packages), strict=True)
    }
    entries = {entry["SPDXID"]: entry for entry in document["packages"]}
    created = document["creationInfo"]["created"]
    annotator = next(c for c in document["creationInfo"]["creators"] if c.startswith("Tool: "))
    for finding in sorted(recorded(report, view), key=finding_order):
        entry = entries[ids[package_key(finding.package)]]
        entry.setdefault("externalRefs", []).append(_advisory_ref(finding))
        entry.setdefault("annotations", []).append({
            "annotator": annotator, "annotationDate": created, "annotationType": "REVIEW",
            "comment": ANNOTATION_PREFIX + json.dumps(_facts(finding), sort_keys=True, ensure_ascii=False),
        })
    annotations = [{"annotator": annotator, "annotationDate": created, "annotationType": kind,
                    "comment": f"seawall:{name}: " + json.dumps(facts, sort_keys=True, ensure_ascii=False)}
                   for kind, name, facts in _extra_facts(report, view)]
    if annotations:
        document["annotations"] = document.get("annotations", []) + annotations
    return json_text.dumps(document, ensure_ascii=False) + "\n"


def _extra_facts(report: ScanReport, view: ScanView) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = [
        ("REVIEW", "secret", {**to_data(f), "deleted": f.deleted}) for f in secrets(report, view)]
    out += [("REVIEW", "config", config_data(item)) for item in config(report, view)]
    minimality = report.minimality
    if minimality is not None:
        out.append(("OTHER", "minimality", to_data(minimality)))
    if report.coverage is not None:
        out.append(("OTHER", "coverage", coverage_data(report)))
    return out


def _advisory_ref(finding: Finding) -> dict[str, str]:
    locator = finding.data_source or next(iter(finding.references), f"https://osv.dev/vulnerability/{finding.id}")
    comment = f"{finding.id} {finding.severity.value}, {status_text(finding)}"
    if finding.suppressed:
        comment += f"; suppressed ({finding.suppressions[0].kind}: {finding.suppressions[0].reason})"
    return {"referenceCategory": "SECURITY", "referenceType": "advisory", "referenceLocator": locator,
            "comment": comment}


def _facts(finding: Finding) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "id": finding.id,
        "aliases": list(finding.aliases),
        "status": finding.status.value,
        "severity": finding.severity.value,
        "severitySource": finding.severity_source,
        "fixedVersions": list(finding.fixed_versions),
        "suppressed": finding.suppressed,
    }
    if finding.cvss is not None:
        facts["cvss"] = {"version": finding.cvss.version, "vector": finding.cvss.vector, "score": finding.cvss.score,
                         "source": finding.cvss.source}
    if finding.kev is not None:
        facts["kevDateAdded"] = finding.kev.date_added
    if finding.epss is not None:
        facts["epss"] = finding.epss.score
    return facts

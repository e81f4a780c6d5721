"""Grype's JSON report (`grype -o json`; grype/presenter/models Document → matches[]).

Each match says how it was made (`matchDetails`: exact-direct-match on the package, exact-indirect-match on its
upstream/source package, cpe-match on a CPE); `descriptor.db` states the vulnerability DB's build date. Grype lists
only matched packages, so its inventory is not known beyond them.
"""

from __future__ import annotations

from typing import Any

from seawall.model.imported import ImportedCVSS, ImportedFinding, ImportedMatch, ImportedPackage, ImportedReport
from seawall.reports.common import items, malformed, obj, severity_of, text

FORMAT = "grype-json"


def parse(doc: Any, path: str) -> ImportedReport:
    with malformed(path, FORMAT):
        descriptor = obj(doc.get("descriptor"))
        db = obj(descriptor.get("db"))
        built = text(db.get("built")) or text(obj(db.get("status")).get("built"))
        distro = obj(doc.get("distro"))
        target = obj(obj(doc.get("source")).get("target"))
        findings = [_finding(obj(m)) for m in items(doc["matches"])]
        return ImportedReport(
            path=path, format=FORMAT, tool=text(descriptor.get("name")) or "grype",
            tool_version=text(descriptor.get("version")), db_built=built,
            created_at=text(descriptor.get("timestamp")),
            artifact=text(target.get("userInput")) if target else None,
            distro=" ".join(p for p in (text(distro.get("name")), text(distro.get("version"))) if p) or None,
            packages=tuple({f.package: None for f in findings}), lists_all_packages=False,
            findings=tuple(findings),
        )


def _package(artifact: dict[str, Any]) -> ImportedPackage:
    upstreams = [obj(u) for u in items(artifact.get("upstreams"))]
    upstream = upstreams[0] if upstreams else {}
    locations = [obj(loc) for loc in items(artifact.get("locations"))]
    return ImportedPackage(
        name=str(artifact["name"]),
        version=str(artifact["version"]),
        type=text(artifact.get("type")) or "",
        purl=text(artifact.get("purl")),
        source_name=text(upstream.get("name")),
        source_version=text(upstream.get("version")),
        locations=tuple(dict.fromkeys(str(loc["path"]) for loc in locations if text(loc.get("path")))),
        layer=next((text(loc.get("layerID")) for loc in locations if text(loc.get("layerID"))), None),
    )


def _cvss(entries: list[Any]) -> tuple[ImportedCVSS, ...]:
    out = []
    for entry in entries:
        entry = obj(entry)
        score = obj(entry.get("metrics")).get("baseScore")
        out.append(ImportedCVSS(source=text(entry.get("source")) or "", version=text(entry.get("version")) or "",
                                vector=text(entry.get("vector")), score=float(score) if score is not None else None))
    return tuple(out)


def _match_detail(detail: dict[str, Any]) -> ImportedMatch:
    searched = obj(detail.get("searchedBy"))
    found = obj(detail.get("found"))
    package = obj(searched.get("package") or searched.get("Package"))
    cpes = [str(c) for c in items(searched.get("cpes"))] + [str(c) for c in items(found.get("cpes"))]
    if text(searched.get("cpe")):
        cpes.append(str(searched["cpe"]))
    return ImportedMatch(
        kind=text(detail.get("type")) or "",
        searched_name=text(package.get("name")),
        searched_version=text(package.get("version")),
        namespace=text(searched.get("namespace")),
        constraint=text(found.get("versionConstraint")) or text(found.get("constraint")),
        cpes=tuple(dict.fromkeys(cpes)),
    )


def _finding(match: dict[str, Any]) -> ImportedFinding:
    vuln = obj(match["vulnerability"])
    related = [obj(r) for r in items(match.get("relatedVulnerabilities"))]
    fix = obj(vuln.get("fix"))
    cvss = _cvss(items(vuln.get("cvss")))
    vendor: list[tuple[str, Any]] = []
    if text(vuln.get("severity")):
        vendor.append((text(vuln.get("namespace")) or "grype", severity_of(vuln["severity"])))
    for rel in related:
        cvss += _cvss(items(rel.get("cvss")))
        if text(rel.get("severity")):
            vendor.append((text(rel.get("namespace")) or str(rel.get("id")), severity_of(rel["severity"])))
    return ImportedFinding(
        id=str(vuln["id"]),
        package=_package(obj(match["artifact"])),
        aliases=tuple(dict.fromkeys(str(r["id"]) for r in related if r.get("id") and r["id"] != vuln["id"])),
        severity=severity_of(vuln.get("severity")),
        severity_stated=text(vuln.get("severity")),
        severity_source=text(vuln.get("namespace")),
        vendor_severity=tuple(dict.fromkeys(vendor)),
        cvss=cvss,
        fixed_versions=tuple(str(v) for v in items(fix.get("versions"))),
        status=text(fix.get("state")),
        namespace=text(vuln.get("namespace")),
        data_source=text(vuln.get("dataSource")),
        matches=tuple(_match_detail(obj(d)) for d in items(match.get("matchDetails"))),
    )

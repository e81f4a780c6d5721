"""CycloneDX (JSON, 1.4–1.6) with a `vulnerabilities` section, as Trivy, Grype and Docker Scout write it.

Each vulnerability `affects` component refs (bom-refs, or purls directly); ratings carry their source, so the
vendor's rating and NVD's score stay apart. The fixed version is read from `affects[].versions` entries with status
"unaffected" or, as Trivy writes it, from `recommendation` ("Upgrade X to version Y").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from seawall.model.imported import ImportedCVSS, ImportedFinding, ImportedPackage, ImportedReport
from seawall.model.vuln import Severity
from seawall.reports.common import items, malformed, obj, severity_of, text

FORMAT = "cyclonedx"
_RECOMMENDATION = re.compile(r"to versions? ([^\s;,]+(?:\s*,\s*[^\s;,]+)*)")
_METHODS = {"CVSSv2": "2.0", "CVSSv3": "3.0", "CVSSv31": "3.1", "CVSSv4": "4.0"}
_SOURCE_PROPERTIES = ("aquasecurity:trivy:SrcName", "syft:package:sourceName", "syft:metadata:source")
_SOURCE_VERSION_PROPERTIES = ("aquasecurity:trivy:SrcVersion", "syft:metadata:sourceVersion")


def parse(doc: Any, path: str) -> ImportedReport:
    with malformed(path, FORMAT):
        if doc.get("bomFormat") != "CycloneDX":
            raise ValueError("bomFormat is not CycloneDX")
        components = {ref: comp for ref, comp in _components(items(doc.get("components")))}
        tool, version = _tool(obj(doc.get("metadata")))
        packages = {ref: _package(comp) for ref, comp in components.items()}
        findings: list[ImportedFinding] = []
        for vuln in items(doc.get("vulnerabilities")):
            findings.extend(_findings(obj(vuln), packages))
        return ImportedReport(
            path=path, format=FORMAT, tool=tool, tool_version=version,
            created_at=text(obj(doc.get("metadata")).get("timestamp")),
            artifact=text(obj(obj(doc.get("metadata")).get("component")).get("name")),
            packages=tuple(packages.values()), lists_all_packages=bool(packages), findings=tuple(findings),
        )


def _components(entries: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for comp in entries:
        comp = obj(comp)
        if comp.get("type") not in ("operating-system", "container"):
            ref = text(comp.get("bom-ref")) or text(comp.get("purl"))
            if ref and comp.get("name"):
                yield ref, comp
        yield from _components(items(comp.get("components")))


def _tool(metadata: dict[str, Any]) -> tuple[str, str | None]:
    tools = metadata.get("tools")
    entries = items(obj(tools).get("components")) if isinstance(tools, dict) else items(tools)
    for entry in entries:
        entry = obj(entry)
        if text(entry.get("name")):
            return str(entry["name"]), text(entry.get("version"))
    return "unknown", None


def _properties(comp: dict[str, Any]) -> dict[str, str]:
    return {str(p.get("name")): str(p.get("value")) for p in map(obj, items(comp.get("properties")))}


def _package(comp: dict[str, Any]) -> ImportedPackage:
    props = _properties(comp)
    purl = text(comp.get("purl"))
    ptype = props.get("aquasecurity:trivy:PkgType") or props.get("syft:package:type") or ""
    if purl and not ptype:
        try:
            ptype = PackageURL.from_string(purl).type
        except ValueError:
            purl = None
    paths = [v for k, v in props.items() if k in ("aquasecurity:trivy:FilePath",) or (k.startswith("syft:location:")
             and k.endswith(":path"))]
    return ImportedPackage(
        name=str(comp["name"]), version=text(comp.get("version")) or "", type=ptype, purl=purl,
        source_name=next((props[k] for k in _SOURCE_PROPERTIES if props.get(k)), None),
        source_version=next((props[k] for k in _SOURCE_VERSION_PROPERTIES if props.get(k)), None),
        locations=tuple(paths),
        layer=props.get("aquasecurity:trivy:LayerDiffID"),
    )


def _from_purl(ref: str) -> ImportedPackage | None:
    try:
        purl = PackageURL.from_string(ref)
    except ValueError:
        return None
    return ImportedPackage(name=purl.name, version=purl.version or "", type=purl.type, purl=ref)


def _findings(vuln: dict[str, Any], packages: dict[str, ImportedPackage]) -> Iterator[ImportedFinding]:
    vuln_id = str(vuln["id"])
    source = obj(vuln.get("source"))
    ratings = [obj(r) for r in items(vuln.get("ratings"))]
    vendor: list[tuple[str, Severity]] = []
    cvss: list[ImportedCVSS] = []
    for rating in ratings:
        who = text(obj(rating.get("source")).get("name")) or ""
        if rating.get("severity"):
            vendor.append((who, severity_of(rating["severity"])))
        if rating.get("score") is not None or rating.get("vector"):
            cvss.append(ImportedCVSS(source=who, version=_METHODS.get(str(rating.get("method")), ""),
                                     vector=text(rating.get("vector")),
                                     score=float(rating["score"]) if rating.get("score") is not None else None))
    own = next((sev for who, sev in vendor if who == text(source.get("name"))), None)
    severity = own or max((sev for _, sev in vendor), key=_rank, default=Severity.UNKNOWN)
    recommendation = _RECOMMENDATION.search(text(vuln.get("recommendation")) or "")
    analysis = obj(vuln.get("analysis"))
    aliases = tuple(dict.fromkeys(str(r["id"]) for r in map(obj, items(vuln.get("references")))
                                  if r.get("id") and r["id"] != vuln_id))
    for affect in items(vuln.get("affects")):
        affect = obj(affect)
        ref = str(affect["ref"])
        package = packages.get(ref) or _from_purl(ref)
        if package is None:
            continue
        versions = [obj(v) for v in items(affect.get("versions"))]
        fixed = [str(v["version"]) for v in versions if v.get("status") == "unaffected" and v.get("version")]
        if not fixed and recommendation:
            fixed = [v.strip() for v in recommendation.group(1).split(",")]
        status = text(analysis.get("state")) or next((text(v.get("status")) for v in versions if
                                                      v.get("status") != "unaffected"), None)
        yield ImportedFinding(
            id=vuln_id, package=package, aliases=aliases, severity=severity,
            severity_stated=next((str(r.get("severity")) for r in ratings if r.get("severity")), None),
            severity_source=text(source.get("name")), vendor_severity=tuple(dict.fromkeys(vendor)),
            cvss=tuple(cvss), fixed_versions=tuple(fixed), status=status, namespace=text(source.get("name")),
            data_source=text(source.get("url")), published=text(vuln.get("published")),
            modified=text(vuln.get("updated")),
        )


def _rank(severity: Severity) -> int:
    return [Severity.UNKNOWN, Severity.NEGLIGIBLE, Severity.LOW, Severity.MEDIUM, Severity.HIGH,
            Severity.CRITICAL].index(severity)

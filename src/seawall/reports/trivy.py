"""Trivy's JSON report (`trivy image -f json`, SchemaVersion 2; pkg/types Report → Results → Vulnerabilities).

`--list-all-pkgs` adds each result's whole inventory under `Packages` (with SrcName/SrcVersion for OS packages);
without it only vulnerable packages are known. Trivy's JSON states no vulnerability-DB date. Results of the other
classes (secret, config, license, custom) hold no package and no vulnerability and are passed over.
"""

from __future__ import annotations

from typing import Any

from seawall.errors import InputError
from seawall.model.imported import ImportedCVSS, ImportedFinding, ImportedPackage, ImportedReport
from seawall.reports.common import TRIVY_SEVERITY_NUMBERS, items, malformed, obj, severity_of, text

FORMAT = "trivy-json"
PACKAGE_CLASSES = ("os-pkgs", "lang-pkgs", "")  # "": reports older than Trivy 0.20's `Class`
_CVSS_VERSIONS = (("V40", "4.0"), ("V3", "3.x"), ("V2", "2.0"))


def parse(doc: Any, path: str) -> ImportedReport:
    with malformed(path, FORMAT):
        if doc.get("SchemaVersion") != 2:
            raise InputError(f"{path} is a Trivy report of SchemaVersion {doc.get('SchemaVersion')!r}, not 2",
                             remedy="re-running the scan with Trivy 0.20 or newer (`trivy image -f json`)")
        metadata = obj(doc.get("Metadata"))
        os_info = obj(metadata.get("OS"))
        packages: list[ImportedPackage] = []
        findings: list[ImportedFinding] = []
        listed = False
        for result in items(doc.get("Results")):
            result = obj(result)
            if (text(result.get("Class")) or "") not in PACKAGE_CLASSES:
                continue
            rtype = text(result.get("Type")) or ""
            known: dict[str, ImportedPackage] = {}
            if "Packages" in result:
                listed = True
            for entry in items(result.get("Packages")):
                package = _package(obj(entry), rtype)
                packages.append(package)
                known[text(entry.get("ID")) or f"{package.name}@{package.version}"] = package
            for entry in items(result.get("Vulnerabilities")):
                findings.append(_finding(obj(entry), rtype, known))
        distro = " ".join(p for p in (text(os_info.get("Family")), text(os_info.get("Name"))) if p) or None
        return ImportedReport(
            path=path, format=FORMAT, tool="Trivy", tool_version=_version(doc),
            created_at=text(doc.get("CreatedAt")), artifact=text(doc.get("ArtifactName")), distro=distro,
            packages=tuple(packages), lists_all_packages=listed, findings=tuple(findings),
        )


def _version(doc: dict[str, Any]) -> str | None:
    # Trivy's JSON carries no tool version; a Trivy-shaped report written by another tool may say it here.
    return text(obj(doc.get("Metadata")).get("TrivyVersion")) or text(doc.get("Version"))


def full_version(epoch: object, version: object, release: object) -> str:
    """Trivy splits OS package versions into Epoch, Version and Release; joined, they are the installed version."""
    out = str(version or "")
    if release:
        out = f"{out}-{release}"
    if epoch:
        out = f"{epoch}:{out}"
    return out


def _package(entry: dict[str, Any], rtype: str) -> ImportedPackage:
    identifier = obj(entry.get("Identifier"))
    source = text(entry.get("SrcName"))
    layer = obj(entry.get("Layer"))
    paths = [p for p in (text(entry.get("FilePath")),) if p]
    return ImportedPackage(
        name=str(entry["Name"]),
        version=full_version(entry.get("Epoch"), entry.get("Version"), entry.get("Release")),
        type=rtype,
        purl=text(identifier.get("PURL")),
        source_name=source,
        source_version=full_version(entry.get("SrcEpoch"), entry.get("SrcVersion"), entry.get("SrcRelease"))
        if source and entry.get("SrcVersion") else None,
        locations=tuple(paths),
        layer=text(layer.get("DiffID")) or text(layer.get("Digest")),
    )


def _finding(entry: dict[str, Any], rtype: str, known: dict[str, ImportedPackage]) -> ImportedFinding:
    identifier = obj(entry.get("PkgIdentifier"))
    name = str(entry["PkgName"])
    version = str(entry["InstalledVersion"])
    listed = known.get(text(entry.get("PkgID")) or f"{name}@{version}")
    layer = obj(entry.get("Layer"))
    package = ImportedPackage(
        name=name, version=version, type=rtype, purl=text(identifier.get("PURL")) or (listed.purl if listed else None),
        source_name=listed.source_name if listed else None, source_version=listed.source_version if listed else None,
        locations=tuple(p for p in (text(entry.get("PkgPath")),) if p) or (listed.locations if listed else ()),
        layer=text(layer.get("DiffID")) or text(layer.get("Digest")) or (listed.layer if listed else None),
    )
    vendor = tuple(sorted((str(src), TRIVY_SEVERITY_NUMBERS.get(num, severity_of(num)))
                          for src, num in obj(entry.get("VendorSeverity")).items()))
    cvss = []
    for source, scores in sorted(obj(entry.get("CVSS")).items()):
        scores = obj(scores)
        for prefix, family in _CVSS_VERSIONS:
            vector = text(scores.get(f"{prefix}Vector"))
            score = scores.get(f"{prefix}Score")
            if vector or score is not None:
                if family == "3.x":
                    family = "3.1" if (vector or "").startswith("CVSS:3.1") else "3.0"
                cvss.append(ImportedCVSS(source=str(source), version=family, vector=vector,
                                         score=float(score) if score is not None else None))
    fixed = [v.strip() for v in (text(entry.get("FixedVersion")) or "").split(",") if v.strip()]
    data_source = obj(entry.get("DataSource"))
    # A Trivy-shaped report written by seawall keeps the exact verdict here; Trivy's readers ignore `Custom`.
    exact = obj(obj(entry.get("Custom")).get("seawall")) if isinstance(entry.get("Custom"), dict) else {}
    return ImportedFinding(
        id=str(entry["VulnerabilityID"]),
        aliases=tuple(str(i) for i in items(entry.get("VendorIDs")) if i and i != entry["VulnerabilityID"]),
        package=package,
        severity=severity_of(exact.get("severity") or entry.get("Severity")),
        severity_stated=text(entry.get("Severity")),
        severity_source=text(exact.get("severitySource")) or text(entry.get("SeveritySource")),
        vendor_severity=vendor,
        cvss=tuple(cvss),
        fixed_versions=tuple(fixed),
        status=text(exact.get("status")) or text(entry.get("Status")),
        namespace=text(data_source.get("ID")),
        data_source=text(data_source.get("URL")) or text(entry.get("PrimaryURL")),
        published=text(entry.get("PublishedDate")),
        modified=text(entry.get("LastModifiedDate")),
    )

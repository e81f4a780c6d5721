"""The scan in Trivy's JSON report shape (`trivy image -f json`, SchemaVersion 2), for tools built to read Trivy.

Field names and nesting follow Trivy's `pkg/types/report.go`, `pkg/types/vulnerability.go` and trivy-db's
`Vulnerability`, `DataSource` and `CVSS` types; empty fields are left out as Go's `omitempty` does. What Trivy has
no field for (seawall's exact verdict, the severity's source, the match details) rides in each vulnerability's
`Custom.seawall`, which Trivy readers ignore and an importer can use to rebuild the finding exactly.

Status: seawall's verdict → Trivy's `Status`
    fixed         → fixed
    affected      → affected
    not-affected  → not_affected
    undetermined  → under_investigation
    minor         → affected              (Debian no-dsa: affected, no advisory planned; trivy-db says the same)
    will-not-fix  → will_not_fix
    fix-deferred  → fix_deferred
    negligible    → affected              (severity LOW, as trivy-db maps Debian's "unimportant")
    unsupported   → end_of_life
Severity: critical/high/medium/low → the same in capitals; negligible → LOW; unknown → UNKNOWN.
Suppressed findings go to `ExperimentalModifiedFindings` (Status "ignored", or the VEX status), as with
`trivy --show-suppressed`, never into `Vulnerabilities`. Secrets and configuration findings follow the package
results, as Trivy orders them (seawall.output.trivy_extra).
"""

from __future__ import annotations

import hashlib
from typing import Any

from seawall.model.ecosystem import ECOSYSTEMS, OS_PACKAGE_TYPES
from seawall.model.finding import Finding, ScanReport
from seawall.model.sbom import Package
from seawall.model.serialize import to_data
from seawall.model.vuln import CVSS, Severity, Status, split_source
from seawall.output import json_text
from seawall.output.scan import ScanView
from seawall.output.scan_extra import config, secrets
from seawall.output.scan_text import recorded, severity_rank
from seawall.output.trivy_extra import config_results, secret_results

STATUS = {
    Status.FIXED: "fixed",
    Status.AFFECTED: "affected",
    Status.NOT_AFFECTED: "not_affected",
    Status.UNDETERMINED: "under_investigation",
    Status.MINOR: "affected",
    Status.WILL_NOT_FIX: "will_not_fix",
    Status.FIX_DEFERRED: "fix_deferred",
    Status.NEGLIGIBLE: "affected",
    Status.UNSUPPORTED: "end_of_life",
}
SEVERITY = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.NEGLIGIBLE: "LOW",
    Severity.UNKNOWN: "UNKNOWN",
}
# trivy-db's numeric scale in VendorSeverity.
SEVERITY_NUMBER = {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
# seawall package type → Trivy's result Type and the Target Trivy gives language results.
# A Target of None: one result per file (a Go or Rust binary), named by its path.
LANG_TYPES = {row.type.value: (row.trivy_type, row.trivy_target) for row in ECOSYSTEMS if not row.os}
# Where each seawall feed's data comes from, in trivy-db's DataSource words.
DATA_SOURCES = {
    "debian": ("debian", "Debian Security Tracker", "https://salsa.debian.org/security-tracker-team/security-tracker"),
    "debian-advisories": ("debian", "Debian Security Tracker",
                          "https://salsa.debian.org/security-tracker-team/security-tracker"),
    "alpine": ("alpine", "Alpine Secdb", "https://secdb.alpinelinux.org/"),
    "ubuntu": ("ubuntu", "Ubuntu CVE Tracker", "https://git.launchpad.net/ubuntu-cve-tracker"),
    "nvd": ("nvd", "NVD", "https://nvd.nist.gov/"),
    # Trivy's own ids and names for the distribution feeds (trivy-db pkg/vulnsrc/vulnerability/const.go).
    "oracle": ("oracle-oval", "Oracle Linux OVAL definitions", "https://linux.oracle.com/security/oval/"),
    "amazon": ("amazon", "Amazon Linux Security Center", "https://alas.aws.amazon.com/"),
    "photon": ("photon", "Photon OS CVE metadata", "https://packages.vmware.com/photon/photon_cve_metadata/"),
    "wolfi": ("wolfi", "Wolfi Secdb", "https://packages.wolfi.dev/os/security.json"),
    "chainguard": ("chainguard", "Chainguard Security Data", "https://packages.cgr.dev/chainguard/security.json"),
}
OSV_SOURCES = {
    "GHSA": ("ghsa", "GitHub Security Advisory"),
    "PYSEC": ("osv", "Python Packaging Advisory Database"),
    "GO": ("govulndb", "The Go Vulnerability Database"),
    "RUSTSEC": ("osv", "RustSec Advisory Database"),
    "ALSA": ("alma", "AlmaLinux Product Errata"),
    "RLSA": ("rocky", "Rocky Linux updateinfo"),
    "USN": ("ubuntu", "Ubuntu Security Notices"),
}


def render(report: ScanReport, view: ScanView) -> str:
    return json_text.dumps(trivy_report(report, view), ensure_ascii=False) + "\n"


def trivy_report(report: ScanReport, view: ScanView) -> dict[str, Any]:
    image = report.image
    findings = recorded(report, view)
    metadata: dict[str, Any] = {}
    distro = report.sbom.distro
    if distro is not None:
        metadata["OS"] = _omit({"Family": distro.id, "Name": distro.version_id, "EOSL": bool(distro.eol)})
    metadata.update(_omit({
        "ImageID": image.config_digest,
        "DiffIDs": [layer.diff_id for layer in image.layers],
        "RepoTags": [str(image.ref).split("@")[0]] if image.ref and image.ref.tag else [],
        "RepoDigests": list(image.repo_digests),
        "ImageConfig": image.config or None,
    }))
    document: dict[str, Any] = {
        "SchemaVersion": 2,
        "CreatedAt": report.scanned_at,
        "ArtifactName": image.source,
        "ArtifactType": "container_image",
        "Metadata": metadata,
        "Results": _results(report, findings) + _extra_results(report, view),
    }
    if report.coverage is not None:
        # Trivy's reader ignores fields it does not know; a seawall-aware one learns what was not checked.
        from seawall.output.scan_json import coverage_data

        document["Custom"] = {"seawall": {"coverage": coverage_data(report)}}
    return document


def _extra_results(report: ScanReport, view: ScanView) -> list[dict[str, Any]]:
    digests = {layer.diff_id: layer.digest for layer in report.image.layers}
    diff_ids = {layer.index: layer.diff_id for layer in report.image.layers}
    return (config_results(config(report, view), digests, diff_ids)
            + secret_results(secrets(report, view), report, digests))


def _results(report: ScanReport, findings: list[Finding]) -> list[dict[str, Any]]:
    """One result for the OS packages, one per language (or per binary), in Trivy's order: OS first."""
    targets: dict[tuple[int, str], dict[str, Any]] = {}
    digests = {layer.diff_id: layer.digest for layer in report.image.layers}
    for package in report.sbom.packages:
        key, head = _target(report, package)
        entry = targets.setdefault(key, {**head, "Packages": [], "Vulnerabilities": [],
                                         "ExperimentalModifiedFindings": []})
        entry["Packages"].append(package_entry(package, digests))
    for finding in findings:
        key, head = _target(report, finding.package)
        entry = targets.setdefault(key, {**head, "Packages": [], "Vulnerabilities": [],
                                         "ExperimentalModifiedFindings": []})
        vulnerability = vulnerability_entry(finding, digests)
        if finding.suppressed:
            entry["ExperimentalModifiedFindings"].append(_modified(finding, vulnerability))
        else:
            entry["Vulnerabilities"].append(vulnerability)
    results = []
    for _, entry in sorted(targets.items()):
        entry["Packages"].sort(key=lambda p: (p["Name"], p.get("Version", ""), p.get("FilePath", "")))
        # Trivy's BySeverity order: package name, installed version, worst first, id.
        entry["Vulnerabilities"].sort(key=_vulnerability_order)
        entry["ExperimentalModifiedFindings"].sort(key=lambda m: _vulnerability_order(m["Finding"]))
        results.append(_omit(entry))
    return results


def _target(report: ScanReport, package: Package) -> tuple[tuple[int, str], dict[str, Any]]:
    distro = report.sbom.distro
    if package.type in OS_PACKAGE_TYPES:
        family = distro.id if distro is not None else package.type
        target = report.image.source + (f" ({distro.id} {distro.version_id})" if distro and distro.version_id else "")
        return (0, target), {"Target": target, "Class": "os-pkgs", "Type": family}
    kind, name = LANG_TYPES.get(package.type, (package.type, None))
    if name is None:
        name = package.locations[0].path.lstrip("/") if package.locations else package.type
    return (1, f"{name}\0{kind}"), {"Target": name, "Class": "lang-pkgs", "Type": kind}


def package_entry(package: Package, digests: dict[str, str]) -> dict[str, Any]:
    """A package as Trivy lists it: dpkg and rpm versions split into Version / Release / Epoch like fanal does."""
    entry: dict[str, Any] = {"ID": pkg_id(package), "Name": package.name,
                             "Identifier": _identifier(package)}
    if package.type in ("deb", "rpm"):
        entry.update(_split(package.version, package.epoch))
        if package.source_name:
            entry["SrcName"] = package.source_name
            source = _split(package.source_version or package.version, None)
            entry.update({"Src" + key: value for key, value in source.items()})
    else:
        entry["Version"] = package.version
        if package.source_name:
            entry["SrcName"] = package.source_name
            entry["SrcVersion"] = package.source_version or package.version
    entry.update(_omit({
        "Arch": package.arch,
        "Licenses": list(package.licenses),
        "Maintainer": package.maintainer,
        "Layer": _layer(package, digests),
        "FilePath": _file_path(package),
    }))
    return entry


def vulnerability_entry(finding: Finding, digests: dict[str, str]) -> dict[str, Any]:
    package = finding.package
    severity = SEVERITY[finding.severity]
    entry: dict[str, Any] = {
        "VulnerabilityID": finding.id,
        "VendorIDs": list(finding.aliases),
        "PkgID": pkg_id(package),
        "PkgName": package.name,
        "PkgPath": _file_path(package),
        "PkgIdentifier": _identifier(package),
        "InstalledVersion": package.version,
        "FixedVersion": ", ".join(finding.fixed_versions),
        "Status": STATUS[finding.status],
        "Layer": _layer(package, digests),
        "SeveritySource": _source_id(finding.severity_source),
        "PrimaryURL": finding.data_source or (finding.references[0] if finding.references else None),
        "DataSource": _data_source(finding),
        "Title": finding.title,
        "Description": finding.description,
        "Severity": severity,
        "VendorSeverity": _vendor_severity(finding),
        "CVSS": _cvss(finding.cvss),
        "References": list(finding.references),
        "PublishedDate": finding.published,
        "Custom": {"seawall": _custom(finding)},
    }
    return _omit(entry)


def pkg_id(package: Package) -> str:
    return f"{package.name}@{package.version}"


def _identifier(package: Package) -> dict[str, str]:
    """PURL plus a UID that tells two copies of a package apart (Trivy hashes the package; so does this)."""
    where = package.locations[0].path if package.locations else ""
    uid = hashlib.sha256(f"{package.type}|{package.name}|{package.version}|{where}".encode()).hexdigest()[:16]
    return _omit({"PURL": package.purl, "UID": uid})


def _layer(package: Package, digests: dict[str, str]) -> dict[str, str]:
    diff_id = package.layer_diff_id
    return _omit({"Digest": digests.get(diff_id) if diff_id else None, "DiffID": diff_id})


def _file_path(package: Package) -> str | None:
    """Language packages: the file they were read from, relative to the image root; OS packages have none."""
    if package.type in OS_PACKAGE_TYPES or not package.locations:
        return None
    return package.locations[0].path.lstrip("/")


def _split(version: str, epoch: int | None) -> dict[str, Any]:
    """`1:2.36-9+deb12u4` → Epoch 1, Version 2.36, Release 9+deb12u4."""
    parsed_epoch, _, rest = version.partition(":") if ":" in version.split("-")[0] else ("", "", version)
    upstream, dash, release = rest.rpartition("-")
    if not dash:
        upstream, release = rest, ""
    out: dict[str, Any] = {"Version": upstream}
    if release:
        out["Release"] = release
    number = epoch if epoch is not None else int(parsed_epoch) if parsed_epoch.isdigit() else 0
    if number:
        out["Epoch"] = number
    return out


def _source_id(severity_source: str) -> str | None:
    if severity_source == "none":
        return None
    if severity_source.startswith("cvss:"):
        return _scorer(split_source(severity_source)[0])
    return severity_source


def _scorer(source: str) -> str:
    """trivy-db keys CVSS and vendor ratings by source id: NVD's address becomes `nvd`."""
    return "nvd" if source.startswith("nvd") else source.split("@")[-1] if "@" in source else source


def _vendor_severity(finding: Finding) -> dict[str, int]:
    ratings: dict[str, int] = {}
    vendor = finding.vendor_severity_source or (None if finding.severity_source.startswith("cvss:")
                                                else finding.severity_source)
    if finding.vendor_severity is not None and vendor:
        ratings[vendor] = SEVERITY_NUMBER[SEVERITY[finding.vendor_severity]]
    if finding.cvss is not None and finding.cvss.score is not None:
        ratings.setdefault(_scorer(finding.cvss.source), SEVERITY_NUMBER[SEVERITY[finding.cvss.rating]])
    return ratings


def _cvss(cvss: CVSS | None) -> dict[str, dict[str, Any]]:
    if cvss is None:
        return {}
    field = {"2": "V2", "3": "V3", "4": "V40"}.get(cvss.version[:1])
    if field is None:
        return {}
    scores: dict[str, Any] = {f"{field}Vector": cvss.vector}
    if cvss.score is not None:
        scores[f"{field}Score"] = cvss.score
    return {_scorer(cvss.source): scores}


def _data_source(finding: Finding) -> dict[str, str] | None:
    if not finding.details:
        return None
    detail = finding.details[0]
    if detail.feed in DATA_SOURCES:
        ident, name, url = DATA_SOURCES[detail.feed]
        return {"ID": ident, "Name": name, "URL": url}
    prefix = detail.advisory_id.split("-")[0]
    ident, name = OSV_SOURCES.get(prefix, ("osv", "OSV"))
    if ident == "ghsa":
        name = f"GitHub Security Advisory {detail.namespace}"
    return {"ID": ident, "Name": name, "URL": f"https://osv.dev/vulnerability/{detail.advisory_id}"}


def _custom(finding: Finding) -> dict[str, Any]:
    custom: dict[str, Any] = {
        "status": finding.status.value,
        "severity": finding.severity.value,
        "severitySource": finding.severity_source,
        "fixedVersions": list(finding.fixed_versions),
        "versionUnknown": finding.version_unknown,
        "rangeUnparseable": finding.range_unparseable,
        "inBaseImage": finding.in_base_image,
        "dataSource": finding.data_source,
        "details": [to_data(detail) for detail in finding.details],
    }
    if finding.cvss is not None:
        custom["cvss"] = to_data(finding.cvss)
    if finding.kev is not None:
        custom["kev"] = to_data(finding.kev)
    if finding.epss is not None:
        custom["epss"] = to_data(finding.epss)
    if finding.suppressions:
        custom["suppressions"] = [to_data(item) for item in finding.suppressions]
    return {key: value for key, value in custom.items() if value is not None}


def _modified(finding: Finding, vulnerability: dict[str, Any]) -> dict[str, Any]:
    """Trivy's ModifiedFinding: an ignore-file entry is "ignored", a VEX statement keeps its own status."""
    first = finding.suppressions[0]
    status = first.vex_status if first.kind == "vex" and first.vex_status else "ignored"
    statement = first.reason if not first.justification else f"{first.justification}: {first.reason}"
    return {"Type": "vulnerability", "Status": status, "Statement": statement,
            "Source": first.source or first.rule, "Finding": vulnerability}


def _vulnerability_order(entry: dict[str, Any]) -> tuple[Any, ...]:
    rank = severity_rank(Severity(entry["Custom"]["seawall"]["severity"]))
    return (entry.get("PkgName", ""), entry.get("InstalledVersion", ""), rank, entry["VulnerabilityID"],
            entry.get("PkgPath", ""))


def _omit(values: dict[str, Any]) -> dict[str, Any]:
    """Go's `omitempty`: no None, empty string, empty list or empty object, and no false."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {}, False)}

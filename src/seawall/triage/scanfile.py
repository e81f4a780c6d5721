"""Read back a `seawall scan --format json` report (schema scan/v1) as a ScanReport, for audits and baselines."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from seawall.errors import InputError
from seawall.model.coverage import Coverage, NamespaceCoverage, UncoveredPackage
from seawall.model.finding import Finding, ScanReport, Suppression
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Distro, Package
from seawall.model.serialize import from_data
from seawall.model.vuln import Severity, Status

SCHEMA_URI = "https://seawall.dev/schema/scan/v1"
MAX_BYTES = 256 * 1024 * 1024


def read_scan_json(path: str | os.PathLike[str]) -> ScanReport:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"scan report {path} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"scan report {path} does not exist", remedy="check the path") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read scan report {path}: {err}",
                         remedy="pass a report written by `seawall scan --format json`") from err
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_URI:
        raise InputError(f"{path} is not a seawall scan report (schema {SCHEMA_URI})",
                         remedy="write it with `seawall scan --format json -o FILE`")
    try:
        return _report(doc)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"scan report {path} is malformed: {err!r}",
                         remedy="write it again with `seawall scan --format json`") from err


def _report(doc: dict[str, Any]) -> ScanReport:
    # to_data leaves out None fields, and Image has no defaults for them
    image = from_data(Image, {"ref": None, "digest": None, "index_digest": None, "manifest_media_type": None,
                              "config_digest": None, **doc["image"]})
    distro = from_data(Distro, doc["distro"]) if doc.get("distro") else None
    packages: list[Package] = []
    findings: list[Finding] = []
    for group in doc.get("packages") or ():
        package = from_data(Package, group["package"])
        packages.append(package)
        findings.extend(_finding(item, package) for item in group.get("findings") or ())
    packages.extend(from_data(Package, item) for item in doc.get("otherPackages") or ())
    base = doc.get("baseImage") or {}
    return ScanReport(sbom=SBOM(image=image, distro=distro, packages=tuple(packages)), findings=tuple(findings),
                      scanned_at=str(doc.get("scannedAt") or ""), db_built_at=(doc.get("db") or {}).get("builtAt"),
                      base_image=base.get("name"), base_layers=base.get("layers"), coverage=_coverage(doc))


def _coverage(doc: dict[str, Any]) -> Coverage | None:
    data = doc.get("coverage")
    if not isinstance(data, dict):
        return None
    return Coverage(namespaces=tuple(from_data(NamespaceCoverage, n) for n in data.get("namespaces") or ()),
                    uncovered=tuple(from_data(UncoveredPackage, p) for p in data.get("uncoveredPackages") or ()))


def _finding(data: dict[str, Any], package: Package) -> Finding:
    return Finding(
        id=str(data["id"]), aliases=tuple(data.get("aliases") or ()), package=package,
        status=Status(data["status"]), severity=Severity(data.get("severity") or "unknown"),
        severity_source=str(data.get("severity_source") or "none"),
        fixed_versions=tuple(data.get("fixed_versions") or ()),
        vendor_severity=Severity(data["vendor_severity"]) if data.get("vendor_severity") else None,
        in_base_image=data.get("in_base_image"),
        suppressions=tuple(from_data(Suppression, s) for s in data.get("suppressions") or ()),
    )

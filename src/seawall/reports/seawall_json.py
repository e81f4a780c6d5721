"""seawall's own scan JSON (docs/scan-json.md) read back into a `ScanReport`: the one reader of it, for `seawall
compare report:FILE` and the allowlist export and audit."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, TypeVar

from seawall.errors import InputError
from seawall.model.coverage import Coverage, NamespaceCoverage, UncoveredPackage
from seawall.model.finding import Finding, ScanReport
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Distro, Package
from seawall.model.serialize import from_data
from seawall.model.vuln import FeedProvenance, Severity, Status
from seawall.reports import read_json
from seawall.reports.common import items, malformed, obj

T = TypeVar("T")
SCHEMA_PREFIX = "https://seawall.dev/schema/scan/"


def _complete(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The writer leaves out None and empty values; put them back for fields that have no default."""
    out = dict(data)
    for field in dataclasses.fields(cls):
        if field.name in out or field.default is not dataclasses.MISSING \
                or field.default_factory is not dataclasses.MISSING:
            continue
        out[field.name] = [] if str(field.type).startswith("tuple") else None
    return out


def _load(cls: type[T], data: Any) -> T:
    return from_data(cls, _complete(cls, obj(data)))


def _typed(finding: Finding) -> Finding:
    """`from_data` leaves enum values as strings; the model's enums are StrEnums, so convert them back."""
    return dataclasses.replace(
        finding,
        status=Status(finding.status),
        severity=Severity(finding.severity),
        vendor_severity=Severity(finding.vendor_severity) if finding.vendor_severity else None,
        details=tuple(dataclasses.replace(d, status=Status(d.status)) for d in finding.details),
    )


def load_scan_report(path: str | os.PathLike[str], *, other_packages: bool = False) -> ScanReport:
    return parse_scan_report(read_json(path, "scan report"), str(path), other_packages=other_packages)


def parse_scan_report(doc: Any, path: str, *, other_packages: bool = False) -> ScanReport:
    """`other_packages`: also the packages with no finding (`otherPackages`), for a full inventory; `compare`
    leaves them out and explains a saved report as listing vulnerable packages only."""
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(SCHEMA_PREFIX):
        raise InputError(f"{path} is not a seawall scan report (no {SCHEMA_PREFIX}… schema)",
                         remedy="writing one with `seawall scan TARGET --format json -o FILE`")
    with malformed(path, "seawall scan JSON"):
        packages: list[Package] = []
        findings: list[Finding] = []
        for group in items(doc.get("packages")):
            group = obj(group)
            package = _load(Package, group["package"])
            packages.append(package)
            for data in items(group.get("findings")):
                data = {k: v for k, v in obj(data).items() if k not in ("fix_available", "suppressed")}
                data["package"] = group["package"]
                findings.append(_typed(_load(Finding, data)))
        if other_packages:
            packages.extend(_load(Package, item) for item in items(doc.get("otherPackages")))
        db = obj(doc.get("db"))
        feeds = []
        for feed in items(db.get("feeds")):
            feed = dict(obj(feed))
            feed["skip_reasons"] = [[k, v] for k, v in obj(feed.get("skip_reasons")).items()]
            feed["flag_reasons"] = [[k, v] for k, v in obj(feed.get("flag_reasons")).items()]
            feeds.append(_load(FeedProvenance, feed))
        sbom = SBOM(image=_load(Image, doc["image"]),
                    distro=_load(Distro, doc["distro"]) if doc.get("distro") else None,
                    packages=tuple(packages))
        base = obj(doc.get("baseImage"))
        return ScanReport(sbom=sbom, findings=tuple(findings), scanned_at=str(doc.get("scannedAt", "")),
                          db_built_at=db.get("builtAt"), db_schema=db.get("schema"), feeds=tuple(feeds),
                          base_image=base.get("name"), base_layers=base.get("layers"), coverage=_coverage(doc))


def _coverage(doc: dict[str, Any]) -> Coverage | None:
    data = doc.get("coverage")
    if not isinstance(data, dict):
        return None
    return Coverage(namespaces=tuple(_load(NamespaceCoverage, n) for n in items(data.get("namespaces"))),
                    uncovered=tuple(_load(UncoveredPackage, p) for p in items(data.get("uncoveredPackages"))))

"""seawall's own scan JSON (docs/scan-json.md) read back into a `ScanReport`, for `seawall compare report:FILE`."""

from __future__ import annotations

import os
from typing import Any

from seawall.errors import InputError
from seawall.model.finding import Finding, ScanReport
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Distro, Package
from seawall.model.serialize import from_data
from seawall.model.vuln import FeedProvenance
from seawall.reports import read_json
from seawall.reports.common import items, malformed, obj

SCHEMA_PREFIX = "https://seawall.dev/schema/scan/"


def load_scan_report(path: str | os.PathLike[str]) -> ScanReport:
    return parse_scan_report(read_json(path, "scan report"), str(path))


def parse_scan_report(doc: Any, path: str) -> ScanReport:
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(SCHEMA_PREFIX):
        raise InputError(f"{path} is not a seawall scan report (no {SCHEMA_PREFIX}… schema)",
                         remedy="write one with `seawall scan TARGET --format json -o FILE`")
    with malformed(path, "seawall scan JSON"):
        packages: list[Package] = []
        findings: list[Finding] = []
        for group in items(doc.get("packages")):
            group = obj(group)
            package = from_data(Package, obj(group["package"]))
            packages.append(package)
            for data in items(group.get("findings")):
                data = {k: v for k, v in obj(data).items() if k not in ("fix_available", "suppressed")}
                data["package"] = group["package"]
                findings.append(from_data(Finding, data))
        db = obj(doc.get("db"))
        feeds = []
        for feed in items(db.get("feeds")):
            feed = dict(obj(feed))
            feed["skip_reasons"] = [[k, v] for k, v in obj(feed.get("skip_reasons")).items()]
            feeds.append(from_data(FeedProvenance, feed))
        sbom = SBOM(image=from_data(Image, obj(doc["image"])),
                    distro=from_data(Distro, doc["distro"]) if doc.get("distro") else None,
                    packages=tuple(packages))
        return ScanReport(sbom=sbom, findings=tuple(findings), scanned_at=str(doc.get("scannedAt", "")),
                          db_built_at=db.get("builtAt"), db_schema=db.get("schema"), feeds=tuple(feeds))

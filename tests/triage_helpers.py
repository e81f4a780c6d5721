"""A real Debian scan (the tracker excerpt and rootfs under assets/match) for triage and policy tests."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.image.reference import parse_reference
from seawall.model.finding import ScanReport
from seawall.scan import scan_target

MATCH = Path(__file__).parent / "assets" / "match"
TRIAGE = Path(__file__).parent / "assets" / "triage"
ROOTFS = MATCH / "debian-bookworm"


def build_debian_db(path: Path) -> Path:
    """The tracker served over HTTP as the real one is, its `Last-Modified` the data's date."""
    from tests.feed_helpers import FeedServer

    served = path.parent / "served"
    served.mkdir(exist_ok=True)
    shutil.copyfile(MATCH / "debian-tracker.json", served / "debian-tracker.json")  # published just now
    with FeedServer(served) as server:
        report = update_db(path, select_feeds(["debian"], [f"debian={server.url}/debian-tracker.json"]))
    assert report.installed, report
    return path


def scan_rootfs(db: Path) -> ScanReport:
    return scan_target(f"dir:{ROOTFS}", db=db, auto_update=False)


def as_image(report: ScanReport, reference: str, *, user: str = "", created: str = "2024-05-01T00:00:00Z",
             digest: str = "sha256:" + "ab" * 32) -> ScanReport:
    """The same findings, as if the rootfs had been pulled from `reference` with this config."""
    ref = parse_reference(reference)
    config = {"created": created, "config": {"User": user}}
    image = dataclasses.replace(report.sbom.image, source=reference, transport="registry", ref=ref, digest=digest,
                                config=config)
    return dataclasses.replace(report, sbom=dataclasses.replace(report.sbom, image=image))


def by_key(report: ScanReport) -> dict[tuple[str, str], object]:
    return {(f.package.name, f.id): f for f in report.findings}

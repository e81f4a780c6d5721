"""Findings say whether the base image brought them, and a scan after a DB update only re-matches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.scan import scan_target
from tests.imagebuild import add_image, write_index

MATCH = Path(__file__).parent / "assets" / "match"
ROOT = MATCH / "debian-bookworm"
BASE_LAYERS = [
    {"/etc/os-release": (ROOT / "etc" / "os-release").read_bytes(),
     "/etc/debian_version": b"12.5\n"},
    {"/var/lib/dpkg/status": (ROOT / "var" / "lib" / "dpkg" / "status").read_bytes()},
]
APP_LAYER = {"/usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA":
             b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "seawall.db"
    assert update_db(path, select_feeds(["debian", "osv"], [f"debian={MATCH / 'debian-tracker.json'}",
                                                           f"osv={MATCH / 'osv'}"])).installed
    return path


def _layout(dest: Path, layers: list, annotations: dict[str, str] | None = None) -> Path:
    dest.mkdir(parents=True)
    desc = add_image(dest, layers, history=[f"step {i}" for i in range(len(layers))],
                     manifest_extra={"annotations": annotations} if annotations else None)
    write_index(dest, [desc], "latest")
    return dest


def test_supplied_base_image_splits_findings(tmp_path: Path, db: Path) -> None:
    base = _layout(tmp_path / "base", BASE_LAYERS)
    app = _layout(tmp_path / "app", [*BASE_LAYERS, APP_LAYER])
    report = scan_target(f"oci:{app}", db=db, auto_update=False, base_image=f"oci:{base}")
    assert report.base_layers == 2
    by_package = {f.package.name: f.in_base_image for f in report.findings}
    assert by_package["libc6"] is True
    assert by_package["requests"] is False


def test_only_app_hides_base_findings_on_the_command_line(tmp_path: Path, db: Path) -> None:
    base = _layout(tmp_path / "base", BASE_LAYERS)
    app = _layout(tmp_path / "app", [*BASE_LAYERS, APP_LAYER])
    run = subprocess.run([sys.executable, "-m", "seawall", "scan", f"oci:{app}", "--db", str(db),
                          "--skip-db-update", "--base-image", f"oci:{base}", "--only-app", "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "CVE-2018-18074" in run.stdout
    assert "CVE-2023-4911" not in run.stdout


def test_unresolvable_base_annotation_leaves_base_unknown(tmp_path: Path, db: Path) -> None:
    app = _layout(tmp_path / "app", [*BASE_LAYERS, APP_LAYER], annotations={
        "org.opencontainers.image.base.name": "127.0.0.1:9/nowhere/base:1",
        "org.opencontainers.image.base.digest": "sha256:" + "0" * 64})
    report = scan_target(f"oci:{app}", db=db, auto_update=False)
    assert report.base_image == "127.0.0.1:9/nowhere/base:1@sha256:" + "0" * 64
    assert report.base_layers is None
    assert all(f.in_base_image is None for f in report.findings)


def test_rescan_after_db_update_rematches_without_reading_layers(tmp_path: Path) -> None:
    app = _layout(tmp_path / "app", [*BASE_LAYERS, APP_LAYER])
    db = tmp_path / "seawall.db"
    assert update_db(db, select_feeds(["debian"], [f"debian={MATCH / 'debian-tracker.json'}"])).installed
    first = scan_target(f"oci:{app}", db=db, auto_update=False)
    assert not any(f.package.name == "requests" for f in first.findings)
    assert update_db(db, select_feeds(["osv"], [f"osv={MATCH / 'osv'}"])).installed  # a new feed arrives
    for layer_blob in _layer_blobs(app):
        layer_blob.unlink()  # proof that the second scan reads no layer bytes: there are none left to read
    second = scan_target(f"oci:{app}", db=db, auto_update=False)
    assert second.sbom.packages == first.sbom.packages
    assert any(f.package.name == "requests" and f.id == "CVE-2018-18074" for f in second.findings)


def _layer_blobs(layout: Path) -> list[Path]:
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((layout / "blobs" / "sha256" / digest).read_text())
    return [layout / "blobs" / "sha256" / layer["digest"].split(":")[1] for layer in manifest["layers"]]

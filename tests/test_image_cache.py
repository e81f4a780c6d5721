"""Whole-image inventories in the cache: the same SBOM as the layers give, end of life decided for today, and a new
entry whenever seawall, its code, a cataloger or a layer differs."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from seawall import paths
from seawall.image.open import open_source
from seawall.inventory import imagecache
from seawall.inventory.build import InventoryStats, build_inventory, build_sbom
from seawall.inventory.layercache import IMAGES, LayerCache
from seawall.model.sbom import SBOM
from tests.imagebuild import build_oci_layout
from tests.test_inventory import OS_RELEASE, SITE, metadata, status

BOOKWORM_END = date(2028, 6, 10)  # Debian 12 in the end-of-life table


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return build_oci_layout(tmp_path / "img", layers=[
        {"/usr/lib/os-release": OS_RELEASE,
         "/var/lib/dpkg/status": status(("libc6", "2.36-9", "glibc"), ("python3-requests", "2.28.1-1", "requests")),
         f"{SITE}/requests-2.28.1.egg-info/PKG-INFO": metadata("requests", "2.28.1"),
         "/var/lib/dpkg/info/python3-requests.list": f"{SITE}/requests-2.28.1.egg-info/PKG-INFO\n".encode()},
        {"/app/lib/python3.11/site-packages/flask-2.0.0.dist-info/METADATA": metadata("Flask", "2.0.0")},
    ], history=["ADD rootfs.tar /", "RUN pip install flask"])


def _build(layout: Path, today: date | None = None) -> tuple[SBOM, InventoryStats]:
    stats = InventoryStats()
    with open_source(f"oci:{layout}") as source:
        return build_sbom(source, stats=stats, today=today), stats


def _entries() -> list[Path]:
    return sorted((paths.layer_cache_dir() / IMAGES).glob("*.json"))


def test_a_second_read_is_one_entry_with_the_same_sbom(layout: Path) -> None:
    cold, first = _build(layout)
    assert first.layers_read == 2 and len(_entries()) == 1
    warm, second = _build(layout)
    assert second.layers_read == 0 and second.cached_results == 0  # not even the layers' entries were read
    assert warm == cold  # image, distro, packages (purls, owners, layers), unknowns
    owned = {p.name: p.owned_by for p in warm.packages}
    assert owned["requests"] is not None and owned["Flask"] is None


def test_end_of_life_is_decided_for_today_not_for_the_day_it_was_cached(layout: Path) -> None:
    before, _ = _build(layout, today=date(2024, 1, 1))
    after, stats = _build(layout, today=date(2031, 1, 1))
    assert stats.cached_results == 0  # served by the image entry
    assert before.distro is not None and after.distro is not None
    assert before.distro.eol is False and after.distro.eol is True
    assert after.distro.eol_date == before.distro.eol_date == BOOKWORM_END.isoformat()


@pytest.mark.parametrize("change", ["seawall version", "seawall code", "a cataloger"])
def test_anything_the_inventory_depends_on_makes_a_new_entry(layout: Path, change: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _build(layout)
    if change == "seawall version":
        monkeypatch.setattr(imagecache, "__version__", "99.0")
    elif change == "seawall code":
        monkeypatch.setattr(imagecache, "code_fingerprint", lambda: "0" * 64)
    else:
        keys = tuple(k._replace(version=k.version + 1) if k.name == "python" else k for k in imagecache.CATALOGER_KEYS)
        monkeypatch.setattr(imagecache, "CATALOGER_KEYS", keys)
    _, stats = _build(layout)
    assert stats.cached_results > 0  # merged again from the layers' entries
    assert len(_entries()) == 2


def test_the_code_fingerprint_follows_the_modules(tmp_path: Path) -> None:
    package = tmp_path / "seawall"
    (package / "catalog" / "__pycache__").mkdir(parents=True)
    module = package / "catalog" / "dpkg.py"
    module.write_text("VERSION = 2\n")
    (package / "cli").mkdir()
    (package / "cli" / "main.py").write_text("")
    (package / "jsonbound.py").write_text("MAX_DEPTH = 64\n")
    first = imagecache.fingerprint(package, ("catalog",))
    (package / "catalog" / "__pycache__" / "dpkg.cpython-311.pyc").write_bytes(b"compiled")
    (package / "cli" / "main.py").write_text("# a command's help")
    assert imagecache.fingerprint(package, ("catalog",)) == first  # compiling, or code that decides nothing
    module.write_text("VERSION = 3\n")
    second = imagecache.fingerprint(package, ("catalog",))
    assert second != first
    (package / "jsonbound.py").write_text("MAX_DEPTH = 32\n")  # a shared helper catalogers use
    assert imagecache.fingerprint(package, ("catalog",)) != second
    assert len(imagecache.code_fingerprint()) == 64


def test_a_damaged_entry_is_rebuilt_and_other_callers_never_use_it(layout: Path) -> None:
    cold, _ = _build(layout)
    for entry in _entries():
        entry.write_text(json.dumps({"format": imagecache.FORMAT, "packages": [{"name": 1}], "unknowns": []}))
    warm, stats = _build(layout)
    assert warm == cold and stats.cached_results > 0
    with open_source(f"oci:{layout}") as source:
        full = build_inventory(source)  # analyzers and config checks need the layers' facts: never from the entry
    assert full.layers and full.owned_files and full.sbom == cold


def test_prune_removes_image_entries(layout: Path) -> None:
    _build(layout)
    assert _entries()
    LayerCache(paths.layer_cache_dir()).prune()
    assert not _entries()


def _osv_db(folder: Path, records: list[dict]) -> Path:
    from seawall.db.build import update_db
    from seawall.feeds import select_feeds

    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    db = folder / "seawall.db"
    assert update_db(db, select_feeds(["osv"], [f"osv={folder}"])).installed
    return db


def test_a_scan_served_by_the_entry_still_matches_against_the_current_db(layout: Path, tmp_path: Path) -> None:
    from seawall.scan import scan_target

    def advisory(vuln_id: str, name: str) -> dict:
        return {"schema_version": "1.6.0", "id": vuln_id, "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]}

    old_db = _osv_db(tmp_path / "old", [advisory("GHSA-test-other", "django")])
    new_db = _osv_db(tmp_path / "new", [advisory("GHSA-test-other", "django"), advisory("GHSA-test-flask", "flask")])
    before = scan_target(f"oci:{layout}", db=old_db, auto_update=False, scanners=["vuln"])
    assert len(_entries()) == 1 and not [f for f in before.findings if f.package.name == "Flask"]
    # Only the whole-image entry can serve the inventory now: no layer blob, no layer entry.
    with open_source(f"oci:{layout}") as source:
        digests = [layer.digest for layer in source.resolve().layers]
    for digest in digests:
        (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).unlink()
    shutil.rmtree(paths.layer_cache_dir() / "sha256")
    after = scan_target(f"oci:{layout}", db=new_db, auto_update=False, scanners=["vuln"])
    assert [f.id for f in after.findings if f.package.name == "Flask"] == ["GHSA-test-flask"]
    assert after.sbom.packages == before.sbom.packages

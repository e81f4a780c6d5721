"""The image → SBOM pipeline: squashed view, origin layers, ownership, and the per-layer cache."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from pathlib import Path

import pytest

from seawall.catalog.dpkg import DpkgCataloger
from seawall.catalog.python import PythonCataloger
from seawall.image.open import open_source
from seawall.inventory.build import InventoryStats, build_inventory, build_sbom, default_catalogers
from seawall.inventory.layercache import LayerCache
from seawall.paths import layer_cache_dir
from tests.imagebuild import Dir, Whiteout, build_oci_layout

OS_RELEASE = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
SITE = "/usr/lib/python3/dist-packages"


def status(*packages: tuple[str, str, str | None]) -> bytes:
    blocks = []
    for name, version, source in packages:
        lines = [f"Package: {name}", "Status: install ok installed", "Architecture: amd64", f"Version: {version}"]
        if source:
            lines.insert(3, f"Source: {source}")
        lines += ["Maintainer: Debian <d@example.org>", "Description: x"]
        blocks.append("\n".join(lines))
    return ("\n\n".join(blocks) + "\n").encode()


def metadata(name: str, version: str) -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n".encode()


BASE = [("base-files", "12.4", None), ("libc6", "2.36-9", "glibc")]
WITH_CURL = [*BASE, ("curl", "7.88.1-10", None), ("python3-requests", "2.28.1-1", "requests"),
             ("node-acorn", "8.8.1+ds+~cs25.17.7-2", None), ("npm", "9.2.0~ds1-1", None)]
AFTER_PURGE = [*BASE, *WITH_CURL[3:]]


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return build_oci_layout(
        tmp_path / "img",
        layers=[
            {"/usr/lib/os-release": OS_RELEASE, "/var/lib/dpkg/status": status(*BASE),
             "/var/lib/dpkg/info/libc6:amd64.list": b"/lib/x86_64-linux-gnu/libc.so.6\n"},
            {"/var/lib/dpkg/status": status(*WITH_CURL),
             f"{SITE}/requests-2.28.1.egg-info": Dir(),
             f"{SITE}/requests-2.28.1.egg-info/PKG-INFO": metadata("requests", "2.28.1"),
             "/var/lib/dpkg/info/python3-requests.list":
                 f"{SITE}/requests-2.28.1.egg-info\n{SITE}/requests-2.28.1.egg-info/PKG-INFO\n".encode(),
             "/usr/share/nodejs/acorn/package.json": b'{"name": "acorn", "version": "8.8.1"}',
             "/var/lib/dpkg/info/node-acorn.list": b"/usr/share/nodejs/acorn\n/usr/share/nodejs/acorn/package.json\n",
             "/usr/share/nodejs/npm/node_modules/abbrev/package.json": b'{"name": "abbrev", "version": "1.1.1"}',
             "/var/lib/dpkg/info/npm.list": b"/usr/share/nodejs/npm/node_modules/abbrev/package.json\n"},
            {"/var/lib/dpkg/status": status(*AFTER_PURGE)},
            {"/app/venv/lib/python3.11/site-packages/flask-2.0.0.dist-info/METADATA": metadata("Flask", "2.0.0"),
             "/app/venv/lib/python3.11/site-packages/old-1.0.dist-info/METADATA": metadata("old", "1.0")},
            {"/app/venv/lib/python3.11/site-packages/old-1.0.dist-info": Whiteout()},
        ],
        history=["ADD rootfs.tar /", "RUN apt-get install curl python3-requests", "RUN apt-get purge curl",
                 "RUN pip install flask old", "RUN pip uninstall old"],
    )


def test_squashed_inventory_with_origins(layout: Path) -> None:
    with open_source(f"oci:{layout}") as source:
        sbom = build_sbom(source)
    assert sbom.distro is not None and sbom.distro.codename == "bookworm"
    found = {(p.type, p.name): p for p in sbom.packages}
    assert ("deb", "curl") not in found  # purged in a later layer
    assert ("python", "old") not in found  # deleted by a whiteout
    assert found[("deb", "libc6")].layer_index == 0
    assert found[("deb", "libc6")].created_by == "ADD rootfs.tar /"
    assert found[("deb", "libc6")].source_name == "glibc"
    assert found[("deb", "libc6")].purl.startswith("pkg:deb/debian/libc6@2.36-9?arch=amd64")
    assert found[("deb", "python3-requests")].layer_index == 1
    flask = found[("python", "Flask")]
    assert flask.layer_index == 3 and flask.created_by == "RUN pip install flask old"
    assert flask.owned_by is None
    # apt's requests: the matcher must use Debian's advisories for it
    assert found[("python", "requests")].owned_by == found[("deb", "python3-requests")].purl
    # one rule for every ecosystem: OS-installed language packages are listed, and marked as their deb's
    assert found[("npm", "acorn")].owned_by == found[("deb", "node-acorn")].purl
    assert found[("npm", "abbrev")].owned_by == found[("deb", "npm")].purl


def test_second_scan_reads_no_layer_bytes(layout: Path) -> None:
    with open_source(f"oci:{layout}") as source:
        first = InventoryStats()
        cold = build_sbom(source, stats=first)
        second = InventoryStats()
        warm = build_sbom(source, stats=second)
    assert first.layers_read == 5
    assert second.layers_read == 0 and second.bytes_read == 0
    assert warm.packages == cold.packages
    assert warm.distro == cold.distro


def test_a_layer_another_scan_is_reading_is_waited_for_then_taken_from_the_cache(layout: Path, tmp_path: Path) -> None:
    # Two fleet workers (or two CI jobs on one cache) starting on images with the same base layer: the second
    # waits for the first to finish that layer and reads nothing itself.
    warm, shared = tmp_path / "warm", tmp_path / "shared"
    with open_source(f"oci:{layout}") as source:
        build_sbom(source, cache_dir=warm)
        diff_ids = [layer.diff_id for layer in source.resolve().layers]
    waiting = InventoryStats()
    done: list[object] = []

    def second_scan() -> None:
        with open_source(f"oci:{layout}") as source:
            done.append(build_sbom(source, cache_dir=shared, stats=waiting))

    with LayerCache(layer_cache_dir(shared)).claim(diff_ids):  # the first scan, reading those layers
        thread = threading.Thread(target=second_scan)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not done  # waits rather than reading the same layers again
        shutil.copytree(layer_cache_dir(warm) / "sha256", layer_cache_dir(shared) / "sha256")
    thread.join(60)
    assert done and waiting.layers_read == 0 and waiting.bytes_read == 0


def test_while_waiting_for_a_shared_base_layer_the_other_layers_are_read(layout: Path, tmp_path: Path) -> None:
    warm, shared = tmp_path / "warm", tmp_path / "shared"
    with open_source(f"oci:{layout}") as source:
        build_sbom(source, cache_dir=warm)
        base, *others = [layer.diff_id for layer in source.resolve().layers]
    stats = InventoryStats()
    done: list[object] = []

    def scan() -> None:
        with open_source(f"oci:{layout}") as source:
            done.append(build_sbom(source, cache_dir=shared, stats=stats))

    cache = LayerCache(layer_cache_dir(shared))
    names = [(c.name, c.version) for c in default_catalogers()]
    with cache.claim([base]):  # another worker is reading the base layer
        thread = threading.Thread(target=scan)
        thread.start()
        deadline = time.monotonic() + 60
        while not all(cache.complete(d, names, ()) for d in others) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(cache.complete(d, names, ()) for d in others) and thread.is_alive() and not done
        digest = base.split(":", 1)[1]
        shutil.copytree(layer_cache_dir(warm) / "sha256" / digest, layer_cache_dir(shared) / "sha256" / digest)
    thread.join(60)
    assert done and stats.layers_read == len(others) and stats.layers == len(others) + 1


def test_bumping_a_cataloger_version_rereads_only_for_it(layout: Path) -> None:
    with open_source(f"oci:{layout}") as source:
        build_sbom(source)
        bumped = type("DpkgV99", (DpkgCataloger,), {"version": 99})
        catalogers = [bumped() if isinstance(c, DpkgCataloger) else c for c in default_catalogers()]
        stats = InventoryStats()
        sbom = build_sbom(source, catalogers=catalogers, stats=stats)
    assert stats.layers_read == 5
    assert stats.fresh_results == 5  # one cataloger × five layers; every other result came from the cache
    assert any(p.type == "deb" for p in sbom.packages)


def test_corrupt_metadata_is_an_unknown_not_a_failure(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", layers=[
        {"/usr/lib/python3.11/site-packages/bad-1.0.dist-info/METADATA": b"\xff\xfe\x00garbage",
         "/usr/lib/python3.11/site-packages/good-1.0.dist-info/METADATA": metadata("good", "1.0")},
    ])
    with open_source(f"oci:{layout}") as source:
        sbom = build_sbom(source, catalogers=[PythonCataloger()])
    assert [p.name for p in sbom.packages] == ["good"]
    assert [u.path for u in sbom.unknowns] == ["/usr/lib/python3.11/site-packages/bad-1.0.dist-info/METADATA"]
    assert dataclasses.asdict(sbom.unknowns[0])["found_by"] == "python"


def test_cataloger_keys_are_the_classes_own() -> None:
    from seawall.catalog import CATALOGER_KEYS, CATALOGERS

    # A key that disagrees with its class would serve results cached by another version of the cataloger.
    assert [(k.name, k.version) for k in CATALOGER_KEYS] == [(c.name, c.version) for c in CATALOGERS]


def test_warm_build_loads_no_cataloger_and_no_layer_reader(layout: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    with open_source(f"oci:{layout}") as source:
        cold = build_sbom(source)
    script = (
        "import json, sys\n"
        "from seawall.image.open import open_source\n"
        "from seawall.inventory.build import InventoryStats, build_sbom\n"
        "stats = InventoryStats()\n"
        f"with open_source({f'oci:{layout}'!r}) as source:\n"
        "    sbom = build_sbom(source, stats=stats)\n"
        "loaded = sorted(m for m in sys.modules if m in ('seawall.fs.collect', 'seawall.fs.tarlayer')\n"
        "                or m in ('seawall.catalog.' + n for n in ('dpkg', 'python', 'npm', 'java', 'golang')))\n"
        "print(json.dumps({'loaded': loaded, 'read': stats.layers_read,\n"
        "                  'packages': sorted([p.type, p.name, p.version, p.purl] for p in sbom.packages)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env=dict(os.environ)).stdout
    warm = json.loads(out)
    assert warm["loaded"] == [] and warm["read"] == 0
    assert warm["packages"] == sorted([p.type, p.name, p.version, p.purl] for p in cold.packages)


def test_a_missing_result_loads_the_catalogers_and_rereads(layout: Path) -> None:
    from seawall import paths

    with open_source(f"oci:{layout}") as source:
        cold = build_inventory(source)
        for entry in paths.layer_cache_dir().glob("sha256/*/python-v*.json"):
            entry.unlink()
        stats = InventoryStats()
        again = build_inventory(source, stats=stats)
    assert stats.layers_read == 5 and stats.fresh_results == 5
    assert again.sbom.packages == cold.sbom.packages

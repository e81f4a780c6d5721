"""OpenWrt: packages from opkg's status database, with the distribution's purl."""

from __future__ import annotations

from seawall.catalog.opkg import OpkgCataloger
from seawall.image.rootfs import RootfsSource
from seawall.inventory.build import build_inventory
from tests.catalog_helpers import ASSETS, catalog_folder, entries_from_files


def test_installed_packages_only() -> None:
    result = catalog_folder("openwrt", OpkgCataloger())
    assert result.unknowns == ()
    assert {(p.name, p.version, p.arch) for p in result.packages} == {
        ("libc", "1.2.4-4", "x86_64"),
        ("busybox", "1.36.1-1", "x86_64"),
        ("libopenssl3", "3.0.12-1", "x86_64"),
    }


def test_openwrt_rootfs_purls_name_the_distribution() -> None:
    sbom = build_inventory(RootfsSource(ASSETS / "openwrt"), use_cache=False).sbom
    assert sbom.distro is not None and sbom.distro.id == "openwrt"
    purls = {p.name: p.purl for p in sbom.packages}
    assert purls["busybox"] == "pkg:opkg/openwrt/busybox@1.36.1-1?arch=x86_64&distro=openwrt-23.05.2"


def test_malformed_paragraph_is_an_unknown_and_others_survive() -> None:
    text = b"Package: a\nVersion: 1\nStatus: install ok installed\n\nnot a field line\n"
    cataloger = OpkgCataloger()
    result = cataloger.catalog(entries_from_files({"/usr/lib/opkg/status": text}, cataloger))
    assert [p.name for p in result.packages] == ["a"] and len(result.unknowns) == 1

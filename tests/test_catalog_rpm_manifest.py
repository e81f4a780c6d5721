"""CBL-Mariner / Azure Linux distroless: packages from the rpm manifest the image keeps instead of a database."""

from __future__ import annotations

import shutil
from pathlib import Path

from seawall.catalog.rpm_manifest import MANIFEST_PATH, RpmManifestCataloger
from seawall.image.rootfs import RootfsSource
from seawall.inventory.build import build_inventory
from tests.catalog_helpers import ASSETS, catalog_folder, entries_from_files


def test_manifest_packages_with_epoch_arch_and_source() -> None:
    result = catalog_folder("mariner-distroless", RpmManifestCataloger())
    assert result.unknowns == ()
    got = {p.name: (p.version, p.arch, p.source_name, p.source_version) for p in result.packages}
    assert got == {
        "mariner-release": ("2.0-55.cm2", "noarch", "mariner-release", "2.0-55.cm2"),
        "filesystem": ("1.1-17.cm2", "x86_64", "filesystem", "1.1-17.cm2"),
        "glibc": ("2.35-6.cm2", "x86_64", "glibc", "2.35-6.cm2"),
        "openssl-libs": ("1.1.1k-28.cm2", "x86_64", "openssl", "1.1.1k-28.cm2"),
        "perl-libs": ("4:5.34.1-489.cm2", "x86_64", "perl", "4:5.34.1-489.cm2"),
        "tzdata": ("2023c-1.cm2", "noarch", "tzdata", "2023c-1.cm2"),
    }
    assert all(p.type == "rpm" and p.locations[0].path == MANIFEST_PATH for p in result.packages)


def test_distroless_mariner_rootfs_is_an_rpm_inventory_of_that_distribution() -> None:
    sbom = build_inventory(RootfsSource(ASSETS / "mariner-distroless"), use_cache=False).sbom
    assert sbom.distro is not None and sbom.distro.id == "mariner"
    purls = {p.name: p.purl for p in sbom.packages}
    assert purls["perl-libs"] == "pkg:rpm/mariner/perl-libs@5.34.1-489.cm2?arch=x86_64&distro=mariner-2.0&epoch=4"
    assert len(sbom.packages) == 6 and sbom.unknowns == ()


def test_rpm_database_wins_over_the_manifest(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    shutil.copytree(ASSETS / "mariner-distroless", root)
    (root / "var/lib/rpm").mkdir(parents=True)
    shutil.copy(ASSETS / "rpm-sqlite/var/lib/rpm/rpmdb.sqlite", root / "var/lib/rpm/rpmdb.sqlite")
    sbom = build_inventory(RootfsSource(root), use_cache=False).sbom
    assert {p.name for p in sbom.packages} == {"hello-seawall", "libtiny-data"}


def test_lines_that_are_not_rpm_records_are_an_unknown() -> None:
    good = "tzdata\t2023c-1.cm2\t1\t2\tMicrosoft Corporation\t(none)\t9\tnoarch\t0\ttzdata-2023c-1.cm2.src.rpm\n"
    text = good + "this is not a manifest line\n" + good.replace("\t0\t", "\tx\t")
    cataloger = RpmManifestCataloger()
    result = cataloger.catalog(entries_from_files({MANIFEST_PATH: text.encode()}, cataloger))
    assert [p.name for p in result.packages] == ["tzdata"]
    assert len(result.unknowns) == 1 and "2 line(s)" in result.unknowns[0].reason

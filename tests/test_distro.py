"""Distribution detection from the release files of rootfs-shaped fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from seawall.catalog.distro import DISTRO_PATHS, detect_distro, is_distroless
from seawall.catalog.eol import eol_date, is_eol
from seawall.model.sbom import Distro
from tests.catalog_helpers import rootfs

TODAY = date(2026, 11, 22)


def release_files(case: str) -> dict[str, bytes]:
    root = rootfs(case)
    files: dict[str, bytes] = {}
    for path in DISTRO_PATHS:
        real = root / path.lstrip("/")
        if real.is_file():
            files[path] = real.read_bytes()
    return files


def test_debian_stable_version_and_codename() -> None:
    distro = detect_distro(release_files("debian-bookworm"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename) == ("debian", "12", "bookworm")
    assert distro.namespace == "debian:12"
    assert distro.eol is False and distro.eol_date == "2028-06-10"


def test_debian_testing_without_version_id_is_derived_from_the_codename() -> None:
    distro = detect_distro(release_files("debian-trixie"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename) == ("debian", "13", "trixie")
    assert distro.namespace == "debian:13"


def test_debian_version_file_alone() -> None:
    distro = detect_distro({"/etc/debian_version": b"bookworm/sid\n"})
    assert distro is not None and (distro.id, distro.version_id, distro.codename) == ("debian", "12", "bookworm")
    old = detect_distro({"/etc/debian_version": b"9.13\n"})
    assert old is not None and (old.version_id, old.codename, old.namespace) == ("9.13", "stretch", "debian:9")
    sid = detect_distro({"/etc/debian_version": b"sid\n"})
    assert sid is not None and sid.codename == "sid" and sid.version_id is None


def test_ubuntu_from_usr_lib_os_release_ignores_debian_version() -> None:
    distro = detect_distro(release_files("ubuntu-jammy"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename) == ("ubuntu", "22.04", "jammy")
    assert distro.namespace == "ubuntu:22.04"
    assert distro.id_like == ("debian",)


def test_lsb_release_alone() -> None:
    files = release_files("ubuntu-jammy")
    distro = detect_distro({"/etc/lsb-release": files["/etc/lsb-release"]})
    assert distro is not None and (distro.id, distro.version_id, distro.codename) == ("ubuntu", "22.04", "jammy")


def test_alpine_full_version_and_namespace() -> None:
    distro = detect_distro(release_files("alpine-3.19"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.namespace) == ("alpine", "3.19.1", "alpine:3.19")
    assert distro.eol is True  # main-repository support ended 2025-11-01
    assert detect_distro({"/etc/alpine-release": b"3.17.1\n"}) == Distro(
        id="alpine", version_id="3.17.1", name="Alpine Linux", eol=True, eol_date="2024-11-22"
    )


def test_centos_7_without_os_release() -> None:
    distro = detect_distro(release_files("centos-7"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id) == ("centos", "7.9.2009")
    assert distro.eol is True and distro.eol_date == "2024-06-30"


def test_rhel_family_os_release() -> None:
    text = (
        b'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n'
    )
    distro = detect_distro({"/etc/os-release": text}, today=TODAY)
    assert distro is not None and (distro.id, distro.version_id, distro.eol) == ("rocky", "9.3", False)
    assert distro.id_like == ("rhel", "centos", "fedora")


def test_distroless_keeps_debian_identity() -> None:
    distro = detect_distro(release_files("distroless-static"), today=TODAY)
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename) == ("debian", "12", "bookworm")
    assert is_distroless(distro)
    assert not is_distroless(detect_distro(release_files("debian-bookworm")))


def test_no_release_files_means_no_distro() -> None:
    assert detect_distro({}) is None
    assert detect_distro({"/etc/os-release": b"\x00\x01garbage"}) is None


@pytest.mark.parametrize(
    ("distro", "end"),
    [
        (Distro("debian", "11"), "2026-08-31"),
        (Distro("debian", "10.13"), "2024-06-30"),
        (Distro("ubuntu", "20.04"), "2025-05-31"),
        (Distro("alpine", "3.21.2"), "2026-11-01"),
        (Distro("rhel", "8.9"), "2029-05-31"),
        (Distro("amzn", "2"), "2026-06-30"),
        (Distro("amzn", "2023"), "2029-06-30"),
        (Distro("sles", "15.5"), "2024-12-31"),
        (Distro("fedora", "39"), "2024-11-26"),
    ],
)
def test_eol_table(distro: Distro, end: str) -> None:
    found = eol_date(distro)
    assert found is not None and found.isoformat() == end
    assert is_eol(distro, date.fromisoformat(end)) is False
    assert is_eol(distro, date(2099, 1, 1)) is True


def test_unknown_release_has_unknown_eol() -> None:
    assert is_eol(Distro("alpine", "3.99.0"), TODAY) is None
    assert is_eol(Distro("debian", None, codename="sid"), TODAY) is None


def test_distro_paths_are_absolute() -> None:
    assert all(Path(p).is_absolute() for p in DISTRO_PATHS)


def test_os_purls_carry_the_distribution() -> None:
    from seawall.catalog.dpkg import DpkgCataloger
    from seawall.catalog.purls import os_purl
    from tests.catalog_helpers import catalog_folder

    distro = detect_distro(release_files("debian-bookworm"), today=TODAY)
    bash = next(p for p in catalog_folder("debian-bookworm", DpkgCataloger()).packages if p.name == "bash")
    assert os_purl(bash, distro) == "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64&distro=debian-12"
    libc = next(p for p in catalog_folder("debian-bookworm", DpkgCataloger()).packages if p.name == "libc6")
    assert os_purl(libc, distro).endswith("?arch=amd64&distro=debian-12&upstream=glibc")

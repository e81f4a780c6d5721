"""dpkg: the status database, distroless status.d, info/*.list ownership, and this machine's own database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from seawall.catalog.dpkg import DpkgCataloger
from tests.catalog_helpers import catalog_folder, entries_from_files, real_entries
from tests.conftest import require_tool


def by_name(result):
    return {p.name: p for p in result.packages}


def test_installed_packages_with_source_names_and_versions() -> None:
    result = catalog_folder("debian-bookworm", DpkgCataloger(), layer_index=2)
    packages = by_name(result)
    assert set(packages) == {"base-files", "bash", "libc6", "libssl3", "zlib1g", "tzdata"}
    bash = packages["bash"]
    # `Source: bash (5.2.15-2)`: a binNMU has its own binary version but the source's version.
    assert (bash.version, bash.source_name, bash.source_version) == ("5.2.15-2+b8", "bash", "5.2.15-2")
    libc = packages["libc6"]
    assert (libc.source_name, libc.source_version) == ("glibc", libc.version)
    assert (packages["tzdata"].source_name, packages["tzdata"].source_version) == ("tzdata", packages["tzdata"].version)
    assert packages["zlib1g"].version == "1:1.2.13.dfsg-1"
    assert libc.arch == "amd64" and libc.maintainer and libc.type == "deb" and libc.found_by == "dpkg"
    assert libc.purl is None  # set once the distribution is known
    assert libc.locations[0].path == "/var/lib/dpkg/status" and libc.locations[0].layer_index == 2
    assert result.unknowns == ()


def test_config_files_only_package_is_not_installed() -> None:
    result = catalog_folder("debian-bookworm", DpkgCataloger())
    assert "oldpkg" not in by_name(result)


def test_owned_files_from_info_lists_with_and_without_arch() -> None:
    owned = dict(catalog_folder("debian-bookworm", DpkgCataloger()).owned_files)
    assert set(owned) == {"bash", "libc6", "zlib1g"}
    assert "/bin/bash" in owned["bash"] or "/usr/bin/bash" in owned["bash"]
    assert any(path.endswith("/libc.so.6") for path in owned["libc6"])
    assert "/." not in owned["bash"]


def test_distroless_status_d_entries_without_status_field() -> None:
    cataloger = DpkgCataloger()
    result = catalog_folder("distroless-static", cataloger)
    assert set(by_name(result)) == {"base-files", "netbase", "tzdata"}
    assert not cataloger.wants("/var/lib/dpkg/status.d/base-files.md5sums", 0o100644, 100)
    assert all(p.locations[0].path.startswith("/var/lib/dpkg/status.d/") for p in result.packages)
    assert result.owned_files == () and result.unknowns == ()


def test_distroless_status_d_maintainer_scripts_are_not_stanzas() -> None:
    cataloger = DpkgCataloger()
    result = catalog_folder("distroless-python", cataloger)
    assert {p.name: p.version for p in result.packages} == {
        "python3.11-minimal": "3.11.2-6+deb12u2",
        "libpython3.11-minimal": "3.11.2-6+deb12u2",
    }
    assert result.unknowns == ()
    for member in ("postinst", "prerm", "conffiles", "md5sums", "preinst", "postrm", "triggers", "shlibs"):
        assert not cataloger.wants(f"/var/lib/dpkg/status.d/python3.11-minimal.{member}", 0o100644, 100)
    assert cataloger.wants("/var/lib/dpkg/status.d/python3.11-minimal", 0o100644, 100)


def test_corrupt_status_keeps_good_paragraphs_and_records_an_unknown() -> None:
    result = catalog_folder("dpkg-corrupt", DpkgCataloger())
    assert set(by_name(result)) == {"base-files", "libc6"}
    assert len(result.unknowns) == 1
    unknown = result.unknowns[0]
    assert unknown.path == "/var/lib/dpkg/status" and unknown.found_by == "dpkg"
    assert "Architecture amd64" in unknown.reason


@pytest.mark.parametrize(
    "content",
    [
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
        b"Package: broken\nStatus: install ok installed\nVersion: not a version!\n",
        b"Status: install ok installed\nVersion: 1.0\n",
        b" leading continuation\nPackage: x\n",
    ],
)
def test_garbage_status_becomes_unknown(content: bytes) -> None:
    cataloger = DpkgCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/dpkg/status": content}, cataloger))
    assert result.packages == ()
    assert len(result.unknowns) == 1 and result.unknowns[0].path == "/var/lib/dpkg/status"


def _dpkg_query() -> dict[str, tuple[str, str, str]]:
    tool = require_tool("dpkg-query")
    out = subprocess.run(
        [tool, "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\n"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    installed: dict[str, tuple[str, str, str]] = {}
    for line in out.splitlines():
        abbrev, name, version, source, source_version = line.split("\t")
        if abbrev.strip() in ("ii", "hi"):
            installed[name] = (version, source, source_version)
    return installed


def test_this_machine_dpkg_database_matches_dpkg_query() -> None:
    expected = _dpkg_query()
    lists = sorted(Path("/var/lib/dpkg/info").glob("*.list"))
    result = DpkgCataloger().catalog(real_entries([Path("/var/lib/dpkg/status"), *lists]))
    found = {p.name: (p.version, p.source_name, p.source_version) for p in result.packages}
    assert result.unknowns == ()
    assert found == expected
    owned = dict(result.owned_files)
    assert "/usr/bin/dpkg" in owned["dpkg"]


def _status_from_inventory(inventory: dict) -> tuple[bytes, dict[str, tuple[str, str, str]]]:
    paragraphs = []
    expected = {}
    for entry in inventory["packages"]:
        lines = [f"Package: {entry['name']}", "Status: install ok installed", "Priority: optional"]
        lines.append(f"Architecture: {entry['arch'] or 'all'}")
        source, source_version = entry["source"], entry["source_version"]
        if source != entry["name"] or source_version != entry["version"]:
            lines.append(f"Source: {source}" + (f" ({source_version})" if source_version != entry["version"] else ""))
        lines += [f"Version: {entry['version']}", "Maintainer: Debian <debian@example.org>", "Description: x", " more"]
        paragraphs.append("\n".join(lines))
        expected[entry["name"]] = (entry["version"], source, source_version)
    paragraphs.append("Package: removed\nStatus: deinstall ok config-files\nVersion: 1.0-1\nArchitecture: amd64")
    return ("\n\n".join(paragraphs) + "\n").encode(), expected


@pytest.mark.shared
@pytest.mark.parametrize("name", ["debian__bookworm-20230109-slim.json", "debian__bullseye-20230109-slim.json"])
def test_real_image_inventories(shared_data: Path, name: str) -> None:
    inventory = json.loads((shared_data / "repo-info-inventories" / name).read_text())
    status, expected = _status_from_inventory(inventory)
    cataloger = DpkgCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/dpkg/status": status}, cataloger))
    found = {p.name: (p.version, p.source_name, p.source_version) for p in result.packages}
    assert found == expected
    assert len(result.packages) == inventory["package_count"]


def test_registered_catalogers_have_distinct_names_and_versions() -> None:
    from seawall.catalog import CATALOGERS

    names = [c.name for c in CATALOGERS]
    assert len(set(names)) == len(names)
    assert all(isinstance(c.version, int) and c.version >= 1 for c in CATALOGERS)
    assert {c.name for c in CATALOGERS if c.is_os} == {"dpkg", "apk", "rpm", "rpm-manifest", "opkg"}

"""The one table of ecosystems and distributions: every row is usable by every stage that reads it."""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from seawall.catalog.purls import os_namespace
from seawall.feeds.osv_record import namespace_of
from seawall.match.targets import distro_namespace, target_for
from seawall.model.ecosystem import (
    DISTRIBUTIONS,
    ECOSYSTEMS,
    OS_PACKAGE_TYPES,
    Distribution,
    Ecosystem,
    PackageType,
    advisory_url,
    display_name,
    distribution,
    distribution_named,
    ecosystem,
)
from seawall.model.sbom import Distro, Package
from seawall.versions import SCHEMES, scheme_for


def test_one_row_per_package_type_and_per_distribution() -> None:
    assert sorted(e.type for e in ECOSYSTEMS) == sorted(PackageType)
    assert len({d.id for d in DISTRIBUTIONS}) == len(DISTRIBUTIONS)
    assert {"deb", "apk", "rpm"} == OS_PACKAGE_TYPES
    assert all(ecosystem(t.value) is not None for t in PackageType)


@pytest.mark.parametrize("row", ECOSYSTEMS, ids=lambda e: e.type.value)
def test_every_ecosystem_has_a_version_scheme_and_a_valid_purl_type(row: Ecosystem) -> None:
    assert row.version_scheme in SCHEMES
    for name in (row.type.value, row.purl_type, *(n for n in (row.namespace, row.osv) if n)):
        assert scheme_for(name) is SCHEMES[row.version_scheme]
    assert PackageURL(type=row.purl_type, name="x", version="1").to_string().startswith(f"pkg:{row.purl_type}/")
    if row.osv:
        assert namespace_of(row.osv) == row.namespace  # OSV records land where the matcher looks


@pytest.mark.parametrize("row", DISTRIBUTIONS, ids=lambda d: d.id)
def test_every_distribution_is_matched_and_named(row: Distribution) -> None:
    assert scheme_for(row.id) is SCHEMES[row.version_scheme]
    assert display_name(row.id) == row.display
    assert distribution(row.id) is row and distribution_named(row.id) is row
    namespace = distro_namespace(Distro(id=row.id, version_id="9.3.1"))
    assert namespace is not None and namespace.startswith(f"{row.id}:")
    package = Package(name="pkg", version="1.0-1", type=row.package_type.value, found_by="test")
    target = target_for(package, Distro(id=row.id, version_id="9.3.1"))
    assert target is not None and target.namespace == namespace and target.matcher == "distro-source"
    assert os_namespace(row.package_type.value, Distro(id=row.id)) in (row.id, row.purl_namespace)


@pytest.mark.parametrize(("distro", "expected"), [
    (Distro(id="debian", version_id="12.5"), "debian:12"),
    (Distro(id="debian", codename="trixie"), "debian:13"),
    (Distro(id="alpine", version_id="3.19.1"), "alpine:3.19"),
    (Distro(id="rhel", version_id="9.3"), "rhel:9"),
    (Distro(id="amzn", version_id="2023"), "amzn:2023"),
    (Distro(id="ubuntu", version_id="22.04"), "ubuntu:22.04"),
    (Distro(id="sles", version_id="15.5"), "sles:15.5"),
    (Distro(id="unknownix", version_id="1.2"), "unknownix:1.2"),
])
def test_namespaces_are_written_the_way_each_distribution_s_feed_writes_them(distro: Distro, expected: str) -> None:
    assert distro_namespace(distro) == expected


def test_vendor_pages_and_names() -> None:
    assert advisory_url("debian:12", "CVE-2024-1") == "https://security-tracker.debian.org/tracker/CVE-2024-1"
    assert advisory_url("alpine:3.19", "CVE-2024-1") == "https://security.alpinelinux.org/vuln/CVE-2024-1"
    assert advisory_url("ubuntu:22.04", "CVE-2024-1") == "https://ubuntu.com/security/CVE-2024-1"
    assert advisory_url("pypi", "CVE-2024-1") is None
    assert display_name("rhel") == "Red Hat" and display_name("pypi") == "PyPI" and display_name("nope") is None
    assert distribution_named("redhat") is distribution("rhel") and distribution_named("amazon") is distribution("amzn")


@pytest.mark.parametrize(("osv", "distro"), [
    ("Debian:12", Distro(id="debian", version_id="12.5")),
    ("Alpine:v3.19", Distro(id="alpine", version_id="3.19.1")),
    ("Ubuntu:22.04:LTS", Distro(id="ubuntu", version_id="22.04")),
    ("Rocky Linux:9.3", Distro(id="rocky", version_id="9.3")),
    ("AlmaLinux:8", Distro(id="almalinux", version_id="8.9")),
    ("Red Hat:enterprise_linux:9::appstream", Distro(id="rhel", version_id="9.3")),
])
def test_osv_distribution_records_land_in_the_namespace_the_image_is_matched_in(osv: str, distro: Distro) -> None:
    assert namespace_of(osv) == distro_namespace(distro)

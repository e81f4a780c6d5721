"""Encoded version keys order as their schemes do, so the DB can leave out advisories fixed below what is installed."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from seawall.db import VulnStore, update_db
from seawall.db.sortkey import encode_version, namespace_scheme
from seawall.feeds.http import Http
from seawall.match.matcher import raw_matches
from seawall.model.image import Image, Platform
from seawall.model.sbom import SBOM, Distro, Package
from seawall.versions import scheme_for
from tests.feed_helpers import fixture_feeds

VERSIONS = {
    "dpkg": ["0", "1.0", "1.0-1", "1:0.9", "0:1.0", "1.0~rc1", "1.0~rc1-1", "1.0~~", "1.0~", "1.0+deb12u1", "1.0a",
             "1.0.0", "1.00", "10", "9.18.8-6", "2.36-9+deb12u3", "2.36-9+deb12u10", "7.88.1-10+deb12u4", "1.2.3+~",
             "2:1.20.11-1+deb11u6", "1.0-1~bpo11+1", "3.0.11-1~deb12u2", "a", "1.0+dfsg-1.2", "175", "176", "432",
             "99999999999999999999999", "1.0~~~"],
    "apk": ["1.2.3-r0", "1.2.3-r10", "1.2.3_rc1-r0", "1.2.3_p1-r1", "1.2.3a-r0", "1.2.3_git20230101-r0", "2.9.0-r0",
            "1.2.3", "1.2", "1.10.0-r0", "3.1.4_pre2-r0"],
    "rpm": ["1:2.3-4.el8", "2.3-4.el8_2", "2.3-4", "2.3~rc1-1", "2.3^post-1", "1.0.0-1.fc38", "2.3-4.el8", "2.3a-1",
            "0:2.3-4", "2.03-4"],
    "semver": ["1.2.3", "1.2.3-rc.1", "1.2.3-alpha", "1.2.3-alpha.1", "1.2.3-0.3.7", "1.2.3+build", "10.0.0",
               "1.2.3-alpha.beta", "1.2.3-beta.11", "1.2.3-beta.2", "0.0.1"],
    "go": ["v1.2.3", "v0.0.0-20230101000000-abcdef123456", "v2.0.0+incompatible", "v1.2.3-pre", "v1.10.0"],
    "gem": ["1.2.a", "1.2", "1.2.0", "1.10", "1.2.b.1", "2.0.0.rc1", "2"],
}


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


@pytest.mark.parametrize("scheme_name", sorted(VERSIONS))
def test_encoded_keys_compare_as_the_scheme_does(scheme_name: str) -> None:
    scheme = scheme_for(scheme_name)
    encoded = {v: encode_version(scheme, v) for v in VERSIONS[scheme_name]}
    assert all(e is not None for e in encoded.values()), encoded
    with sqlite3.connect(":memory:") as conn:  # BLOB order is SQLite's, not only Python's bytes order
        for a, b in itertools.product(VERSIONS[scheme_name], repeat=2):
            in_sql = conn.execute("SELECT (? > ?) - (? < ?)", (encoded[a], encoded[b], encoded[a], encoded[b]))
            assert in_sql.fetchone()[0] == _sign(scheme.compare(a, b)), (a, b)


def test_keys_of_other_shapes_and_bad_versions_are_not_encoded() -> None:
    assert encode_version(scheme_for("pep440"), "1.0") is None  # an object key: the matcher reads every row
    assert encode_version(scheme_for("dpkg"), "not a version") is None
    assert namespace_scheme("debian:12").name == "dpkg" and namespace_scheme("alpine:3.19").name == "apk"
    assert namespace_scheme("no-such-ecosystem") is None


def test_keys_of_different_schemes_never_look_ordered() -> None:
    dpkg, apk = encode_version(scheme_for("dpkg"), "1.0"), encode_version(scheme_for("apk"), "1.0")
    assert dpkg is not None and apk is not None and not dpkg.startswith(apk[:4])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> VulnStore:
    path = tmp_path_factory.mktemp("db") / "seawall.db"
    report = update_db(path, fixture_feeds(), http=Http(backoff=0, retries=0))
    assert report.installed and not report.failed, report.failed
    return VulnStore.open(path)


def _sbom(*packages: Package) -> SBOM:
    image = Image(source="test", transport="sbom", ref=None, digest=None, index_digest=None, platform=Platform(),
                  manifest_media_type=None, config_digest=None)
    return SBOM(image=image, distro=Distro(id="debian", version_id="12", codename="bookworm"), packages=packages)


def test_rows_fixed_at_or_below_the_installed_version_are_left_out(store: VulnStore) -> None:
    every = store.candidate_rows("debian:12", {"glibc": None})["glibc"]
    fixed_at = encode_version(scheme_for("dpkg"), "2.36-9+deb12u3")
    left = store.candidate_rows("debian:12", {"glibc": fixed_at})["glibc"]
    assert "CVE-2023-4911" in {r[0] for r in every} and "CVE-2023-4911" not in {r[0] for r in left}
    assert {r[0] for r in left} < {r[0] for r in every}
    assert "not-affected" not in {r[3] for r in every}


def test_a_lagging_binary_of_a_source_keeps_the_rows_that_affect_it(store: VulnStore) -> None:
    # Two binaries of glibc at different versions: the lower one decides which rows are read.
    old = Package(name="libc6", version="2.36-9+deb12u1", type="deb", found_by="test", source_name="glibc",
                  source_version="2.36-9+deb12u1")
    new = Package(name="libc-bin", version="2.36-9+deb12u4", type="deb", found_by="test", source_name="glibc",
                  source_version="2.36-9+deb12u4")
    matches = raw_matches(_sbom(new, old), store)
    by_package = {(m.package.name, m.advisory.id) for m in matches}
    assert ("libc6", "CVE-2023-4911") in by_package and ("libc-bin", "CVE-2023-4911") not in by_package

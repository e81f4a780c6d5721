"""The read API the matcher uses: advisories per package in one batched query, merged metadata, aliases, provenance."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from seawall.db import VulnStore, ensure_db, update_db
from seawall.db.store import SCHEMA_VERSION
from seawall.errors import DatabaseError, NetworkError
from seawall.feeds.http import Http
from seawall.feeds.kev import KevConfig, KevFeed
from seawall.model.vuln import Status
from tests.feed_helpers import fixture_feeds


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "seawall.db"
    report = update_db(path, fixture_feeds(), http=Http(backoff=0, retries=0))
    assert report.installed and not report.failed, report.failed
    return path


def test_advisories_for_returns_every_state_per_package(db: Path) -> None:
    with VulnStore.open(db) as store:
        found = store.advisories_for("debian:12", ["glibc", "openssl", "curl", "no-such-package"])
    assert set(found) == {"glibc", "openssl", "curl"}
    glibc = {(a.id, a.feed): a for a in found["glibc"]}
    assert glibc[("CVE-2023-4911", "debian")].fixed_versions == ("2.36-9+deb12u3",)
    assert glibc[("DEBIAN-CVE-2023-4911", "osv")].versions == ("2.36-1", "2.36-9+deb12u1", "2.36-9+deb12u2")
    assert glibc[("CVE-2010-4756", "debian")].status is Status.NEGLIGIBLE
    assert found["curl"][0].severity_provisional


def test_advisories_for_batches_many_names(db: Path) -> None:
    names = [f"pkg-{i}" for i in range(2000)] + ["semver"]
    with VulnStore.open(db) as store:
        found = store.advisories_for("npm", names)
    assert list(found) == ["semver"] and len(found["semver"]) == 3


def test_vulnerability_merges_every_feed(db: Path) -> None:
    with VulnStore.open(db) as store:
        cve = store.vulnerability("CVE-2021-44228")
        ghsa = store.vulnerability("GHSA-jfh8-c2jp-5v3q")
        assert store.vulnerability("CVE-0000-0000") is None
        dsa_aliases = store.aliases("DSA-5380-1")
        cve_aliases = store.aliases("CVE-2005-1267")
    assert cve is not None and cve.kev and cve.kev.known_ransomware and cve.epss and cve.epss.score == 0.9756
    assert "GHSA-jfh8-c2jp-5v3q" in cve.aliases  # the reverse direction of the GHSA's alias
    assert ghsa is not None and ghsa.summary == "Remote code injection in Log4j" and ghsa.cvss[0].score == 10.0
    assert dsa_aliases == {"CVE-2023-1393"}
    assert cve_aliases == {"DSA-854-1"}


def test_feeds_have_provenance(db: Path) -> None:
    with VulnStore.open(db) as store:
        feeds = {f.name: f for f in store.feeds()}
        assert store.schema_version == SCHEMA_VERSION
    assert set(feeds) == {"debian", "debian-advisories", "alpine", "osv", "kev", "epss"}
    osv = feeds["osv"]
    assert osv.digest and osv.digest.startswith("sha256:") and osv.records > 10 and osv.skipped == 2
    assert dict(osv.skip_reasons)["withdrawn"] == 1
    # Records whose ranges cannot be evaluated are kept and counted apart from the skipped ones.
    assert osv.flagged == 2
    assert dict(osv.flag_reasons) == {"pypi version that does not parse (fixed)": 1,
                                      "unknown range type 'SEMVER_NEW'": 1}
    assert feeds["epss"].data_date == "2024-10-10"


def test_unknown_schema_version_is_refused(tmp_path: Path, db: Path) -> None:
    copy = tmp_path / "future.db"
    copy.write_bytes(db.read_bytes())
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(DatabaseError, match="schema version 999"):
        VulnStore.open(copy)
    with pytest.raises(DatabaseError, match="newer than this seawall"):
        update_db(copy, [], http=Http())
    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(DatabaseError, match="not a seawall vulnerability DB"):
        VulnStore.open(tmp_path / "junk.db")


def test_ensure_db_builds_once_and_reports_an_unreachable_network(tmp_path: Path) -> None:
    path = tmp_path / "db" / "seawall.db"
    kev = KevFeed(KevConfig(url="http://127.0.0.1:9/known_exploited_vulnerabilities.json"))
    with pytest.raises(NetworkError, match="cannot build the vulnerability DB"):
        ensure_db(path, feeds=[kev], http=Http(backoff=0))
    assert not path.exists()
    with pytest.raises(DatabaseError, match="no vulnerability DB"):
        ensure_db(path, auto_update=False)
    assert ensure_db(path, feeds=fixture_feeds()[-1:]) == path
    assert ensure_db(path, feeds=[kev]) == path  # present: no update

"""Safe updates: conditional GETs, failures that touch only their feed, killed updates, readers that keep their view,
and the full real data in ../shared/data served from 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from seawall.db import VulnStore, update_db
from seawall.feeds.alpine import AlpineConfig, AlpineSecdbFeed
from seawall.feeds.debian_lists import DebianListsConfig, DebianListsFeed
from seawall.feeds.epss import EpssConfig, EpssFeed
from seawall.feeds.http import Http
from seawall.feeds.kev import KevConfig, KevFeed
from seawall.feeds.osv import OsvConfig, OsvFeed
from tests.feed_helpers import ASSETS, FeedServer

KEV = ASSETS / "kev" / "known_exploited_vulnerabilities.json"
EPSS = ASSETS / "epss" / "epss_scores-2024-10-10.csv.gz"


def _http() -> Http:
    return Http(backoff=0, retries=1)


@pytest.fixture()
def upstream(tmp_path: Path) -> Iterator[FeedServer]:
    root = tmp_path / "upstream"
    root.mkdir()
    shutil.copy(KEV, root / "kev.json")
    shutil.copy(EPSS, root / "epss.csv.gz")
    with FeedServer(root) as server:
        yield server


def _feeds(server: FeedServer) -> list:
    return [KevFeed(KevConfig(url=f"{server.url}/kev.json")), EpssFeed(EpssConfig(url=f"{server.url}/epss.csv.gz"))]


def _kev_ids(path: Path) -> set[str]:
    with VulnStore.open(path) as store:
        return {r[0] for r in store._query("SELECT id FROM kev")}


def test_second_update_uses_conditional_get(upstream: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    first = update_db(db, _feeds(upstream), http=_http())
    assert [o.state for o in first.outcomes] == ["updated", "updated"]
    second = update_db(db, _feeds(upstream), http=_http())
    assert [o.state for o in second.outcomes] == ["unchanged", "unchanged"]
    assert upstream.statuses("/kev.json") == [200, 304]
    assert second.outcomes[0].records == first.outcomes[0].records


@pytest.mark.parametrize("failure", [500, "garbage", "truncate"])
def test_a_broken_feed_keeps_its_previous_data(upstream: FeedServer, tmp_path: Path, failure: int | str) -> None:
    db = tmp_path / "seawall.db"
    update_db(db, _feeds(upstream), http=_http())
    before = _kev_ids(db)
    (upstream.root / "kev.json").write_text(json.dumps({"vulnerabilities": [
        {"cveID": "CVE-2099-0001", "dateAdded": "2099-01-01"}]}))
    os.utime(upstream.root / "kev.json", (time.time() + 5, time.time() + 5))
    upstream.failures["/kev.json"] = failure
    report = update_db(db, _feeds(upstream), http=_http())
    kev, epss = report.outcomes
    assert kev.state == "failed" and kev.error and "\n" not in kev.error
    assert epss.state in ("updated", "unchanged")
    assert report.installed and _kev_ids(db) == before
    with VulnStore.open(db) as store:
        assert next(f for f in store.feeds() if f.name == "kev").error == kev.error
    upstream.failures.clear()
    assert update_db(db, _feeds(upstream), http=_http()).outcomes[0].state == "updated"
    assert _kev_ids(db) == {"CVE-2099-0001"}


def test_first_update_with_every_feed_failing_writes_nothing(upstream: FeedServer, tmp_path: Path) -> None:
    upstream.failures["/kev.json"] = 500
    upstream.failures["/epss.csv.gz"] = 500
    report = update_db(tmp_path / "seawall.db", _feeds(upstream), http=_http())
    assert not report.installed and not (tmp_path / "seawall.db").exists()


def test_a_reader_keeps_its_view_during_an_update(upstream: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    update_db(db, _feeds(upstream), http=_http())
    reader = VulnStore.open(db)
    (upstream.root / "kev.json").write_text(json.dumps({"vulnerabilities": [
        {"cveID": "CVE-2099-0002", "dateAdded": "2099-01-01"}]}))
    os.utime(upstream.root / "kev.json", (time.time() + 5, time.time() + 5))
    update_db(db, _feeds(upstream), http=_http())
    try:
        assert reader.vulnerability("CVE-2021-44228").kev is not None  # the old file, whole
        assert reader.vulnerability("CVE-2099-0002") is None
    finally:
        reader.close()
    with VulnStore.open(db) as fresh:
        assert fresh.vulnerability("CVE-2099-0002").kev is not None


def test_a_killed_update_leaves_the_previous_db(upstream: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    update_db(db, _feeds(upstream), http=_http())
    original = db.read_bytes()
    upstream.failures["/epss.csv.gz"] = "stall"
    os.utime(upstream.root / "kev.json", (time.time() + 5, time.time() + 5))
    asked = len(upstream.paths)
    proc = subprocess.Popen(
        [sys.executable, "-m", "seawall", "db", "--db", str(db), "update", "--feed", "kev", "--feed", "epss",
         "--source", f"kev={upstream.url}/kev.json", "--source", f"epss={upstream.url}/epss.csv.gz"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while "/epss.csv.gz" not in upstream.paths[asked:]:  # kev is fetched, epss hangs
            assert time.monotonic() < deadline, "the update never reached the stalled feed"
            time.sleep(0.05)
        # Every feed is fetched before the DB is copied: a copy left by an update killed while writing is simulated.
        (tmp_path / f".seawall.db.new-{proc.pid}").write_bytes(original[: len(original) // 2])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert db.read_bytes() == original
    with VulnStore.open(db) as store:
        assert store.vulnerability("CVE-2021-44228").kev is not None
    upstream.failures.clear()
    assert update_db(db, _feeds(upstream), http=_http()).installed
    assert not list(tmp_path.glob(".seawall.db.new-*"))  # the killed update's copy is cleaned up


# --- the full real data --------------------------------------------------------------------------------------------

ALPINE_BRANCHES = tuple(f"v3.{n}" for n in range(3, 12))


@pytest.fixture(scope="module")
def real_upstream(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    """../shared/data laid out like the real servers: tracker lists, secdb branches, an OSV bucket for PyPI."""
    root = tmp_path_factory.mktemp("real-upstream")
    shutil.copytree(shared_data / "debian-security-tracker" / "data", root / "tracker")
    shutil.copytree(shared_data / "alpine-secdb", root / "secdb")
    (root / "osv" / "PyPI").mkdir(parents=True)
    with zipfile.ZipFile(root / "osv" / "PyPI" / "all.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((shared_data / "pypa-advisory-db" / "vulns").rglob("*.yaml")):
            record = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            zf.writestr(f"{record['id']}.json", json.dumps(record, default=str))
    with FeedServer(root) as server:
        yield server


def _real_feeds(server: FeedServer) -> list:
    return [
        DebianListsFeed(DebianListsConfig().with_source(None, f"{server.url}/tracker")),
        AlpineSecdbFeed(AlpineConfig(base_url=f"{server.url}/secdb", branches=ALPINE_BRANCHES, format="yaml")),
        OsvFeed(OsvConfig(base_url=f"{server.url}/osv", ecosystems=("PyPI",))),
    ]


def test_full_real_data_over_http_then_unchanged(real_upstream: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    first = update_db(db, _real_feeds(real_upstream), http=_http())
    assert [o.state for o in first.outcomes] == ["updated"] * 3, first.failed
    records = {o.name: o.records for o in first.outcomes}
    assert records["debian-advisories"] > 19_000 and records["alpine"] > 12_000 and records["osv"] > 5_000
    with VulnStore.open(db) as store:
        assert store.advisories_for("debian:11", ["xorg-server"])["xorg-server"]
        assert store.advisories_for("alpine:3.11", ["openssl"])["openssl"]
        assert any(a.id == "PYSEC-2021-76" for a in store.advisories_for("pypi", ["aiohttp"])["aiohttp"])
        assert "GHSA-v6wp-4m6f-gcjg" in store.aliases("PYSEC-2021-76")
    second = update_db(db, _real_feeds(real_upstream), http=_http())
    assert [o.state for o in second.outcomes] == ["unchanged"] * 3
    assert 304 in real_upstream.statuses("/all.zip") and 304 in real_upstream.statuses("/DSA/list")

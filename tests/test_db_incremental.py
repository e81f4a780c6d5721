"""Incremental DB updates against servers on 127.0.0.1 answering like the real ones: a check that finds nothing new
costs a few conditional requests and leaves the DB file as it is; a changed OSV id list or an NVD last-modified
window replaces only the records it names, and a reader holding the DB keeps its whole view."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.db import VulnStore, update_db
from seawall.db.coverage import write_coverage
from seawall.feeds.epss import EpssConfig, EpssFeed
from seawall.feeds.http import Http
from seawall.feeds.kev import KevConfig, KevFeed
from seawall.feeds.osv import OsvConfig, OsvFeed
from tests.feed_helpers import ASSETS, FeedServer
from tests.test_feed_nvd_sync import RECORDS as NVD_RECORDS
from tests.test_feed_nvd_sync import Clock, NvdApi, _feed

OSV_RECORDS = ASSETS / "osv" / "records"
TEMPLATE = json.loads((OSV_RECORDS / "GHSA-c2qf-rxjj-qqgw.json").read_text())  # an npm record
COPIES = 200


def _record(n: int, fixed: str = "2.0.0") -> dict[str, object]:
    record = json.loads(json.dumps(TEMPLATE))
    record["id"] = f"GHSA-test-{n:04d}"
    record["aliases"] = [f"CVE-2099-{n + 1000}"]
    record["modified"] = "2024-01-01T00:00:00Z"
    record["affected"] = [{"package": {"ecosystem": "npm", "name": f"pkg-{n}"},
                           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
    return record


@pytest.fixture()
def bucket(tmp_path: Path) -> Iterator[FeedServer]:
    """An OSV bucket (npm/all.zip, npm/modified_id.csv, npm/<id>.json) plus KEV and EPSS files."""
    root = tmp_path / "upstream"
    (root / "npm").mkdir(parents=True)
    with zipfile.ZipFile(root / "npm" / "all.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(COPIES):
            zf.writestr(f"GHSA-test-{n:04d}.json", json.dumps(_record(n)))
    (root / "npm" / "modified_id.csv").write_text(
        "".join(f"2024-01-01T00:00:00Z,GHSA-test-{n:04d}\n" for n in range(COPIES)))
    shutil.copy(ASSETS / "kev" / "known_exploited_vulnerabilities.json", root / "kev.json")
    shutil.copy(ASSETS / "epss" / "epss_scores-2024-10-10.csv.gz", root / "epss.csv.gz")
    with FeedServer(root) as server:
        yield server


def _feeds(server: FeedServer) -> list:
    return [OsvFeed(OsvConfig(base_url=server.url, ecosystems=("npm",))),
            KevFeed(KevConfig(url=f"{server.url}/kev.json")), EpssFeed(EpssConfig(url=f"{server.url}/epss.csv.gz"))]


def _http() -> Http:
    return Http(backoff=0, retries=1)


def _rows(db: Path, feed: str) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    with VulnStore.open(db) as store:
        for row in store._query("SELECT id, package, ranges, fixed FROM advisories WHERE feed = ? ORDER BY 1, 2",
                                (feed,)):
            out.setdefault(str(row[0]), []).append(row)
    return out


def test_nothing_new_costs_a_few_conditional_requests_and_no_rewrite(bucket: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    assert update_db(db, _feeds(bucket), http=_http()).installed
    # The first check after the zip reads the id index once; from then on every input answers 304.
    update_db(db, _feeds(bucket), http=_http())
    before, stat = db.read_bytes(), db.stat()
    asked = len(bucket.requests)
    report = update_db(db, _feeds(bucket), http=_http())
    assert report.current and not report.installed
    assert [o.state for o in report.outcomes] == ["unchanged"] * 3
    assert bucket.requests[asked:] == [("/npm/modified_id.csv", 304), ("/kev.json", 304), ("/epss.csv.gz", 304)]
    assert db.read_bytes() == before and db.stat().st_ino == stat.st_ino and db.stat().st_mtime_ns == stat.st_mtime_ns


def test_changed_osv_ids_replace_only_those_records(bucket: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    update_db(db, _feeds(bucket), http=_http())
    before = _rows(db, "osv")
    reader = VulnStore.open(db)  # holds the old file through the update
    try:
        npm = bucket.root / "npm"
        changed, added = _record(7, fixed="3.1.4"), _record(COPIES + 1)
        (npm / "GHSA-test-0007.json").write_text(json.dumps(changed))
        (npm / f"GHSA-test-{COPIES + 1:04d}.json").write_text(json.dumps(added))
        withdrawn = _record(9) | {"withdrawn": "2024-06-01T00:00:00Z"}
        (npm / "GHSA-test-0009.json").write_text(json.dumps(withdrawn))
        index = (npm / "modified_id.csv").read_text()
        (npm / "modified_id.csv").write_text(
            f"2099-01-02T00:00:00Z,GHSA-test-{COPIES + 1:04d}\n2099-01-01T00:00:00Z,GHSA-test-0009\n"
            f"2099-01-01T00:00:00Z,GHSA-test-0007\n" + index)
        os.utime(npm / "modified_id.csv", (1e10, 1e10))
        asked = len(bucket.requests)
        report = update_db(db, _feeds(bucket), http=_http())
        osv = report.outcomes[0]
        assert report.installed and osv.state == "updated" and osv.delta == 3
        paths = [p for p, _ in bucket.requests[asked:]]
        assert "/npm/all.zip" not in paths and "/npm/GHSA-test-0007.json" in paths
        after = _rows(db, "osv")
        assert '"3.1.4"' in str(after["GHSA-test-0007"]) and f"GHSA-test-{COPIES + 1:04d}" in after
        assert "GHSA-test-0009" not in after  # withdrawn upstream: its rows are gone
        untouched = set(before) - {"GHSA-test-0007", "GHSA-test-0009"}
        assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
        with VulnStore.open(db) as fresh:
            assert {f.name: f.records for f in fresh.feeds()}["osv"] == osv.records
            kept = sorted(fresh._query("SELECT * FROM coverage"))
        # Coverage is recomputed for the updated feed only: the same as recomputing every row.
        copy = tmp_path / "recomputed.db"
        shutil.copy(db, copy)
        conn = sqlite3.connect(copy)
        write_coverage(conn)
        assert sorted(conn.execute("SELECT * FROM coverage")) == kept
        conn.close()
        # The reader opened before the update still sees the old data, whole.
        old = reader._query("SELECT fixed FROM advisories WHERE id = 'GHSA-test-0007'")
        assert old == [('["2.0.0"]',)]
    finally:
        reader.close()


def test_nvd_window_replaces_only_the_cves_it_names(tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    clock = Clock()
    http = Http(backoff=0, retries=1, sleep=clock.sleep)
    with NvdApi(NVD_RECORDS) as api:
        first = update_db(db, [_feed(api, clock, datetime(2025, 1, 1, tzinfo=UTC), per_page=50)], http=http)
        assert first.installed and first.outcomes[0].delta is None
        with VulnStore.open(db) as store:
            before = {str(r[0]): r for r in store._query(
                "SELECT id, description, modified FROM vulnerabilities WHERE feed = 'nvd'")}
        quiet = update_db(db, [_feed(api, clock, datetime(2025, 2, 1, tzinfo=UTC), per_page=50)], http=http)
        assert quiet.current and len(api.requests) == 2  # the full sync, then one empty window
        target = api.cves[0]
        target["lastModified"] = "2025-02-15T10:00:00.000"
        target["descriptions"] = [{"lang": "en", "value": "Reassessed: the parser overflow is remotely reachable."}]
        report = update_db(db, [_feed(api, clock, datetime(2025, 3, 1, tzinfo=UTC), per_page=50)], http=http)
        assert report.installed and report.outcomes[0].delta == 1
        assert api.requests[-1]["lastModStartDate"].startswith("2025-02-01")
    with VulnStore.open(db) as store:
        after = {str(r[0]): r for r in store._query(
            "SELECT id, description, modified FROM vulnerabilities WHERE feed = 'nvd'")}
    assert after[target["id"]][1].startswith("Reassessed")
    assert {k: v for k, v in after.items() if k != target["id"]} == \
        {k: v for k, v in before.items() if k != target["id"]}

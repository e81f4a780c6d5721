"""Each feed's records, near-real and hostile, through its parser and into the DB tables: rows or skipped
records, never an exception."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from seawall.db.build import _Batch, create_schema
from seawall.db.store import advisory_row
from seawall.feeds.alpine import parse_secdb
from seawall.feeds.debian import parse_tracker
from seawall.feeds.debian_lists import parse_list
from seawall.feeds.epss import parse_scores
from seawall.feeds.interface import Record
from seawall.feeds.kev import parse_catalog
from seawall.feeds.nvd import parse_cve
from seawall.feeds.osv_record import parse_record
from seawall.model.vuln import Advisory, VulnerabilityMeta
from tests.fuzz.bounds import fuzz, survives
from tests.fuzz.strategies import mutated_json, mutated_text

FEEDS = Path(__file__).resolve().parents[1] / "assets" / "feeds"


def _json(path: str) -> Any:
    return json.loads((FEEDS / path).read_text())


def _ingest(records: Iterable[Record]) -> int:
    """What `seawall db update` does with a feed's records: rows in the DB's tables."""
    conn = sqlite3.connect(":memory:")
    try:
        create_schema(conn)
        batch = _Batch(conn)
        count = 0
        for record in records:
            if isinstance(record, Advisory):
                batch.advisories.append(advisory_row(record))
            elif isinstance(record, VulnerabilityMeta):
                batch.add_meta(record)
            count += 1
        batch.flush()
        return count
    finally:
        conn.close()


TRACKER = _json("debian/tracker.json")
SECDB = _json("alpine/v3.19/main.json")
SECDB_YAML = yaml.safe_load((FEEDS / "alpine/v3.8/main.yaml").read_text())
OSV = [_json(f"osv/records/{p.name}") for p in sorted((FEEDS / "osv/records").glob("*.json"))
       if p.name != "not-a-record.json"] + \
      [yaml.safe_load(p.read_text()) for p in sorted((FEEDS / "osv/records").glob("*.yaml"))]
NVD = _json("nvd/cves-page.json")
KEV = _json("kev/known_exploited_vulnerabilities.json")
DSA = (FEEDS / "debian-advisories/DSA.list").read_text()
EPSS = gzip.decompress((FEEDS / "epss/epss_scores-2024-10-10.csv.gz").read_bytes()).decode()


@fuzz
@given(mutated_json(TRACKER))
def test_debian_tracker(data: Any) -> None:
    if isinstance(data, dict):  # the feed refuses any other top level before parsing
        survives(lambda: _ingest(parse_tracker(data)))


@fuzz
@given(mutated_json(SECDB) | mutated_json(SECDB_YAML))
def test_alpine_secdb(data: Any) -> None:
    survives(lambda: _ingest(parse_secdb(data, "v3.19")))


@fuzz
@given(st.sampled_from(range(len(OSV))).flatmap(lambda i: mutated_json(OSV[i])))
def test_osv_records(record: Any) -> None:
    survives(lambda: _ingest(parse_record(record, "osv", origin="fuzzed.json")))


@fuzz
@given(mutated_json(NVD))
def test_nvd_pages(page: Any) -> None:
    entries = page.get("vulnerabilities", ()) if isinstance(page, dict) else ()
    survives(lambda: _ingest(parse_cve(entry) for entry in (entries if isinstance(entries, list) else ())))


@fuzz
@given(mutated_json(KEV))
def test_kev_catalog(data: Any) -> None:
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), list):  # checked by the feed first
        survives(lambda: _ingest(parse_catalog(data)))


@fuzz
@given(mutated_text(DSA))
def test_debian_advisory_lists(text: str) -> None:
    survives(lambda: _ingest(parse_list(text)))


@fuzz
@given(mutated_text(EPSS))
def test_epss_scores(text: str) -> None:
    survives(lambda: _ingest(parse_scores(io.StringIO(text))))


def test_seeds_make_rows() -> None:
    assert _ingest(parse_tracker(TRACKER)) and _ingest(parse_secdb(SECDB, "v3.19")) and _ingest(parse_catalog(KEV))
    assert _ingest(parse_list(DSA)) and _ingest(parse_scores(io.StringIO(EPSS)))
    assert sum(_ingest(parse_record(r, "osv")) for r in OSV) and _ingest(parse_cve(e) for e in NVD["vulnerabilities"])


def test_mistyped_records_are_skipped_and_the_rest_load() -> None:
    from seawall.model.vuln import Skipped
    data = json.loads(json.dumps(KEV))
    data["vulnerabilities"][0]["vendorProject"] = []
    records = list(parse_catalog(data))
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert next(s.reason for s in skipped) == "malformed record (field kev.vendor_project is a list)"
    assert _ingest(records) == len(records) and any(isinstance(r, VulnerabilityMeta) for r in records)
    secdb = json.loads(json.dumps(SECDB))
    secdb["packages"].insert(0, {"pkg": {"name": "db", "secfixes": {"0": 1}}})
    records = list(parse_secdb(secdb, "v3.19"))
    assert isinstance(records[0], Skipped) and records[0].reason == "malformed record (TypeError)"
    assert any(isinstance(r, Advisory) for r in records)

"""Alpine secdb, JSON and YAML: origin packages, "0" = never affected, ids cleaned of trailing text."""

from __future__ import annotations

from seawall.feeds.alpine import AlpineConfig, AlpineSecdbFeed, load_secdb, parse_secdb
from seawall.model.vuln import Advisory, Skipped, Status
from tests.feed_helpers import ASSETS, records_json, run_feed
from tests.snapshot import assert_snapshot


def _records(name: str) -> list:
    return list(parse_secdb(load_secdb(ASSETS / "alpine" / name)))


def test_json_snapshot() -> None:
    assert_snapshot("feeds/alpine-json.json", records_json(_records("v3.19/main.json")))


def test_yaml_snapshot() -> None:
    assert_snapshot("feeds/alpine-yaml.json", records_json(_records("v3.8/main.yaml")))


def test_fix_zero_means_not_affected_and_text_is_stripped() -> None:
    records = _records("v3.19/main.json")
    by = {(r.id, r.package): r for r in records if isinstance(r, Advisory)}
    assert by[("CVE-2022-1343", "openssl")].status is Status.NOT_AFFECTED
    assert by[("CVE-2022-30065", "busybox")].fixed_versions == ("1.35.0-r17",)
    assert by[("CVE-2023-3446", "openssl")].namespace == "alpine:3.19"
    assert [r.reason for r in records if isinstance(r, Skipped)] == ["secfix line names no vulnerability id"]


def test_yaml_keeps_versions_as_text_and_reads_several_ids_per_line() -> None:
    by = {(r.id, r.package): r for r in _records("v3.8/main.yaml") if isinstance(r, Advisory)}
    assert by[("CVE-2018-16859", "ansible")].fixed_versions == ("2.7.3-r0",)  # "CVE 2018-16859" in the file
    assert {"CVE-2018-3639", "XSA-263"} <= {i for i, p in by if p == "xen"}
    assert by[("CVE-2016-0682", "db")].status is Status.NOT_AFFECTED


def test_full_real_yaml_secdb_loads(shared_data, tmp_path) -> None:
    feed = AlpineSecdbFeed(AlpineConfig(base_url=str(shared_data / "alpine-secdb")))
    records = run_feed(feed, tmp_path / "ws")
    namespaces = {r.namespace for r in records if isinstance(r, Advisory)}
    assert {"alpine:3.3", "alpine:3.11"} <= namespaces
    assert sum(isinstance(r, Skipped) for r in records) < 10

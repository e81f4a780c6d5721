"""OSV records: ecosystems and distributions, every range type and event, and what is skipped with a reason."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from seawall.feeds.http import Http
from seawall.feeds.interface import Workspace
from seawall.feeds.osv import OsvConfig, OsvFeed
from seawall.feeds.osv_record import namespace_of, normalise_name
from seawall.match.ranges import evaluate
from seawall.model.vuln import Advisory, Flagged, Severity, Skipped, Status, VulnerabilityMeta
from seawall.versions import scheme_for
from tests.feed_helpers import ASSETS, FeedServer, records_json, run_feed
from tests.snapshot import assert_snapshot

RECORDS = ASSETS / "osv" / "records"


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list:
    feed = OsvFeed(OsvConfig().with_source(None, str(RECORDS)))
    return run_feed(feed, tmp_path_factory.mktemp("osv"))


def test_snapshot(records: list) -> None:
    assert_snapshot("feeds/osv.json", records_json(records))


@pytest.mark.parametrize(("ecosystem", "namespace"), [
    ("PyPI", "pypi"), ("npm", "npm"), ("Go", "go"), ("Maven", "maven"), ("crates.io", "crates.io"),
    ("RubyGems", "rubygems"), ("Packagist", "packagist"), ("NuGet", "nuget"), ("Debian:12", "debian:12"),
    ("Ubuntu:22.04:LTS", "ubuntu:22.04"), ("Alpine:v3.19", "alpine:3.19"), ("Rocky Linux:9", "rocky:9"),
    ("AlmaLinux:9", "almalinux:9"), ("Red Hat:enterprise_linux:9::appstream", "rhel:9"),
    ("Ubuntu:Pro:16.04:LTS", None), ("Hex", None),
])
def test_ecosystem_namespaces(ecosystem: str, namespace: str | None) -> None:
    assert namespace_of(ecosystem) == namespace


def test_pypi_names_are_pep503_normalised() -> None:
    assert normalise_name("pypi", "Some_Package.Name") == "some-package-name"
    assert normalise_name("nuget", "Newtonsoft.Json") == "newtonsoft.json"


def _adv(records: list, vuln: str, namespace: str) -> list[Advisory]:
    return [r for r in records if isinstance(r, Advisory) and r.id == vuln and r.namespace == namespace]


def test_ranges_events_and_severity(records: list) -> None:
    semver = _adv(records, "GHSA-c2qf-rxjj-qqgw", "npm")
    assert len(semver) == 3 and {a.fixed_versions for a in semver} == {("7.5.2",), ("6.3.1",), ("5.7.2",)}
    assert semver[0].severity is Severity.MEDIUM and semver[0].severity_source == "ghsa"
    (stdlib,) = [a for a in _adv(records, "GO-2023-2102", "go") if a.package == "stdlib"]
    assert stdlib.ranges[0].type == "SEMVER" and stdlib.fixed_versions == ("1.20.10", "1.21.3")
    (log4j,) = _adv(records, "GHSA-jfh8-c2jp-5v3q", "maven")
    assert [e.kind for r in log4j.ranges for e in r.events] == ["introduced", "fixed", "introduced", "last_affected"]
    (nuget,) = _adv(records, "GHSA-jfh8-c2jp-5v3q", "nuget")
    assert nuget.package == "log4net.shim.example" and nuget.status is Status.AFFECTED
    (debian,) = _adv(records, "DEBIAN-CVE-2023-4911", "debian:13")
    assert (debian.severity, debian.severity_source) == (Severity.HIGH, "debian")
    (ubuntu,) = _adv(records, "UBUNTU-CVE-2024-2511", "ubuntu:22.04")
    assert (ubuntu.severity, ubuntu.versions) == (Severity.LOW, ("3.0.2-0ubuntu1", "3.0.2-0ubuntu1.14"))
    assert _adv(records, "ALPINE-CVE-2023-5678", "alpine:3.19")[0].fixed_versions == ("3.1.4-r1",)


def test_metadata_aliases_and_cvss_scores(records: list) -> None:
    meta = {r.id: r for r in records if isinstance(r, VulnerabilityMeta)}
    log4j = meta["GHSA-jfh8-c2jp-5v3q"]
    assert log4j.aliases == ("CVE-2021-44228",)
    assert {(c.version, c.score) for c in log4j.cvss} == {("3.1", 10.0), ("4.0", 10.0)}
    assert meta["DEBIAN-CVE-2023-4911"].aliases == ("CVE-2023-4911",)  # `upstream` counts as an alias
    assert meta["PYSEC-2014-88"].published == "2014-02-08T00:55:00Z"  # a YAML timestamp, normalised
    assert meta["GO-2023-2102"].published == "2023-10-11T22:14:54Z"


def test_bad_records_are_skipped_with_reasons(records: list) -> None:
    reasons = {r.reason for r in records if isinstance(r, Skipped) and r.whole}
    assert reasons == {"withdrawn", "unreadable record (JSONDecodeError)"}
    parts = {r.reason for r in records if isinstance(r, Skipped) and not r.whole}
    assert {"ecosystem Hex not supported", "ecosystem Ubuntu not supported", "GIT range ignored"} <= parts


def _zip(records: list[Path], dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as zf:
        for path in records:
            zf.writestr(path.name, path.read_text())


def test_bucket_download_then_incremental_update_via_modified_id_csv(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    _zip([RECORDS / "GHSA-c2qf-rxjj-qqgw.json"], bucket / "npm" / "all.zip")
    with FeedServer(bucket) as server:
        feed = OsvFeed(OsvConfig(base_url=server.url, ecosystems=("npm",)))
        ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0, retries=0))
        ws.dir.mkdir()
        assert feed.fetch(ws).changed
        cursor = ws.new_state["npm"]
        assert cursor and server.statuses("/npm/all.zip") == [200]

        changed = json.loads((RECORDS / "GHSA-c2qf-rxjj-qqgw.json").read_text())
        changed["affected"] = changed["affected"][:1]
        (bucket / "npm" / "GHSA-c2qf-rxjj-qqgw.json").write_text(json.dumps(changed))
        (bucket / "npm" / "modified_id.csv").write_text(
            "2099-01-01T00:00:00Z,GHSA-c2qf-rxjj-qqgw\n2000-01-01T00:00:00Z,GHSA-old\n")
        again = Workspace(dir=ws.dir, http=ws.http, validators=ws.new_validators, state=ws.new_state)
        assert feed.fetch(again).changed
        assert server.statuses("/npm/all.zip") == [200]  # not downloaded again
        assert again.new_state["npm"] == "2099-01-01T00:00:00Z"
        advisories = [r for r in feed.parse(again) if isinstance(r, Advisory)]
        assert len(advisories) == 1  # the changed record replaced the zip's copy


def test_truncated_zip_fails_the_feed(tmp_path: Path) -> None:
    _zip(list(RECORDS.glob("*.json")), tmp_path / "all.zip")
    data = (tmp_path / "all.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    feed = OsvFeed(OsvConfig().with_source(None, str(tmp_path / "cut.zip")))
    with pytest.raises(Exception, match="not a readable zip"):
        run_feed(feed, tmp_path / "ws")


def test_full_pypa_advisory_db_loads(shared_data: Path, tmp_path: Path) -> None:
    feed = OsvFeed(OsvConfig().with_source(None, str(shared_data / "pypa-advisory-db" / "vulns")))
    records = run_feed(feed, tmp_path / "ws")
    advisories = [r for r in records if isinstance(r, Advisory)]
    assert len(advisories) > 2500 and {a.namespace for a in advisories} == {"pypi"}
    whole = [r for r in records if isinstance(r, Skipped) and r.whole]
    assert len(whole) < 50


def test_modified_id_csv_is_plain_csv() -> None:
    rows = list(csv.reader(io.StringIO("2024-10-10T17:22:00Z,PyPI/PYSEC-2024-1\n")))
    assert rows == [["2024-10-10T17:22:00Z", "PyPI/PYSEC-2024-1"]]
    assert shutil.which  # keeps shutil imported for the zip helpers above


def test_records_with_ranges_that_cannot_be_evaluated_are_kept_and_flagged(records: list) -> None:
    flagged = {(r.record, r.reason) for r in records if isinstance(r, Flagged)}
    assert flagged == {("PYSEC-0000-2", "pypi version that does not parse (fixed)"),
                       ("PYSEC-0000-1", "unknown range type 'SEMVER_NEW'")}
    kept = {a.id: a for a in records if isinstance(a, Advisory) and a.id in ("PYSEC-0000-1", "PYSEC-0000-2")}
    assert kept["PYSEC-0000-2"].ranges[0].events[-1] == ("fixed", "2019-09-12 nightly")
    assert kept["PYSEC-0000-1"].ranges[0].type == "SEMVER_NEW"
    for advisory in kept.values():
        verdict = evaluate(scheme_for("pypi"), "1.0", advisory.ranges, advisory.versions)
        assert verdict.affected and verdict.range_unparseable and not verdict.unknown

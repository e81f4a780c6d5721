"""Debian Security Tracker JSON: every verdict the tracker gives survives as its own state."""

from __future__ import annotations

import json

import pytest

from seawall.feeds.debian import DebianConfig, DebianTrackerFeed, parse_tracker
from seawall.model.vuln import Advisory, Severity, Skipped, Status, VulnerabilityMeta
from tests.feed_helpers import ASSETS, records_json, run_feed
from tests.snapshot import assert_snapshot

TRACKER = ASSETS / "debian" / "tracker.json"


@pytest.fixture(scope="module")
def records() -> list:
    return list(parse_tracker(json.loads(TRACKER.read_text())))


def _adv(records: list, vuln: str, namespace: str) -> Advisory:
    return next(r for r in records if isinstance(r, Advisory) and r.id == vuln and r.namespace == namespace)


def test_normalised_advisories_match_the_snapshot(records: list) -> None:
    assert_snapshot("feeds/debian.json", records_json(records))


@pytest.mark.parametrize(("vuln", "namespace", "status", "fixed"), [
    ("CVE-2023-4911", "debian:12", Status.FIXED, ("2.36-9+deb12u3",)),
    ("CVE-2023-4911", "debian:11", Status.NOT_AFFECTED, ()),
    ("CVE-2023-4911", "debian:unstable", Status.FIXED, ("2.37-12",)),
    ("CVE-2010-4756", "debian:12", Status.NEGLIGIBLE, ()),
    ("TEMP-0000000-3A2C4F", "debian:12", Status.UNDETERMINED, ()),
    ("CVE-2024-2511", "debian:12", Status.MINOR, ()),
    ("CVE-2024-2511", "debian:11", Status.FIX_DEFERRED, ()),
    ("CVE-2024-2511", "debian:10", Status.UNSUPPORTED, ()),
    ("CVE-2023-38546", "debian:12", Status.WILL_NOT_FIX, ()),
    ("CVE-2023-38546", "debian:11", Status.AFFECTED, ()),
])
def test_each_tracker_verdict_is_its_own_state(records: list, vuln: str, namespace: str, status: Status,
                                                fixed: tuple[str, ...]) -> None:
    adv = _adv(records, vuln, namespace)
    assert adv.status is status
    assert adv.fixed_versions == fixed
    if fixed:
        assert adv.ranges[0].type == "dpkg" and adv.ranges[0].fixed == fixed


def test_urgency_with_a_star_is_kept_as_provisional(records: list) -> None:
    deferred = _adv(records, "CVE-2024-2511", "debian:11")
    assert (deferred.severity, deferred.severity_provisional) == (Severity.LOW, True)
    ignored = _adv(records, "CVE-2023-38546", "debian:12")
    assert (ignored.severity, ignored.severity_provisional) == (Severity.MEDIUM, True)
    assert ignored.severity_source == "debian"
    assert _adv(records, "CVE-2010-4756", "debian:12").severity is Severity.NEGLIGIBLE
    assert _adv(records, "CVE-2023-4911", "debian:12").severity is None  # "not yet assigned"


def test_scope_bug_and_repositories_are_kept(records: list) -> None:
    adv = _adv(records, "CVE-2023-4911", "debian:12")
    assert adv.vendor("scope") == "local" and adv.vendor("debianbug") == "1053316"
    assert dict(adv.repositories) == {"bookworm": "2.36-9+deb12u10", "bookworm-security": "2.36-9+deb12u4"}
    assert _adv(records, "CVE-2023-38546", "debian:12").vendor("nodsa_reason") == "ignored"


def test_unknown_release_and_status_are_skipped_and_counted(records: list) -> None:
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert sorted(s.reason for s in skipped) == ["unknown Debian release 'woody2'", "unknown tracker status 'weird'"]


def test_descriptions_become_metadata_once_per_id(records: list) -> None:
    metas = [r for r in records if isinstance(r, VulnerabilityMeta)]
    assert len({m.id for m in metas}) == len(metas) == 5


def test_feed_reads_a_local_file_and_refuses_html(tmp_path) -> None:
    feed = DebianTrackerFeed(DebianConfig(url=str(TRACKER)))
    assert sum(isinstance(r, Advisory) for r in run_feed(feed, tmp_path / "ws")) == 14
    page = tmp_path / "error.json"
    page.write_text("<html>503</html>")
    with pytest.raises(Exception, match="not json"):
        run_feed(DebianTrackerFeed(DebianConfig(url=page.as_uri())), tmp_path / "ws2")

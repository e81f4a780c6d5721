"""DSA/DLA list files → advisories per release, with their CVEs as aliases."""

from __future__ import annotations

import pytest

from seawall.feeds.debian_lists import DebianListsConfig, DebianListsFeed, parse_list
from seawall.model.vuln import Advisory, Severity, Skipped, Status, VulnerabilityMeta
from tests.feed_helpers import ASSETS, records_json, run_feed
from tests.snapshot import assert_snapshot

DSA = ASSETS / "debian-advisories" / "DSA.list"


@pytest.fixture(scope="module")
def records() -> list:
    return list(parse_list(DSA.read_text()))


def test_snapshot(records: list) -> None:
    assert_snapshot("feeds/debian-advisories.json", records_json(records))


def test_advisory_lists_its_cves_and_fixed_version(records: list) -> None:
    meta = next(r for r in records if isinstance(r, VulnerabilityMeta) and r.id == "DSA-5380-1")
    assert meta.aliases == ("CVE-2023-1393",) and meta.published == "2023-03-29"
    adv = next(r for r in records if isinstance(r, Advisory) and r.id == "DSA-5380-1")
    assert (adv.namespace, adv.package, adv.status, adv.fixed_versions) == (
        "debian:11", "xorg-server", Status.FIXED, ("2:1.20.11-1+deb11u6",))


def test_release_states_and_urgency(records: list) -> None:
    by = {(r.id, r.namespace): r for r in records if isinstance(r, Advisory)}
    assert by[("DSA-854-1", "debian:3.0")].status is Status.NOT_AFFECTED
    assert by[("DSA-3699-1", "debian:8")].status is Status.UNSUPPORTED
    assert by[("DSA-827-1", "debian:3.1")].severity is Severity.MEDIUM
    assert by[("DSA-2798-1", "debian:7")].fixed_versions == ("7.26.0-1+wheezy5",)  # two spaces in the real file


def test_nothing_skipped_in_a_clean_excerpt(records: list) -> None:
    assert not [r for r in records if isinstance(r, Skipped)]


def test_full_real_lists_load(shared_data, tmp_path) -> None:
    feed = DebianListsFeed(DebianListsConfig().with_source(None, str(shared_data / "debian-security-tracker/data")))
    records = run_feed(feed, tmp_path / "ws")
    advisories = [r for r in records if isinstance(r, Advisory)]
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert len(advisories) > 10_000 and not skipped
    assert any(a.id.startswith("DLA-") and a.namespace == "debian:10" for a in advisories)

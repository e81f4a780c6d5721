"""Air-gapped machines load feeds from local copies: every feed accepts a path where it takes a URL."""

from __future__ import annotations

from pathlib import Path

from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds

FEEDS = Path(__file__).parent / "assets" / "feeds"


def test_nvd_from_a_local_api_dump(tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    report = update_db(db, select_feeds(["nvd"], [f"nvd={FEEDS / 'nvd' / 'cves-page.json'}"]))
    assert report.installed and not report.failed
    with VulnStore.open(db) as store:
        (feed,) = store.feeds()
        assert feed.name == "nvd" and feed.records > 0


def test_missing_local_copy_fails_that_feed_only(tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    report = update_db(db, select_feeds(["nvd", "kev"], [
        f"nvd={tmp_path / 'absent.json'}",
        f"kev={FEEDS / 'kev' / 'known_exploited_vulnerabilities.json'}",
    ]))
    assert [o.name for o in report.failed] == ["nvd"]
    assert "absent.json" in (report.failed[0].error or "")
    with VulnStore.open(db) as store:
        assert {f.name for f in store.feeds() if f.records} == {"kev"}


def test_a_folder_where_a_feed_reads_one_file_is_named_as_such(tmp_path: Path) -> None:
    from seawall.db.build import update_db
    from seawall.feeds import select_feeds

    report = update_db(tmp_path / "x.db", select_feeds(["debian"], [f"debian={tmp_path}"]))
    (failed,) = report.failed
    assert failed.error is not None and failed.error.startswith(
        f"--source debian={tmp_path} is a folder, but the debian feed reads one JSON file there")
    assert "x.feeds" not in failed.error  # nothing about the workspace's own paths

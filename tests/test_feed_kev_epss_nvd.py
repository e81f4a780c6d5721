"""CISA KEV, FIRST EPSS and the NVD CVE API 2.0 (paging, API key, rate limit, incremental window) on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from seawall.feeds.epss import EpssConfig, EpssFeed
from seawall.feeds.http import Http
from seawall.feeds.interface import Workspace
from seawall.feeds.kev import KevConfig, KevFeed
from seawall.feeds.nvd import NvdConfig, NvdFeed, RateLimiter
from seawall.model.vuln import Skipped, VulnerabilityMeta
from tests.feed_helpers import ASSETS, FeedServer, records_json, run_feed
from tests.snapshot import assert_snapshot


def test_kev_catalogue(tmp_path: Path) -> None:
    records = run_feed(KevFeed(KevConfig(url=str(ASSETS / "kev" / "known_exploited_vulnerabilities.json"))), tmp_path)
    assert_snapshot("feeds/kev.json", records_json(records))
    log4j = next(r for r in records if isinstance(r, VulnerabilityMeta) and r.id == "CVE-2021-44228")
    assert log4j.kev and log4j.kev.known_ransomware and log4j.kev.date_added == "2021-12-10"
    assert [r.reason for r in records if isinstance(r, Skipped)] == ["entry without cveID or dateAdded"]


def test_epss_scores_with_their_date(tmp_path: Path) -> None:
    records = run_feed(EpssFeed(EpssConfig(url=str(ASSETS / "epss" / "epss_scores-2024-10-10.csv.gz"))), tmp_path)
    assert_snapshot("feeds/epss.json", records_json(records))
    scores = {r.id: r.epss for r in records if isinstance(r, VulnerabilityMeta)}
    assert scores["CVE-2021-44228"].score == 0.9756 and scores["CVE-2021-44228"].percentile == 0.99995
    assert scores["CVE-2021-44228"].date == "2024-10-10"
    assert [r.reason for r in records if isinstance(r, Skipped)] == ["malformed EPSS row"]


def test_rate_limiter_waits_for_the_window() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5, 30, sleep=sleep, clock=lambda: now[0])
    for _ in range(6):
        limiter.wait()
    assert slept == [30.0]


def _nvd_pages(root: Path) -> None:
    """The fixture split into one-CVE pages, as the API pages with resultsPerPage=1."""
    page = json.loads((ASSETS / "nvd" / "cves-page.json").read_text())
    root.mkdir(parents=True, exist_ok=True)
    for i, vuln in enumerate(page["vulnerabilities"]):
        (root / f"page{i}.json").write_text(json.dumps({**page, "resultsPerPage": 1, "startIndex": i,
                                                       "vulnerabilities": [vuln]}))


class _NvdServer(FeedServer):
    """Answers /rest/json/cves/2.0?startIndex=N with page N."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        handler = self.httpd.RequestHandlerClass
        original = handler.do_GET

        def do_get(h):
            query = parse_qs(urlparse(h.path).query)
            h.path = f"/page{query.get('startIndex', ['0'])[0]}.json"
            self.queries.append(query)
            original(h)

        self.queries: list[dict[str, list[str]]] = []
        handler.do_GET = do_get


def test_nvd_pages_scores_and_incremental_window(tmp_path: Path) -> None:
    _nvd_pages(tmp_path / "api")
    calls: list[float] = []
    limiter = RateLimiter(1000, 30, sleep=calls.append)
    with _NvdServer(tmp_path / "api") as server:
        feed = NvdFeed(NvdConfig(url=f"{server.url}/rest/json/cves/2.0", api_key="k-123", results_per_page=1,
                                 limiter=limiter))
        ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0, retries=0))
        ws.dir.mkdir()
        feed.fetch(ws)
        records = list(feed.parse(ws))
        assert len(server.queries) == 3 and [q["startIndex"] for q in server.queries] == [["0"], ["1"], ["2"]]
        assert all(h.get("apiKey") == "k-123" for h in server.request_headers)
        assert_snapshot("feeds/nvd.json", records_json(records))
        log4j = next(r for r in records if isinstance(r, VulnerabilityMeta) and r.id == "CVE-2021-44228")
        assert [(c.version, c.score, c.primary) for c in log4j.cvss] == [("3.1", 10.0, True), ("2.0", 9.3, True)]
        assert [r.reason for r in records if isinstance(r, Skipped)] == ["rejected"]

        server.queries.clear()
        again = Workspace(dir=ws.dir, http=ws.http, validators={}, state=ws.new_state)
        feed.fetch(again)
        assert "lastModStartDate" in server.queries[0] and "lastModEndDate" in server.queries[0]
        assert again.new_state["folders"][-1] == "full"
        # a CVE in both the delta and the full download appears once
        ids = [r.id for r in feed.parse(again) if isinstance(r, VulnerabilityMeta)]
        assert sorted(ids) == ["CVE-2021-44228", "CVE-2024-2511"]
    shutil.rmtree(tmp_path / "api")

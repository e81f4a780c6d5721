"""The NVD feed against a CVE API 2.0 server on 127.0.0.1: a first sync paged through every CVE, then increments
in lastMod windows of at most 120 days, NVD_API_KEY, pacing, 403/503 answers, and resuming after an interruption.

The server answers the way services.nvd.nist.gov does (the same envelope, `vulnerabilities[].cve` as the real
records in tests/assets/feeds/nvd/records, copied from NVD's public data), filtering by `lastModified`.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.errors import NetworkError
from seawall.feeds.http import Http
from seawall.feeds.interface import FeedError, Workspace
from seawall.feeds.nvd import MAX_WINDOW, NvdConfig, NvdFeed, RateLimiter
from seawall.model.vuln import Skipped, VulnerabilityMeta
from tests.feed_helpers import ASSETS

RECORDS = ASSETS / "nvd" / "records"
ALL = sorted(p.stem for p in RECORDS.glob("CVE-*.json"))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")[:19]).replace(tzinfo=UTC)


class NvdApi:
    """/rest/json/cves/2.0 over the records; `script` answers the next requests with these statuses first."""

    def __init__(self, records: Path) -> None:
        self.cves = sorted((json.loads(p.read_text()) for p in records.glob("CVE-*.json")),
                           key=lambda c: (c["lastModified"], c["id"]))
        self.requests: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.script: list[int] = []
        self.fail_at: tuple[str | None, int] | None = None  # (lastModStartDate, startIndex): answer 404 there
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                api.requests.append(query)
                api.headers.append({k.lower(): v for k, v in self.headers.items()})
                status = api.script.pop(0) if api.script else 200
                if api.fail_at == (query.get("lastModStartDate"), int(query.get("startIndex", 0))):
                    status = 404
                if status != 200:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(api.page(query)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rest/json/cves/2.0"

    def page(self, query: dict[str, str]) -> dict[str, Any]:
        chosen = self.cves
        if "lastModStartDate" in query:
            start, end = _when(query["lastModStartDate"]), _when(query["lastModEndDate"])
            assert end - start <= MAX_WINDOW, "the API refuses windows over 120 days"
            chosen = [c for c in chosen if start <= _when(c["lastModified"]) <= end]
        first, size = int(query.get("startIndex", 0)), int(query.get("resultsPerPage", 2000))
        return {"resultsPerPage": len(chosen[first:first + size]), "startIndex": first, "totalResults": len(chosen),
                "format": "NVD_CVE", "version": "2.0", "timestamp": "2024-07-01T00:00:00.000",
                "vulnerabilities": [{"cve": c} for c in chosen[first:first + size]]}

    def __enter__(self) -> NvdApi:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def api() -> Iterator[NvdApi]:
    with NvdApi(RECORDS) as server:
        yield server


class Clock:
    """Fake time for the limiter and the retries: the test sees every wait without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _feed(api: NvdApi, clock: Clock, now: datetime, *, per_page: int, key: str | None = None) -> NvdFeed:
    limiter = RateLimiter(50 if key else 5, 30, sleep=clock.sleep, clock=lambda: clock.now)
    return NvdFeed(NvdConfig(url=api.url, api_key=key, results_per_page=per_page, limiter=limiter, now=lambda: now))


def _ids(feed: NvdFeed, ws: Workspace) -> list[str]:
    return sorted(r.id for r in feed.parse(ws) if isinstance(r, VulnerabilityMeta))


def test_first_sync_pages_paces_and_retries(api: NvdApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setenv("NVD_API_KEY", "k-from-env")
    assert NvdConfig().api_key == "k-from-env"
    monkeypatch.delenv("NVD_API_KEY")
    assert NvdConfig().api_key is None
    feed = _feed(api, clock, datetime(2024, 7, 1, tzinfo=UTC), per_page=1)
    api.script = [503, 403]  # a server hiccup, then NVD's rate-limit answer
    ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0.5, retries=3, sleep=clock.sleep))
    ws.dir.mkdir()
    seen: list[str] = []
    ws.progress = seen.append
    assert feed.fetch(ws).changed
    pages = [r for r in api.requests if "startIndex" in r]
    assert [int(r["startIndex"]) for r in pages] == [0, 0, 0, *range(1, len(ALL))]  # page 0 twice retried
    assert all("lastModStartDate" not in r for r in pages) and all("apikey" not in h for h in api.headers)
    assert 30.0 in clock.slept  # after the 403: the rate window, not the short 5xx backoff
    assert sum(1 for s in clock.slept if s > 20) >= 2  # 5 requests per 30 s without a key
    assert seen[-1] == f"{len(ALL)}/{len(ALL)} CVEs"
    assert _ids(feed, ws) == ALL
    assert ws.new_state["last_modified"] == "2024-07-01T00:00:00.000Z" and ws.new_state["folders"] == ["full"]


def test_increments_ask_in_windows_of_at_most_120_days(api: NvdApi, tmp_path: Path) -> None:
    clock = Clock()
    ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0, retries=1, sleep=clock.sleep))
    ws.dir.mkdir()
    _feed(api, clock, datetime(2024, 1, 1, tzinfo=UTC), per_page=50, key="k-1").fetch(ws)
    api.requests.clear()
    later = datetime(2024, 7, 10, tzinfo=UTC)
    feed = _feed(api, clock, later, per_page=1, key="k-1")
    again = Workspace(dir=ws.dir, http=ws.http, state=ws.new_state)
    feed.fetch(again)
    spans = [(r["lastModStartDate"], r["lastModEndDate"]) for r in api.requests]
    windows = list(dict.fromkeys(spans))
    assert windows == [("2024-01-01T00:00:00.000Z", "2024-04-30T00:00:00.000Z"),
                       ("2024-04-30T00:00:00.000Z", "2024-07-10T00:00:00.000Z")]
    # window 1 holds one change, window 2 two: one request, then two pages of one
    assert [(r["lastModStartDate"][:10], r["startIndex"]) for r in api.requests] == [
        ("2024-01-01", "0"), ("2024-04-30", "0"), ("2024-04-30", "1")]
    assert all(h.get("apikey") == "k-1" for h in api.headers)
    assert again.new_state["folders"][0].startswith("delta-") and again.new_state["folders"][-1] == "full"
    assert again.new_state["last_modified"] == "2024-07-10T00:00:00.000Z"
    assert _ids(feed, again) == ALL  # a CVE in both the delta and the full download appears once


def test_an_interrupted_increment_resumes_where_it_stopped(api: NvdApi, tmp_path: Path) -> None:
    clock = Clock()
    ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0, retries=0, sleep=clock.sleep))
    ws.dir.mkdir()
    _feed(api, clock, datetime(2023, 1, 1, tzinfo=UTC), per_page=50).fetch(ws)
    state = ws.new_state
    feed = _feed(api, clock, datetime(2024, 7, 15, tzinfo=UTC), per_page=1)
    api.fail_at = ("2024-04-25T00:00:00.000Z", 1)  # the fifth window's second page
    api.requests.clear()
    with pytest.raises(NetworkError):
        feed.fetch(Workspace(dir=ws.dir, http=ws.http, state=state))
    asked_before = len(api.requests)
    assert not list(ws.dir.glob("delta-*[0-9]"))  # nothing unfinished is ever parsed
    api.fail_at, api.requests = None, []
    # the next update, minutes later, carries on with the sync it interrupted
    resumed = Workspace(dir=ws.dir, http=ws.http, state=state)
    _feed(api, clock, datetime(2024, 7, 15, 0, 5, tzinfo=UTC), per_page=1).fetch(resumed)
    assert [(r["lastModStartDate"][:10], r["startIndex"]) for r in api.requests] == [("2024-04-25", "1")]
    assert asked_before >= 5
    assert resumed.new_state["last_modified"] == "2024-07-15T00:00:00.000Z"
    assert _ids(feed, resumed) == ALL


def test_local_per_cve_folders_flat_and_mirrored(tmp_path: Path) -> None:
    mirror = tmp_path / "nvd-json-data-feeds"
    for path in RECORDS.glob("CVE-*.json"):
        year, number = path.stem.split("-")[1:]
        folder = mirror / f"CVE-{year}" / f"CVE-{year}-{number[:-2]}xx"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    (mirror / "CVE-2024" / "CVE-2024-99999.json").write_text("{not json")
    for source in (RECORDS, mirror):
        db = tmp_path / f"{source.name}.db"
        report = update_db(db, [NvdFeed(NvdConfig(url=str(source)))])
        assert report.installed and not report.failed
        with VulnStore.open(db) as store:
            secondary = store.vulnerability("CVE-2024-3651")
            assert secondary is not None and [(c.version, c.primary) for c in secondary.cvss] == [("3.0", False)]
            assert store.vulnerability("CVE-2018-25091") is not None  # no metrics yet: known, unrated
            both = store.vulnerability("CVE-2019-1010083")
            assert both is not None and {c.version for c in both.cvss} == {"2.0", "3.0"}
    skipped = [r for r in NvdFeed(NvdConfig(url=str(mirror))).parse(_manifest(mirror, tmp_path))
               if isinstance(r, Skipped)]
    assert [(s.reason, s.record) for s in skipped] == [("unreadable JSON", "CVE-2024-99999.json")]


def _manifest(source: Path, tmp_path: Path) -> Workspace:
    ws = Workspace(dir=tmp_path / "manifest-ws", http=Http())
    ws.dir.mkdir()
    NvdFeed(NvdConfig(url=str(source))).fetch(ws)
    return ws


def test_windows_cover_the_whole_span() -> None:
    from seawall.feeds.nvd import windows

    since = datetime(2020, 1, 1, tzinfo=UTC)
    until = since + timedelta(days=1000)
    spans = windows(since, until)
    assert spans[0][0] == "2020-01-01T00:00:00.000Z" and spans[-1][1] == "2022-09-27T00:00:00.000Z"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert len(spans) == 9


def test_an_answer_claiming_absurd_totals_is_refused(api: NvdApi, tmp_path: Path) -> None:
    original = api.page
    api.page = lambda query: {**original(query), "totalResults": 10**12}  # type: ignore[method-assign]
    ws = Workspace(dir=tmp_path / "ws", http=Http(backoff=0, retries=0))
    ws.dir.mkdir()
    with pytest.raises(FeedError, match="totalResults 1000000000000"):
        _feed(api, Clock(), datetime(2024, 7, 1, tzinfo=UTC), per_page=2).fetch(ws)

"""Incremental updates against a local mirror of realistic size: the default feeds (bench/feed_mirror.py: Debian's
tracker JSON, Alpine's secdb, OSV's all.zip per ecosystem with modified_id.csv and per-id records, KEV, EPSS) plus
the NVD CVE API over synthetic CVEs, all on 127.0.0.1 with conditional GET (If-Modified-Since → 304).

Timed through `update_db`, as `seawall db update` and every `seawall watch` tick run it: the full build, the first
check after it (reads each OSV id index once), a check where nothing changed, and a check where 1% of the OSV
records and 1% of the CVEs changed. Run by `db_ingest.py --updates`.
"""

from __future__ import annotations

import copy
import functools
import http.server
import json
import random
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from seawall.feeds.nvd import NvdConfig, NvdFeed, RateLimiter, iso
from seawall.feeds.osv import DEFAULT_ECOSYSTEMS, OsvConfig, OsvFeed

NVD_TEMPLATES = Path(__file__).resolve().parent.parent / "tests" / "assets" / "feeds" / "nvd" / "records"
T0 = datetime(2026, 12, 1, tzinfo=UTC)


class _Counting(http.server.SimpleHTTPRequestHandler):
    requests = 0
    lock = threading.Lock()

    def send_response(self, code: int, message: str | None = None) -> None:
        with _Counting.lock:
            _Counting.requests += 1
        super().send_response(code, message)

    def log_message(self, *args: object) -> None:
        pass


class NvdApi:
    """The CVE API 2.0 over `cves` (dicts as NVD serves them), filtering by lastModified like the real one."""

    def __init__(self, cves: list[dict[str, Any]]) -> None:
        self.cves = cves
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with _Counting.lock:
                    _Counting.requests += 1
                from urllib.parse import parse_qs, urlparse

                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                chosen = api.cves
                if "lastModStartDate" in query:
                    start, end = query["lastModStartDate"][:19], query["lastModEndDate"][:19]
                    chosen = [c for c in chosen if start <= c["lastModified"][:19] <= end]
                first, size = int(query.get("startIndex", 0)), int(query.get("resultsPerPage", 2000))
                body = json.dumps({"resultsPerPage": len(chosen[first:first + size]), "startIndex": first,
                                   "totalResults": len(chosen), "format": "NVD_CVE", "version": "2.0",
                                   "vulnerabilities": [{"cve": c} for c in chosen[first:first + size]]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rest/json/cves/2.0"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def synthetic_cves(count: int, rnd: random.Random) -> list[dict[str, Any]]:
    templates = [json.loads(p.read_text()) for p in sorted(NVD_TEMPLATES.glob("CVE-*.json"))]
    out = []
    for n in range(count):
        cve = copy.deepcopy(rnd.choice(templates))
        cve["id"] = f"CVE-{2000 + n % 27}-{100000 + n}"
        cve["lastModified"] = (T0 - timedelta(days=rnd.randint(1, 900))).strftime("%Y-%m-%dT%H:%M:%S.000")
        out.append(cve)
    return out


def _osv_index(mirror: Path) -> dict[str, list[str]]:
    """Write each ecosystem's modified_id.csv (every record older than T0); their ids per ecosystem."""
    ids: dict[str, list[str]] = {}
    for zpath in sorted((mirror / "osv").glob("*/all.zip")):
        if zpath.parent.name not in DEFAULT_ECOSYSTEMS:
            continue  # Debian and Alpine come from their own feeds
        with zipfile.ZipFile(zpath) as zf:
            names = [n.removesuffix(".json") for n in zf.namelist()]
        ids[zpath.parent.name] = names
        (zpath.parent / "modified_id.csv").write_text(
            "".join(f"2026-06-01T00:00:00Z,{name}\n" for name in names))
    return ids


def _change_osv(mirror: Path, ids: dict[str, list[str]], share: float, rnd: random.Random, at: str) -> int:
    changed = 0
    for eco, names in ids.items():
        chosen = rnd.sample(names, max(1, int(len(names) * share)))
        with zipfile.ZipFile(mirror / "osv" / eco / "all.zip") as zf:
            for name in chosen:
                record = json.loads(zf.read(f"{name}.json"))
                record["modified"] = at
                record["details"] = f"{record.get('details', '')} (reassessed)"
                (mirror / "osv" / eco / f"{name}.json").write_text(json.dumps(record))
        index = mirror / "osv" / eco / "modified_id.csv"
        index.write_text("".join(f"{at},{name}\n" for name in chosen) + index.read_text())
        changed += len(chosen)
    return changed


def _feeds(url: str, api: NvdApi, at: datetime) -> list[Any]:
    from bench.feed_mirror import MIRRORED_FEEDS

    feeds = select_feeds([], [f"debian={url}/debian/tracker.json", f"alpine={url}/alpine",
                              f"kev={url}/kev/kev.json", f"epss={url}/epss/epss.csv.gz"])
    feeds = [OsvFeed(OsvConfig(base_url=f"{url}/osv", ecosystems=DEFAULT_ECOSYSTEMS)) if f.name == "osv" else f
             for f in feeds if f.name in MIRRORED_FEEDS]
    # The local API is not NVD: no pacing, so the numbers are seawall's own cost (bench/nvd_sync.py times pacing).
    return [*feeds, NvdFeed(NvdConfig(url=api.url, limiter=RateLimiter(100_000, 1), now=lambda: at))]


def run_updates(work: Path, scale: float, nvd_cves: int) -> list[tuple[str, float, int, str]]:
    """(label, seconds, requests, what the outcomes say) per step."""
    from bench.feed_mirror import build_mirror

    rnd = random.Random(5)
    mirror = work / "mirror"
    if not (mirror / "osv").is_dir():
        t0 = time.perf_counter()
        sizes = build_mirror(mirror, scale)
        print(f"mirror built in {time.perf_counter() - t0:.0f} s: "
              + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sorted(sizes.items())))
    for stale in (mirror / "osv").glob("*/*-*.json"):
        stale.unlink()
    ids = _osv_index(mirror)
    api = NvdApi(sorted(synthetic_cves(nvd_cves, rnd), key=lambda c: (c["lastModified"], c["id"])))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Counting, directory=str(mirror)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    db = work / "updates.db"
    for old in work.glob("updates.*"):
        if old.is_dir():
            import shutil

            shutil.rmtree(old)
        else:
            old.unlink()
    rows = []

    def step(label: str, at: datetime) -> None:
        before = _Counting.requests
        started = time.perf_counter()
        report = update_db(db, _feeds(url, api, at), http=Http(backoff=0))
        seconds = time.perf_counter() - started
        assert not report.failed, report.failed
        states = ", ".join(f"{o.name} {o.state}" + (f" ({o.delta} records)" if o.delta is not None else "")
                           for o in report.outcomes if o.state != "unchanged") or "all unchanged"
        written = "DB rewritten" if report.installed else "DB file untouched"
        rows.append((label, seconds, _Counting.requests - before, f"{written}; {states}"))

    try:
        step("full build", T0)
        step("first check after the build", T0 + timedelta(minutes=5))
        step("no change", T0 + timedelta(minutes=10))
        at = T0 + timedelta(minutes=12)
        # OSV's cursor follows the real time of the zip download: its changes are stamped after it.
        stamp = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        osv_changed = _change_osv(mirror, ids, 0.01, rnd, stamp)
        nvd_changed = rnd.sample(api.cves, max(1, len(api.cves) // 100))
        for cve in nvd_changed:
            cve["lastModified"] = iso(at)[:-1]
            cve["descriptions"] = [{"lang": "en", "value": "Reassessed."}]
        api.cves.sort(key=lambda c: (c["lastModified"], c["id"]))
        step(f"1% changed ({osv_changed:,} OSV records, {len(nvd_changed):,} CVEs)", T0 + timedelta(minutes=15))
        step("no change again", T0 + timedelta(minutes=20))
        tracker = mirror / "debian" / "tracker.json"
        tracker.touch()  # a new tracker JSON: one file, so the Debian feed is reloaded whole
        step("Debian tracker changed (reloaded whole)", T0 + timedelta(minutes=25))
    finally:
        server.shutdown()
        api.httpd.shutdown()
    size = db.stat().st_size / 1e6
    print(f"{'update (DB ' + f'{size:.0f} MB)':<52} {'seconds':>8} {'requests':>9}  result")
    for label, seconds, requests, result in rows:
        print(f"{label:<52} {seconds:8.2f} {requests:>9,}  {result}")
    return rows

"""NVD sync: requests and time for the NVD excerpt served as the CVE API 2.0 on 127.0.0.1, with NVD's real pacing.

    python bench/nvd_sync.py [--records DIR] [--per-page N] [--api-key]

Runs a first sync, an increment a minute later, an increment after two years (several 120-day windows) and the
local per-CVE folder read, each through `update_db` as `seawall db update` runs it; prints a table and writes
bench/out/nvd_sync.json. Pacing is the real one (5 requests per 30 s without a key, 50 with `--api-key`), so the
two-year increment waits for the window like a real sync does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH
from seawall.db.build import update_db
from seawall.feeds.nvd import NvdConfig, NvdFeed

SHARED = Path(os.environ.get("SEAWALL_SHARED_DATA", BENCH.parent.parent / "shared" / "data"))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")[:19]).replace(tzinfo=UTC)


class Api:
    def __init__(self, records: Path) -> None:
        self.cves = sorted((json.loads(p.read_text()) for p in records.glob("CVE-*.json")),
                           key=lambda c: (c["lastModified"], c["id"]))
        self.requests = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api.requests += 1
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                chosen = api.cves
                if "lastModStartDate" in query:
                    start, end = _when(query["lastModStartDate"]), _when(query["lastModEndDate"])
                    chosen = [c for c in chosen if start <= _when(c["lastModified"]) <= end]
                first, size = int(query.get("startIndex", 0)), int(query.get("resultsPerPage", 2000))
                body = json.dumps({"resultsPerPage": len(chosen[first:first + size]), "startIndex": first,
                                   "totalResults": len(chosen), "format": "NVD_CVE", "version": "2.0",
                                   "vulnerabilities": [{"cve": c} for c in chosen[first:first + size]]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rest/json/cves/2.0"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def _run(db: Path, api: Api, feed: NvdFeed) -> dict[str, Any]:
    before, started = api.requests, time.perf_counter()
    report = update_db(db, [feed])
    outcome = report.outcomes[0]
    return {"requests": api.requests - before, "seconds": round(time.perf_counter() - started, 3),
            "state": outcome.state, "records": outcome.records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=SHARED / "nvd-excerpt" / "records")
    parser.add_argument("--per-page", type=int, default=2000)
    parser.add_argument("--api-key", action="store_true", help="pace as with an API key (50 per 30 s)")
    args = parser.parse_args()
    if not args.records.is_dir():
        sys.exit(f"no records at {args.records} (set SEAWALL_SHARED_DATA or --records)")
    api = Api(args.records)
    key = "bench-key" if args.api_key else None
    results: dict[str, Any] = {"records": len(api.cves), "per_page": args.per_page, "api_key": bool(key)}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "seawall.db"
        now = datetime.now(UTC)

        def feed(at: datetime) -> NvdFeed:
            return NvdFeed(NvdConfig(url=api.url, api_key=key, results_per_page=args.per_page, now=lambda: at))

        results["first sync"] = _run(db, api, feed(now))
        results["increment, 1 minute later"] = _run(db, api, feed(now + timedelta(minutes=1)))
        old = Path(tmp) / "old.db"
        _run(old, api, feed(now - timedelta(days=730)))
        results["increment, 2 years later (7 windows)"] = _run(old, api, feed(now))
        folder = Path(tmp) / "folder.db"
        started = time.perf_counter()
        report = update_db(folder, [NvdFeed(NvdConfig(url=str(args.records)))])
        results["local per-CVE folder"] = {"requests": 0, "seconds": round(time.perf_counter() - started, 3),
                                           "state": report.outcomes[0].state, "records": report.outcomes[0].records}
    print(f"{'run':40} {'requests':>8} {'seconds':>8} {'records':>8}")
    for name, row in results.items():
        if isinstance(row, dict):
            print(f"{name:40} {row['requests']:>8} {row['seconds']:>8} {row['records']:>8}")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "nvd_sync.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

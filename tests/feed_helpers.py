"""Shared plumbing for feed and DB tests: records as JSON for snapshots, a feed run in a workspace, and a static
HTTP server on 127.0.0.1 with ETag / Last-Modified support and switchable failures."""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from seawall.feeds.http import Http
from seawall.feeds.interface import Feed, Record, Workspace

ASSETS = Path(__file__).resolve().parent / "assets" / "feeds"


def records_json(records: Iterable[Record]) -> str:
    """Records as stable, readable JSON (the snapshot form)."""
    out = []
    for r in records:
        item: dict[str, Any] = {"type": type(r).__name__}
        item.update({k: v for k, v in dataclasses.asdict(r).items() if v not in (None, (), [], "", False)})
        out.append(item)
    return json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n"


def run_feed(feed: Feed, workdir: Path, http: Http | None = None) -> list[Record]:
    ws = Workspace(dir=workdir, http=http or Http(backoff=0, retries=0))
    workdir.mkdir(parents=True, exist_ok=True)
    feed.fetch(ws)
    return list(feed.parse(ws))


class FeedServer:
    """Serves `root` on 127.0.0.1. `failures[path] = 500 | "garbage" | "truncate" | "stall"` breaks single files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.failures: dict[str, int | str] = {}
        self.requests: list[tuple[str, int]] = []
        self.request_headers: list[dict[str, str]] = []
        self.paths: list[str] = []  # every GET, in order, before any answer
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)

            def log_message(self, *args: Any) -> None:
                pass

            def send_response(self, code: int, message: str | None = None) -> None:
                server.requests.append((self.path, code))
                super().send_response(code, message)

            def do_GET(self) -> None:
                server.request_headers.append(dict(self.headers))
                path = self.path.split("?")[0]
                server.paths.append(path)
                failure = server.failures.get(path)
                if isinstance(failure, int):
                    self.send_error(failure)
                    return
                if failure == "stall":  # hold the request long enough for a test to kill the client
                    time.sleep(20)
                    self.send_error(500)
                    return
                if failure == "garbage":
                    body = b"<html><body>upstream error</body></html>"
                    self._raw(body, "text/html")
                    return
                file = server.root / path.lstrip("/")
                if file.is_file():
                    st = file.stat()
                    etag = '"' + hashlib.sha256(f"{st.st_size}-{st.st_mtime_ns}".encode()).hexdigest()[:16] + '"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    data = file.read_bytes()
                    if failure == "truncate":
                        data = data[: len(data) // 2]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_error(404)

            def _raw(self, body: bytes, ctype: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def statuses(self, suffix: str) -> list[int]:
        return [code for path, code in self.requests if path.split("?")[0].endswith(suffix)]


def served(root: Path) -> Iterator[FeedServer]:
    with FeedServer(root) as server:
        yield server


def fixture_feeds() -> list[Feed]:
    """Every feed, reading the real-format excerpts under tests/assets/feeds."""
    from seawall.feeds import select_feeds

    return select_feeds(["debian", "debian-advisories", "alpine", "osv", "kev", "epss"], [
        f"debian={ASSETS / 'debian' / 'tracker.json'}",
        f"debian-advisories.dsa={ASSETS / 'debian-advisories' / 'DSA.list'}",
        f"debian-advisories.dla={ASSETS / 'debian-advisories' / 'DLA.list'}",
        f"alpine={ASSETS / 'alpine'}",
        f"osv={ASSETS / 'osv' / 'records'}",
        f"kev={ASSETS / 'kev' / 'known_exploited_vulnerabilities.json'}",
        f"epss={ASSETS / 'epss' / 'epss_scores-2024-10-10.csv.gz'}",
    ])

"""First use: seconds and bytes from nothing to a usable DB, building from the default feeds (served from a local
mirror of realistic size on 127.0.0.1) against pulling the published artifact from a local docker-registry.

    python bench/first_use.py [--scale 1.0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.feed_mirror import MIRRORED_FEEDS, SHARED, build_mirror
from tests.fixtures.registry import start_registry

from seawall.db import update_db
from seawall.db.oci import pull_db, push_db
from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from seawall.feeds.osv import DEFAULT_ECOSYSTEMS, OsvConfig, OsvFeed


class _Counting(http.server.SimpleHTTPRequestHandler):
    sent = 0
    lock = threading.Lock()

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        counted = _Tee(outputfile)
        super().copyfile(source, counted)
        with _Counting.lock:
            _Counting.sent += counted.n

    def log_message(self, *args: object) -> None:
        pass


class _Tee:
    def __init__(self, out) -> None:  # type: ignore[no-untyped-def]
        self.out, self.n = out, 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return self.out.write(data)


def _serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Counting, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _build(db: Path, url: str, *, duplicated: bool) -> tuple[float, int]:
    feeds = select_feeds([], [f"debian={url}/debian/tracker.json", f"alpine={url}/alpine",
                              f"kev={url}/kev/kev.json", f"epss={url}/epss/epss.csv.gz"])
    ecosystems = DEFAULT_ECOSYSTEMS + (("Debian", "Alpine") if duplicated else ())
    feeds = [OsvFeed(OsvConfig(base_url=f"{url}/osv", ecosystems=ecosystems)) if f.name == "osv" else f
             for f in feeds if f.name in MIRRORED_FEEDS]
    if duplicated and (SHARED / "debian-security-tracker" / "data").is_dir():
        feeds += select_feeds(["debian-advisories"], [f"debian-advisories={url}/lists"])
    _Counting.sent = 0
    started = time.perf_counter()
    report = update_db(db, feeds, http=Http(backoff=0))
    assert report.installed and not report.failed, report.failed
    return time.perf_counter() - started, _Counting.sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="record counts relative to the real feeds")
    parser.add_argument("--keep", type=Path, help="keep the mirror and the DBs here (a kept mirror is re-used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seawall-first-use-") as tmp:
        work = args.keep or Path(tmp)
        mirror = work / "mirror"
        if not mirror.is_dir():
            t0 = time.perf_counter()
            sizes = build_mirror(mirror, args.scale)
            lists = SHARED / "debian-security-tracker" / "data"
            if lists.is_dir():
                shutil.copytree(lists, mirror / "lists")
            print(f"mirror built in {time.perf_counter() - t0:.0f} s: " +
                  ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sorted(sizes.items())))
        server, url = _serve(mirror)
        registry = start_registry(work / "registry")
        try:
            rows = []
            for label, duplicated in (("feeds, each distribution once", False),
                                      ("feeds, distributions twice (before)", True)):
                db = work / f"{'dup' if duplicated else 'once'}.db"
                db.unlink(missing_ok=True)
                seconds, sent = _build(db, url, duplicated=duplicated)
                rows.append((label, seconds, sent, db.stat().st_size))
            source = work / "once.db"
            push_db(source, f"{registry.host}/seawall/seawall-db")
            pulled_db = work / "pulled.db"
            pulled_db.unlink(missing_ok=True)
            started = time.perf_counter()
            pulled = pull_db(f"{registry.host}/seawall/seawall-db", pulled_db)
            rows.append(("pull the published artifact", time.perf_counter() - started, pulled.downloaded,
                         pulled_db.stat().st_size))
        finally:
            registry.stop()
            server.shutdown()
        left_out = sorted({f.name for f in select_feeds([], [])} - MIRRORED_FEEDS)
        print(f"builds cover the mirrored default feeds; not mirrored, so left out: {', '.join(left_out)}")
        print(f"{'first use':<38} {'seconds':>8} {'downloaded':>12} {'DB size':>10}")
        for label, seconds, sent, size in rows:
            print(f"{label:<38} {seconds:8.1f} {sent / 1e6:10.1f} MB {size / 1e6:8.1f} MB")
        build, pull = rows[0], rows[-1]
        print(f"pull vs build: {build[1] / pull[1]:.0f}x faster, {build[2] / pull[2]:.0f}x fewer bytes; "
              f"artifact {pull[2] / pull[3]:.2f} of the raw SQLite")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A first run without network: no DB, nothing reachable — one line, exit 4, in seconds. And `db feeds`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.imagebuild import build_oci_layout


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL)


def _offline(tmp_path: Path) -> dict[str, str]:
    # Nothing listens on 127.0.0.1:9: every feed (through the proxy) and the DB repository refuse the connection,
    # the way an unplugged machine fails.
    return {"SEAWALL_CACHE_DIR": str(tmp_path / "cache"), "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "", "SEAWALL_DB_REPOSITORY": "127.0.0.1:9/seawall-db"}


def test_a_first_scan_without_network_is_one_line_and_exit_4_within_seconds(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "layout", [{"/etc/os-release": b"ID=debian\nVERSION_ID=12\n"}])
    started = time.monotonic()
    scan = _run(["scan", f"oci:{layout}"], _offline(tmp_path))
    elapsed = time.monotonic() - started
    assert scan.returncode == 4, scan.stderr
    assert elapsed < 5, elapsed
    lines = scan.stderr.strip().splitlines()
    assert len(lines) == 1, scan.stderr
    line = lines[0]
    assert line.startswith("error: cannot build the vulnerability DB: no DB repository answered (127.0.0.1:9/")
    assert "seawall db import FILE" in line and "seawall db update --source NAME=PATH" in line
    assert scan.stdout == ""
    assert not (tmp_path / "cache" / "db" / "seawall.db").exists()


def test_db_feeds_lists_every_feed_with_its_source_and_layout() -> None:
    from seawall.feeds import FEEDS

    listed = _run(["db", "feeds", "--format", "json"], {})
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(rows) == set(FEEDS)
    for row in rows.values():
        assert row["source"] and row["accepts"] and row["about"]
    text = _run(["db", "feeds"], {}).stdout
    assert all(f"--source {name}=" in text for name in FEEDS)

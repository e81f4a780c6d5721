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


FEEDS = Path(__file__).parent / "assets" / "feeds"


def test_the_readme_offline_recipe_builds_moves_and_uses_a_db_without_network(tmp_path: Path) -> None:
    # `db update --source` from local copies of every default feed, `db export`, `db import` on another machine
    # (another cache), and a scan there: all with nothing reachable.
    env = _offline(tmp_path)
    built = _run(["db", "update", *(arg for name in ("debian", "alpine", "osv", "kev", "epss", "nvd")
                                      for arg in ("--feed", name)),
                  "--source", f"debian={FEEDS / 'debian' / 'tracker.json'}",
                  "--source", f"alpine={FEEDS / 'alpine'}",
                  "--source", f"osv={FEEDS / 'osv' / 'records'}",
                  "--source", f"osv.add={FEEDS / 'osv' / 'records' / 'GO-2023-2102.json'}",
                  "--source", f"kev={FEEDS / 'kev' / 'known_exploited_vulnerabilities.json'}",
                  "--source", f"epss={FEEDS / 'epss' / 'epss_scores-2024-10-10.csv.gz'}",
                  "--source", f"nvd={FEEDS / 'nvd' / 'records'}"], env)
    assert built.returncode == 0, built.stderr
    status = json.loads(_run(["db", "status", "--format", "json"], env).stdout)
    assert {f["name"] for f in status["feeds"]} == {"debian", "alpine", "osv", "kev", "epss", "nvd"}
    assert all(f["records"] > 0 and not f["error"] for f in status["feeds"])

    bundle = tmp_path / "seawall-db.tar.zst"
    assert _run(["db", "export", str(bundle)], env).returncode == 0
    elsewhere = {**env, "SEAWALL_CACHE_DIR": str(tmp_path / "elsewhere")}
    assert _run(["db", "import", str(bundle)], elsewhere).returncode == 0
    layout = build_oci_layout(tmp_path / "layout", [{"/etc/os-release": b"ID=debian\nVERSION_ID=12\n"}])
    scan = _run(["scan", f"oci:{layout}", "--format", "json"], elsewhere)
    assert scan.returncode == 0, scan.stderr
    db = json.loads(scan.stdout)["db"]
    assert db["builtAt"] and {f["name"] for f in db["feeds"]} >= {"debian", "nvd"}


def test_a_feed_server_that_never_accepts_is_given_up_without_retries(tmp_path: Path) -> None:
    import socket

    import pytest

    from seawall.errors import NetworkError
    from seawall.feeds.http import Http

    # A listener whose backlog is full: the kernel drops further SYNs, as a firewall that drops packets does.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    queued = []
    for _ in range(8):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    time.sleep(0.2)
    sleeps: list[float] = []
    http = Http(timeout=1.0, retries=3, sleep=sleeps.append)
    started = time.monotonic()
    try:
        with pytest.raises(NetworkError, match=r"cannot reach .*ConnectTimeout"):
            http.download(f"http://127.0.0.1:{port}/tracker.json", tmp_path / "tracker.json")
    finally:
        http.close()
        for client in queued:
            client.close()
        server.close()
    assert time.monotonic() - started < 3 and sleeps == []  # one connect timeout, no retry after it

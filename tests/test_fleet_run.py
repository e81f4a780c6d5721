"""A fleet run over a mini official catalog: real definition files, images pushed to a real local registry under
`library/<name>` (reached through the mirror option), a Dask LocalCluster, a SQLite results store."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.fleet.rematch import post_webhook, rematch_run
from seawall.fleet.runner import RunOptions, run_fleet
from seawall.fleet.store import ResultsStore
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from tests.imagebuild import File, build_oci_layout

ASSETS = Path(__file__).parent / "assets"
TRACKER = ASSETS / "match" / "debian-tracker.json"


@pytest.fixture(scope="module")
def mini(registry, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """debian:latest and debian:12-slim (Debian 12 with real dpkg status), alpine:latest; redis is in the catalog
    but never pushed, so it must become an error row."""
    work = tmp_path_factory.mktemp("fleet-mini")
    library = work / "library"
    library.mkdir()
    for name in ("debian", "alpine", "redis"):
        shutil.copy(shared_data / "official-images" / "library" / name, library / name)
    layouts = {
        "debian:latest": build_oci_layout(work / "debian", [ASSETS / "match" / "debian-bookworm",
                                                            {"/app/run.sh": File(b"#!/bin/sh\n", mode=0o755)}],
                                          history=["ADD rootfs", "COPY run.sh"]),
        "debian:12-slim": build_oci_layout(work / "slim", [ASSETS / "match" / "debian-bookworm"]),
        "alpine:latest": build_oci_layout(work / "alpine", [ASSETS / "rootfs" / "alpine-3.19"]),
    }
    digests = {}
    with RegistryClient() as client:
        for key, layout in layouts.items():
            digests[key] = push_oci_layout(client, layout, f"{registry.host}/library/{key}")
    db = work / "vuln.db"
    assert update_db(db, select_feeds(["debian"], [f"debian={TRACKER}"])).installed
    return {"library": library, "digests": digests, "db": db, "mirror": registry.host, "work": work}


def options(mini: dict, store: str, **extra) -> RunOptions:
    return RunOptions(catalog="official", strategy="variants", library_dir=str(mini["library"]),
                      names={"debian", "alpine", "redis"}, registry_mirror=mini["mirror"], store_url=store,
                      db=str(mini["db"]), auto_update=False, **extra)


@pytest.fixture(scope="module")
def first_run(mini: dict) -> tuple[str, str]:
    store = f"sqlite:///{mini['work'] / 'results.db'}"
    summary = run_fleet(options(mini, store, workers=1, run_id="first"))
    return store, summary.run_id


def test_run_scans_every_selected_image_on_a_local_cluster(first_run: tuple[str, str], mini: dict) -> None:
    store_url, run_id = first_run
    with ResultsStore.open(store_url) as store:
        run = store.get_run(run_id)
        results = {r.key: r for r in store.results(run_id, with_findings=True)}
    assert run.status == "finished" and run.finished_at and run.selected == 5
    assert sorted(item["tag"] for item in run.snapshot if item["repository"] == "debian") == ["12-slim", "latest"]
    assert set(results) == {"debian:latest", "debian:12-slim", "alpine:latest", "redis:latest", "redis:alpine"}
    debian = results["debian:latest"]
    assert debian.error is None and debian.digest == mini["digests"]["debian:latest"]
    assert (debian.distro, debian.distro_version, debian.variant) == ("debian", "12", "default")
    assert debian.package_count and debian.size and debian.created == "2024-01-01T00:00:00Z"
    assert debian.severities.get("high", 0) >= 1 and debian.states["fixed"] >= 1 and debian.fixable >= 1
    assert any(f.vuln_id == "CVE-2023-4911" and f.package == "libc6" and f.fixed_version == "2.36-9+deb12u3"
               for f in debian.findings)
    assert debian.inventory is None  # not loaded unless asked
    assert results["debian:12-slim"].variant == "slim"
    assert results["alpine:latest"].distro == "alpine" and results["alpine:latest"].error is None
    for key in ("redis:latest", "redis:alpine"):
        assert results[key].error and "no such tag" in results[key].error
    assert run.errors == 2


def test_second_run_reuses_results_by_digest(first_run: tuple[str, str], mini: dict) -> None:
    store_url, first = first_run
    summary = run_fleet(options(mini, store_url, workers=0, run_id="second"))
    assert (summary.reused, summary.scanned, summary.errors) == (3, 0, 2)
    with ResultsStore.open(store_url) as store:
        again = {r.key: r for r in store.results("second", with_findings=True)}
        before = {r.key: r for r in store.results(first, with_findings=True)}
    assert again["debian:latest"].reused_from == first
    assert len(again["debian:latest"].findings) == len(before["debian:latest"].findings)
    assert again["debian:latest"].severities == before["debian:latest"].severities


def test_killed_run_resumes_without_scanning_twice(mini: dict, tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'resume.db'}"
    argv = [sys.executable, "-m", "seawall", "fleet", "run", "--library-dir", str(mini["library"]), "--image",
            "debian", "--image", "alpine", "--image", "redis", "--strategy", "variants", "--registry-mirror",
            mini["mirror"], "--store", store_url, "--db", str(mini["db"]), "--skip-db-update", "--workers", "0",
            "--run-id", "weekly", "--no-reuse"]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env={**os.environ})
    line = process.stderr.readline()
    while "error:" in line:  # the missing redis tags come first, from their HEAD requests
        line = process.stderr.readline()
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert "findings" in line, line
    with ResultsStore.open(store_url) as store:
        done = {r.key: (r.scanned_at, r.error) for r in store.results("weekly")}
        assert store.get_run("weekly").status == "running"
    scanned = {key for key, (_, error) in done.items() if error is None}
    assert 1 <= len(scanned) < 3 and {"redis:latest", "redis:alpine"} <= set(done)
    summary = run_fleet(options(mini, store_url, workers=0, run_id="weekly", reuse=False))
    # Error rows are not done: a resumed run asks for those images again.
    assert summary.skipped == len(scanned) and summary.scanned == 3 - len(scanned) and summary.errors == 2
    with ResultsStore.open(store_url) as store:
        results = store.results("weekly")
        assert store.get_run("weekly").status == "finished"
    assert sorted(r.key for r in results) == sorted({"debian:latest", "debian:12-slim", "alpine:latest",
                                                     "redis:latest", "redis:alpine"})
    assert all(done[r.key][0] == r.scanned_at for r in results if r.key in scanned)  # kept, not scanned again


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_rematch_after_db_update_lists_newly_fixed_and_affected(first_run: tuple[str, str], mini: dict,
                                                                 tmp_path: Path, receiver: str) -> None:
    store_url, _ = first_run
    tracker = json.loads(TRACKER.read_text())
    tracker["glibc"].pop("CVE-2023-4911")  # a newer DB no longer lists it for this release
    edited = tmp_path / "tracker.json"
    edited.write_text(json.dumps(tracker))
    newer = tmp_path / "newer.db"
    assert update_db(newer, select_feeds(["debian"], [f"debian={edited}"])).installed
    with ResultsStore.open(store_url) as store:
        latest = store.latest_run(finished=True).id
        result = rematch_run(store, newer)
        changes = {c.image: c for c in result.changes}
        assert result.run_id == latest and result.images == 3
        assert "CVE-2023-4911 (libc6)" in changes["debian:latest"].newly_fixed
        assert changes["debian:latest"].newly_affected == []
        post_webhook(receiver, result)
        back = rematch_run(store, mini["db"])
        assert "CVE-2023-4911 (libc6)" in {c.image: c for c in back.changes}["debian:latest"].newly_affected
        assert len(store.rematches(latest)) == 2
        current = {r.key: r for r in store.results(latest, with_findings=True)}
        assert any(f.vuln_id == "CVE-2023-4911" for f in current["debian:latest"].findings)
    (posted,) = _Receiver.received
    assert posted["run"] == latest and posted["changes"][0]["newly_fixed"]
    fixed = {item["id"]: item for change in posted["changes"] for item in change["fixed"]}
    glibc = fixed["CVE-2023-4911"]  # a receiver decides from these without asking back
    assert glibc["package"] == "libc6" and glibc["severity"] == "high"
    assert glibc["fixedVersion"] == "2.36-9+deb12u3" and glibc["kev"] in (True, False)


def test_results_record_coverage_and_a_newer_db_rematches_instead_of_copying(
        first_run: tuple[str, str], mini: dict, tmp_path: Path) -> None:
    store_url, first = first_run
    with ResultsStore.open(store_url) as store:
        before = {r.key: r for r in store.results(first, with_findings=True)}
    assert before["debian:latest"].fully_covered and before["debian:latest"].covered_packages
    alpine = before["alpine:latest"]
    assert not alpine.fully_covered and alpine.uncovered_namespaces == ["alpine:3.19"]
    assert alpine.uncovered_packages == alpine.package_count
    tracker = json.loads(TRACKER.read_text())
    tracker["glibc"].pop("CVE-2023-4911")
    edited = tmp_path / "tracker.json"
    edited.write_text(json.dumps(tracker))
    newer = tmp_path / "newer.db"
    assert update_db(newer, select_feeds(["debian"], [f"debian={edited}"])).installed
    run_fleet(dataclasses.replace(options(mini, store_url, workers=0, run_id="weekly"), db=str(newer)))
    with ResultsStore.open(store_url) as store:
        after = {r.key: r for r in store.results("weekly", with_findings=True)}
    debian = after["debian:latest"]
    assert debian.reused_from == first  # no pull: the stored inventory was matched again
    assert debian.db_identity != before["debian:latest"].db_identity
    assert any(f.vuln_id == "CVE-2023-4911" for f in before["debian:latest"].findings)
    assert not any(f.vuln_id == "CVE-2023-4911" for f in debian.findings)
    assert after["alpine:latest"].uncovered_namespaces == ["alpine:3.19"]


def test_policy_verdict_is_stored(mini: dict, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nname: strict\nrules:\n  - severity:\n      at_least: high\n")
    store_url = f"sqlite:///{tmp_path / 'policy.db'}"
    started = time.monotonic()
    run_fleet(options(mini, store_url, workers=0, run_id="judged", policy=str(policy)))
    assert time.monotonic() - started < 120
    with ResultsStore.open(store_url) as store:
        verdicts = {r.key: r.verdict for r in store.results("judged")}
    # The DB holds Debian data only: nothing judged the Alpine image, so its verdict cannot be a pass.
    assert verdicts["debian:latest"] == "fail" and verdicts["alpine:latest"] == "undecided"
    assert verdicts["redis:latest"] is None


def test_run_on_an_existing_dask_scheduler(mini: dict, tmp_path: Path) -> None:
    """`--scheduler tcp://…`: the same run, handed to a cluster seawall did not start."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        store_url = f"sqlite:///{tmp_path / 'results.db'}"
        summary = run_fleet(options(mini, store_url, scheduler=cluster.scheduler_address, run_id="remote"))
    assert (summary.scanned, summary.errors) == (3, 2)
    with ResultsStore.open(store_url) as store:
        assert store.get_run("remote").status == "finished"

"""`seawall watch` against a real local registry as production: an image promoted with a DB lacking the PyPA data,
then watched while the DB gains it — newly affected findings on stdout and at a webhook on 127.0.0.1 (HMAC-signed),
nothing the second time, an allowlist entry expiring between ticks, an unreachable registry and feed survived, the
status page rendered in headless Chromium."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from seawall.db.store import VulnStore
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import push_oci_layout
from seawall.policy.gate import GateInputs
from seawall.policy.promote import promote
from seawall.watch.store import WatchStore
from tests.conftest import require_tool
from tests.fixtures.registry import OCI_MANIFEST, RegistryServer, TestImage, make_layer
from tests.promote_helpers import dpkg_status, rootfs_files, two_platform_image
from tests.test_fleet_store import postgres_url  # noqa: F401 - a fixture
from tests.triage_helpers import MATCH, ROOTFS, TRIAGE, build_debian_db

pytestmark = pytest.mark.registry
APP = MATCH / "app-rootfs"
SECRET = "s3cret-for-tests"
KEV = Path(__file__).parent / "assets" / "feeds" / "kev" / "known_exploited_vulnerabilities.json"


def app_image() -> TestImage:
    """Two layers: the Debian rootfs the tracker excerpt knows, then a Python app with requests 2.19.0."""
    image = TestImage()
    layers, diff_ids = [], []
    for root, only in ((ROOTFS, None), (APP, "usr/local/lib")):
        files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                 if p.is_file() and (only is None or str(p.relative_to(root)).startswith(only))}
        blob, diff_id = make_layer(files)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **image.add(blob)})
        diff_ids.append(diff_id)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-01T00:00:00Z",
                         "config": {"User": "1000"}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": "ADD rootfs.tar /"}, {"created_by": "pip install"}]}).encode()
    image.top = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image.add(config)},
                            "layers": layers}).encode()
    image.manifests[image.digest] = image.top
    return image


class Receiver:
    """A webhook receiver on 127.0.0.1 keeping every POST (headers and body)."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.posts.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.posts]


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def promoted(registry: RegistryServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """requests 2.19.0 on Debian, promoted to production with a DB of the Debian tracker only."""
    work = tmp_path_factory.mktemp("promoted")
    db = build_debian_db(work / "debian-only.db")
    source = f"{registry.host}/build/app:1.0"
    with RegistryClient() as client:
        push_oci_layout(client, app_image().write_layout(work / "layout"), source)
    # The team accepts that its Python packages are not checked yet (the DB has no PyPA data): the gate says so.
    policy = work / "policy.yaml"
    policy.write_text((TRIAGE / "policy-lenient.yaml").read_text() + "coverage:\n  allow: [pypi]\n")
    result = promote(source, f"{registry.host}/prod/app:1.0", GateInputs(policy=policy, db=db, auto_update=False))
    assert result.digest and result.referrer, result.verdict
    return {"db": db, "digest": result.digest, "repository": f"{registry.host}/prod/app"}


def _watch(tmp: Path, db: Path, repository: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "seawall", "watch", repository, "--once", "--db", str(db),
            "--store", f"sqlite:///{tmp / 'state.db'}", "--feed", "debian", "--feed", "osv",
            "--source", f"debian={MATCH / 'debian-tracker.json'}", "--source", f"osv={MATCH / 'osv'}", *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SEAWALL_WEBHOOK_SECRET": SECRET})


def _fresh_db(promoted: dict[str, Any], tmp: Path) -> Path:
    db = tmp / "seawall.db"
    shutil.copy(promoted["db"], db)
    return db


def test_newly_affected_reported_posted_signed_then_quiet(promoted: dict[str, Any], tmp_path: Path,
                                                         receiver: Receiver) -> None:
    db = _fresh_db(promoted, tmp_path)
    first = _watch(tmp_path, db, promoted["repository"], "--webhook", receiver.url, "--exit-code",
                   "--report", str(tmp_path / "status.html"))
    assert first.returncode == 1, first.stderr + str(tmp_path)
    assert "newly-affected" in first.stdout and "CVE-2018-18074" in first.stdout
    assert "requests 2.19.0" in first.stdout and "upgrade requests to 2.20.0" in first.stdout
    # Only what the PyPA data brought is new: the Debian findings were already in the promotion scan.
    assert "| newly-affected | CVE-" not in first.stdout.replace("CVE-2018-18074", "")
    assert len(receiver.posts) == 1
    headers, body = receiver.posts[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Seawall-Signature"] == expected
    doc = json.loads(body)
    assert doc["repository"] == promoted["repository"] and doc["digest"] == promoted["digest"]
    assert doc["tags"] == ["1.0"] and doc["needsAction"] is True
    change = next(c for c in doc["changes"] if c["package"] == "requests")
    assert change["kind"] == "newly-affected" and change["fixedVersion"] == "2.20.0"
    assert {"id", "severity", "severitySource", "kev", "epss", "suggestedAction"} <= set(change)

    second = _watch(tmp_path, db, promoted["repository"], "--webhook", receiver.url, "--exit-code")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "No change since the last check." in second.stdout
    assert len(receiver.posts) == 1

    html = (tmp_path / "status.html").read_text()
    assert promoted["digest"][:19] in html and "newly-affected" in html and "<style>" in html


def test_allowlist_entry_expiring_between_ticks(promoted: dict[str, Any], tmp_path: Path) -> None:
    db = _fresh_db(promoted, tmp_path)
    allowlist = tmp_path / "allowlist.yaml"
    allowlist.write_text(
        "version: 1\nentries:\n  - id: CVE-2018-18074\n    package: requests\n"
        "    justification: vulnerable_code_not_in_execute_path\n"
        "    statement: The service never follows redirects with credentials.\n"
        "    owner: app-team@example.com\n    expires: 2030-01-01\n")
    first = _watch(tmp_path, db, promoted["repository"], "--allowlist", str(allowlist), "--at", "2029-12-31")
    assert first.returncode == 0, first.stderr
    assert "requests 2.19.0" not in first.stdout  # suppressed: nothing to act on
    later = _watch(tmp_path, db, promoted["repository"], "--allowlist", str(allowlist), "--at", "2030-01-02",
                   "--exit-code")
    assert later.returncode == 1, later.stdout + later.stderr
    line = next(x for x in later.stdout.splitlines() if "allowlist-expired" in x)
    assert "requests 2.19.0" in line and "allowlist.yaml" in line and "expired 2030-01-01" in line


def test_unreachable_registry_and_feed_keep_the_previous_state(promoted: dict[str, Any], tmp_path: Path) -> None:
    db = _fresh_db(promoted, tmp_path)
    assert _watch(tmp_path, db, promoted["repository"]).returncode == 0
    before = _osv_rows(db)
    args = [sys.executable, "-m", "seawall", "watch", "127.0.0.1:9/prod/app", "--once", "--exit-code",
            "--db", str(db), "--store", f"sqlite:///{tmp_path / 'state.db'}", "--feed", "osv",
            "--source", "osv=http://127.0.0.1:9/osv/all.zip"]
    down = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert down.returncode == 8, down.stdout + down.stderr
    assert "could not check" in down.stdout and "127.0.0.1:9" in down.stdout and "Traceback" not in down.stderr
    assert _osv_rows(db) == before  # the feed failed: it keeps its previous data, and says why
    with VulnStore.open(db) as vulns:
        osv = next(f for f in vulns.feeds() if f.name == "osv")
        assert osv.error and "127.0.0.1:9" in osv.error
    with WatchStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        image = store.image(promoted["repository"], promoted["digest"])
        assert image is not None and image.findings  # the last judgement is kept
        assert store.ticks()[0]["errors"]


def _osv_rows(db: Path) -> list[tuple[object, ...]]:
    with VulnStore.open(db) as vulns:
        return vulns._query("SELECT id, package, ranges FROM advisories WHERE feed = 'osv' ORDER BY id, package")


def test_status_page_renders_in_chromium(promoted: dict[str, Any], tmp_path: Path) -> None:
    chromium = require_tool("chromium")
    db = _fresh_db(promoted, tmp_path)
    page = tmp_path / "status.html"
    assert _watch(tmp_path, db, promoted["repository"], "--report", str(page)).returncode == 0
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "Production watch" in dom.stdout and promoted["digest"][:19] in dom.stdout
    assert 'id="image-table"' in dom.stdout and "requests" in dom.stdout


def test_survives_kill_9_and_resumes_consistently(promoted: dict[str, Any], tmp_path: Path,
                                                  receiver: Receiver) -> None:
    db = _fresh_db(promoted, tmp_path)
    args = [sys.executable, "-m", "seawall", "watch", promoted["repository"], "--interval", "1s", "--db", str(db),
            "--store", f"sqlite:///{tmp_path / 'state.db'}", "--feed", "debian", "--feed", "osv",
            "--source", f"debian={MATCH / 'debian-tracker.json'}", "--source", f"osv={MATCH / 'osv'}",
            "--webhook", receiver.url]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not receiver.posts or (time.monotonic() < deadline and _ticks(tmp_path) < 3):
            assert time.monotonic() < deadline and proc.poll() is None, "the watch never got going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # wherever it is: mid-tick, mid-update or asleep
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    again = _watch(tmp_path, db, promoted["repository"], "--webhook", receiver.url, "--exit-code")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No change since the last check." in again.stdout
    with VulnStore.open(db) as vulns:  # the DB is whole
        assert {f.name for f in vulns.feeds()} == {"debian", "osv"}
    posted = {c["id"] for doc in receiver.documents() for c in doc["changes"]}
    assert "CVE-2018-18074" in posted  # delivered at least once, however the kill fell


def _ticks(tmp: Path) -> int:
    if not (tmp / "state.db").exists():
        return 0
    with WatchStore.open(f"sqlite:///{tmp / 'state.db'}") as store:
        return sum(1 for t in store.ticks() if t["finished_at"])


def test_postgresql_store(promoted: dict[str, Any], tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    db = _fresh_db(promoted, tmp_path)
    base = [sys.executable, "-m", "seawall", "watch", promoted["repository"], "--once", "--db", str(db),
            "--store", postgres_url, "--feed", "debian", "--feed", "osv",
            "--source", f"debian={MATCH / 'debian-tracker.json'}", "--source", f"osv={MATCH / 'osv'}"]
    first = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and "CVE-2018-18074" in first.stdout, first.stderr
    second = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert "No change since the last check." in second.stdout, second.stderr
    with WatchStore.open(postgres_url) as store:
        assert [i.digest for i in store.images()] == [promoted["digest"]]
        assert any(c["vuln_id"] == "CVE-2018-18074" for c in store.changes())


def test_fix_severity_and_kev_arriving_in_the_data(promoted: dict[str, Any], tmp_path: Path) -> None:
    """The tracker gains a fix and an urgency for an open libgcrypt20 finding, and CISA adds it to KEV."""
    db = _fresh_db(promoted, tmp_path)
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    tracker, kev = upstream / "tracker.json", upstream / "kev.json"
    shutil.copy(MATCH / "debian-tracker.json", tracker)
    shutil.copy(KEV, kev)

    def tick() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "seawall", "watch", promoted["repository"], "--once", "--exit-code", "--db",
             str(db), "--store", f"sqlite:///{tmp_path / 'state.db'}", "--feed", "debian", "--feed", "kev",
             "--source", f"debian={tracker}", "--source", f"kev={kev}"], capture_output=True, text=True, timeout=300)

    first = tick()  # the promotion's DB had no KEV data: glibc's Looney Tunables is in the catalogue
    assert first.returncode == 1 and "| added-to-kev | CVE-2023-4911 | libc6" in first.stdout, first.stdout
    assert "CVE-2024-2236" not in first.stdout
    data = json.loads(tracker.read_text())
    data["libgcrypt20"]["CVE-2024-2236"]["releases"]["bookworm"] |= {
        "status": "resolved", "fixed_version": "1.10.1-3+deb12u1", "urgency": "high"}
    tracker.write_text(json.dumps(data))
    catalog = json.loads(kev.read_text())
    catalog["vulnerabilities"].append({**catalog["vulnerabilities"][0], "cveID": "CVE-2024-2236",
                                       "dateAdded": "2024-12-01", "dueDate": "2024-12-22"})
    kev.write_text(json.dumps(catalog))
    later = tick()
    assert later.returncode == 1, later.stdout + later.stderr
    kinds = {line.split("|")[1].strip() for line in later.stdout.splitlines()
             if "CVE-2024-2236" in line and "libgcrypt20" in line}
    assert kinds == {"newly-fixed", "severity-raised", "added-to-kev"}
    assert "upgrade libgcrypt20 to 1.10.1-3+deb12u1" in later.stdout and "CISA due date 2024-12-22" in later.stdout


def test_each_platform_of_a_promoted_index_is_judged(registry: RegistryServer, promoted: dict[str, Any],
                                                     tmp_path: Path) -> None:
    full, small = rootfs_files(dpkg_status()), rootfs_files(dpkg_status({"zlib1g"}, arch="arm64"))
    image, _ = two_platform_image(full, small)
    source = f"{registry.host}/build/multi:2"
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), source)
    result = promote(source, f"{registry.host}/prod/multi:2",
                     GateInputs(policy=TRIAGE / "policy-lenient.yaml", db=promoted["db"], auto_update=False))
    assert result.digest == image.digest, result.verdict
    db = _fresh_db(promoted, tmp_path)
    tracker = tmp_path / "tracker.json"
    data = json.loads((MATCH / "debian-tracker.json").read_text())
    data["libgcrypt20"]["CVE-2024-2236"]["releases"]["bookworm"] |= {
        "status": "resolved", "fixed_version": "1.10.1-3+deb12u1", "urgency": "high"}
    tracker.write_text(json.dumps(data))
    run = subprocess.run([sys.executable, "-m", "seawall", "watch", f"{registry.host}/prod/multi", "--once",
                          "--db", str(db), "--store", f"sqlite:///{tmp_path / 'state.db'}", "--feed", "debian",
                          "--source", f"debian={tracker}"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"## {registry.host}/prod/multi@{image.digest[:19]} [linux/amd64] (2)" in run.stdout
    assert "[linux/arm64/v8]" not in run.stdout  # zlib1g only: nothing changed there
    with WatchStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        judged = {i.platform: i for i in store.images()}
    assert set(judged) == {"linux/amd64", "linux/arm64/v8"}
    assert all(i.digest == image.digest and i.findings is not None for i in judged.values())

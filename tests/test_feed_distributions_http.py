"""The distribution feeds' download paths against a real HTTP server on 127.0.0.1, laid out as each vendor serves
its data: Amazon's mirror.list → repomd.xml → updateinfo.xml.gz, Red Hat's archive_latest.txt → csaf_vex_*.tar.zst,
Oracle's com.oracle.elsa-all.xml.bz2, Photon's cve_data_photon<release>.json arrays, Wolfi's security.json."""

from __future__ import annotations

import bz2
import gzip
import json
import tarfile
from pathlib import Path

import zstandard

from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from seawall.feeds.interface import Workspace
from seawall.model.vuln import Advisory, Status
from tests.feed_helpers import FeedServer

ASSETS = Path(__file__).parent / "assets" / "distro-feeds"


def _serve(root: Path) -> None:
    for release in ("2", "2023"):
        repodata = root / f"al{release}" / "guid" / "x86_64" / "repodata"
        repodata.mkdir(parents=True)
        (repodata / "0f1e-updateinfo.xml.gz").write_bytes(
            gzip.compress((ASSETS / "amazon" / release / "updateinfo.xml").read_bytes()))
        (repodata / "repomd.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n'
            '  <data type="primary"><location href="repodata/aa-primary.xml.gz"/></data>\n'
            '  <data type="updateinfo"><location href="repodata/0f1e-updateinfo.xml.gz"/></data>\n</repomd>\n')
    (root / "vex").mkdir()
    with open(root / "vex" / "csaf_vex_2024-01-30.tar.zst", "wb") as raw, \
            zstandard.ZstdCompressor().stream_writer(raw) as out, tarfile.open(fileobj=out, mode="w|") as tar:
        tar.add(ASSETS / "redhat" / "2023", arcname="2023")
    (root / "vex" / "archive_latest.txt").write_text("csaf_vex_2024-01-30.tar.zst\n")
    (root / "oval").mkdir()
    (root / "oval" / "com.oracle.elsa-all.xml.bz2").write_bytes(
        bz2.compress((ASSETS / "oracle" / "elsa-excerpt.xml").read_bytes()))
    (root / "photon").mkdir()
    for release in ("3.0", "4.0", "5.0"):
        (root / "photon" / f"cve_data_photon{release}.json").write_text(json.dumps([
            {"cve_id": "CVE-2023-5363", "pkg": "openssl", "cve_score": 7.5,
             "aff_ver": "all versions before 3.0.9-7.ph5 are vulnerable", "res_ver": "3.0.9-7.ph5"},
            {"cve_id": "CVE-2017-15286", "pkg": "sqlite", "cve_score": 7.5, "aff_ver": "NA", "res_ver": "NA"},
            {"cve_id": "CVE-2099-0001", "pkg": "sqlite", "cve_score": 3.1,
             "aff_ver": "all versions are vulnerable", "res_ver": "NA"}]))
    (root / "os").mkdir()
    (root / "os" / "security.json").write_bytes((ASSETS / "chainguard" / "security.json").read_bytes())


def _run(name: str, source: str, work: Path, previous: Workspace | None = None) -> tuple[Workspace, list[Advisory]]:
    """One update; `previous`: the update before it, whose validators and cursor the DB would hand on."""
    (feed,) = select_feeds([name], [source])
    ws = Workspace(work, Http(backoff=0, retries=0), validators=previous.new_validators if previous else {},
                   state=previous.new_state if previous else {})
    work.mkdir(parents=True, exist_ok=True)
    feed.fetch(ws)
    return ws, [r for r in feed.parse(ws) if isinstance(r, Advisory)]


def test_each_distribution_feed_downloads_as_its_vendor_serves_it(tmp_path: Path) -> None:
    root = tmp_path / "www"
    _serve(root)
    with FeedServer(root) as server:
        base = server.url
        for release in ("2", "2023"):
            (root / f"al{release}" / "mirror.list").write_text(f"{base}/al{release}/guid/x86_64/\n")
        (feed,) = select_feeds(["amazon"], [f"amazon.2={base}/al2/mirror.list",
                                            f"amazon.2023={base}/al2023/mirror.list"])
        ws = Workspace(tmp_path / "amazon", Http(backoff=0, retries=0))
        ws.dir.mkdir()
        feed.fetch(ws)
        amazon = [r for r in feed.parse(ws) if isinstance(r, Advisory)]
        assert {a.namespace for a in amazon} == {"amzn:2", "amzn:2023"}
        assert {(a.namespace, a.package) for a in amazon if a.id == "ALAS2023-2024-652"} == {
            ("amzn:2023", "openssh"), ("amzn:2023", "openssh-clients"), ("amzn:2023", "openssh-server")}
        _, redhat = _run("redhat", f"redhat={base}/vex", tmp_path / "redhat")
        assert {(a.id, a.namespace, a.status) for a in redhat} >= {
            ("CVE-2023-5363", "rhel:9", Status.FIXED), ("CVE-2023-2975", "rhel:9", Status.WILL_NOT_FIX)}
        _, oracle = _run("oracle", f"oracle={base}/oval/com.oracle.elsa-all.xml.bz2", tmp_path / "oracle")
        assert {a.package for a in oracle} >= {"openssh-server", "pam_ssh_agent_auth"}
        first, photon = _run("photon", f"photon={base}/photon", tmp_path / "photon")
        states = {(a.namespace, a.id): a.status for a in photon}
        assert states["photon:5.0", "CVE-2023-5363"] is Status.FIXED
        assert states["photon:3.0", "CVE-2017-15286"] is Status.NOT_AFFECTED
        assert states["photon:4.0", "CVE-2099-0001"] is Status.AFFECTED  # no fix yet
        _, wolfi = _run("wolfi", f"wolfi={base}/os/security.json", tmp_path / "wolfi")
        assert {(a.namespace, a.id, a.status) for a in wolfi} >= {
            ("wolfi:rolling", "CVE-2024-5535", Status.FIXED), ("wolfi:rolling", "CVE-2023-6129", Status.NOT_AFFECTED)}
        # A second update asks again conditionally and learns nothing changed.
        second, again = _run("photon", f"photon={base}/photon", tmp_path / "photon", first)
        assert first.changed and not second.changed and len(again) == len(photon)


def test_red_hat_vex_updates_read_only_the_files_changes_csv_lists(tmp_path: Path) -> None:
    root = tmp_path / "www"
    _serve(root)
    work = tmp_path / "redhat"
    with FeedServer(root) as server:
        base = f"{server.url}/vex"
        first, _ = _run("redhat", f"redhat={base}", work)
        assert first.new_state["cursor"] == "2024-01-30T00:00:00"  # the archive's day
        # A day later Red Hat finds RHEL 9 not affected by CVE-2023-2975: one changed file, listed in changes.csv.
        changed = json.loads((ASSETS / "redhat" / "2023" / "cve-2023-2975.json").read_text())
        vuln = changed["vulnerabilities"][0]
        vuln["product_status"]["known_affected"].remove("red_hat_enterprise_linux_9:openssl")
        vuln["product_status"]["known_not_affected"] = ["red_hat_enterprise_linux_9:openssl"]
        (root / "vex" / "2023").mkdir()
        (root / "vex" / "2023" / "cve-2023-2975.json").write_text(json.dumps(changed))
        (root / "vex" / "changes.csv").write_text('"2023/cve-2023-2975.json","2024-01-31T08:00:00+00:00"\n'
                                                 '"2023/cve-2023-5363.json","2024-01-29T10:00:00+00:00"\n')
        second, again = _run("redhat", f"redhat={base}", work, first)
        ws_state = second.new_state
    served = [path for path, _ in server.requests]
    assert served.count("/vex/csaf_vex_2024-01-30.tar.zst") == 1  # the archive once
    assert "/vex/2023/cve-2023-2975.json" in served and "/vex/2023/cve-2023-5363.json" not in served
    assert ws_state["cursor"] == "2024-01-31T08:00:00+00:00"
    rhel9 = {(a.id, a.status) for a in again if a.namespace == "rhel:9"}
    assert ("CVE-2023-2975", Status.NOT_AFFECTED) in rhel9 and ("CVE-2023-5363", Status.FIXED) in rhel9
    assert ("CVE-2023-2975", Status.WILL_NOT_FIX) not in rhel9


def test_a_malformed_record_costs_only_itself(tmp_path: Path) -> None:
    """Vendor data is hostile input: a record of the wrong shape is skipped with its reason, the rest loads."""
    photon = tmp_path / "photon"
    photon.mkdir()
    (photon / "cve_data_photon5.0.json").write_text(json.dumps([
        {"cve_id": ["CVE-1"], "pkg": {"x": 1}, "cve_score": "high", "aff_ver": 3, "res_ver": ["NA"]},
        {"cve_id": "CVE-2023-5363", "pkg": "openssl", "cve_score": 7.5, "aff_ver": "x", "res_ver": "3.0.9-7.ph5"}]))
    _, good = _run("photon", f"photon={photon}", tmp_path / "w1")
    assert [(a.id, a.package) for a in good] == [("CVE-2023-5363", "openssl")]
    wolfi = tmp_path / "wolfi"
    wolfi.mkdir()
    (wolfi / "x.advisories.yaml").write_text(
        "package: {name: x}\nadvisories:\n  - id: CGA-1\n    events: {type: fixed}\n"
        "  - id: CGA-2\n    aliases: [CVE-2024-1]\n    events:\n      - timestamp: 2024-01-01T00:00:00Z\n"
        "        type: fixed\n        data: [not, a, mapping]\n"
        "  - id: CGA-3\n    events:\n"
        "      - {timestamp: 2024-01-01T00:00:00Z, type: fixed, data: {fixed-version: 1.0-r1}}\n")
    _, wolfi_advisories = _run("wolfi", f"wolfi={wolfi}", tmp_path / "w2")
    assert [a.id for a in wolfi_advisories] == ["CGA-3"]
    redhat = tmp_path / "redhat" / "2023"
    redhat.mkdir(parents=True)
    broken = json.loads((ASSETS / "redhat" / "2023" / "cve-2023-5363.json").read_text())
    broken["vulnerabilities"][0]["product_status"] = ["not", "a", "mapping"]
    (redhat / "cve-2023-0001.json").write_text(json.dumps(broken))
    (redhat / "cve-2023-2975.json").write_text((ASSETS / "redhat" / "2023" / "cve-2023-2975.json").read_text())
    _, vex = _run("redhat", f"redhat={redhat.parent}", tmp_path / "w3")
    assert {a.id for a in vex} == {"CVE-2023-2975"}

"""`seawall allowlist audit`: expired, expiring, unused, contradicted by the distribution, vague — exit 1 if any."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.db.store import VulnStore
from seawall.output.scan import ScanView
from seawall.output.scan_json import render
from seawall.triage.allowlist import load_allowlist
from seawall.triage.audit import audit_allowlists
from tests.triage_helpers import build_debian_db, scan_rootfs

NOW = datetime(2025, 3, 1, tzinfo=UTC)
ALLOWLIST = """\
entries:
  - id: CVE-2024-2398          # Debian fixed it in 7.88.1-10+deb12u6: upgrade instead
    source: curl
    justification: vulnerable_code_not_in_execute_path
    expires: 2099-01-01
  - id: CVE-2019-1010022       # not affected in bookworm (fixed_version 0): not needed
    source: glibc
    justification: vulnerable_code_not_present
    expires: 2099-01-01
  - id: CVE-2023-5678          # fixed in the installed openssl: not needed
    source: openssl
    justification: vulnerable_code_not_present
    expires: 2099-01-01
  - id: CVE-2024-2236
    statement: false positive
    expires: 2025-03-10
  - id: CVE-2010-4756
    statement: Only trusted glob patterns reach glibc in every service we run.
    expires: 2024-12-31
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


@pytest.fixture()
def allowlist_file(tmp_path: Path) -> Path:
    path = tmp_path / "allow.yaml"
    path.write_text(ALLOWLIST)
    return path


def problems_by_line(result) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for p in result.problems:
        out.setdefault(int(p.locator.rsplit(":", 1)[1]), set()).add(p.kind)
    return out


def test_audit_against_scans_and_the_distribution(db: Path, allowlist_file: Path) -> None:
    report = scan_rootfs(db)
    with VulnStore.open(db) as store:
        result = audit_allowlists([load_allowlist(allowlist_file)], [report], store, now=NOW)
    kinds = problems_by_line(result)
    assert kinds[2] == {"upgrade"}
    assert kinds[6] == {"unused", "not-needed"}
    assert kinds[10] == {"unused", "not-needed"}
    assert kinds[14] == {"expiring", "vague"}
    assert kinds[17] == {"expired"}
    upgrade = next(p for p in result.problems if p.kind == "upgrade")
    assert upgrade.remedy.startswith("upgrade instead to 7.88.1-10+deb12u6")
    not_affected = next(p for p in result.problems if p.kind == "not-needed" and p.id == "CVE-2019-1010022")
    assert "not affected" in not_affected.message
    assert not result.ok


def test_a_clean_allowlist_passes(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "clean.yaml"
    path.write_text("entries:\n  - id: CVE-2024-2236\n    source: libgcrypt20\n"
                    "    justification: vulnerable_code_not_in_execute_path\n    expires: 2099-01-01\n")
    with VulnStore.open(db) as store:
        result = audit_allowlists([load_allowlist(path)], [scan_rootfs(db)], store, now=NOW)
    assert result.ok, result.problems


def test_cli_reads_scan_json_and_exits_1(db: Path, allowlist_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    scan_file = tmp_path / "scan.json"
    scan_file.write_text(render(scan_rootfs(db), ScanView()))
    with pytest.raises(SystemExit) as info:
        main(["allowlist", "audit", str(allowlist_file), "--scan", str(scan_file), "--db", str(db),
              "--format", "json"])
    assert info.value.code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["scans"] == 1 and data["checked_db"] and not data["ok"]
    assert {p["kind"] for p in data["problems"]} >= {"upgrade", "not-needed", "unused", "vague", "expired"}


def test_cli_export_and_check(allowlist_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["allowlist", "check", str(allowlist_file)])
    assert info.value.code == 0 and "5 entries" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["allowlist", "export", str(allowlist_file), "--format", "grype"])
    out = capsys.readouterr()
    assert info.value.code == 0 and out.out.startswith("ignore:")
    assert "not exported" in out.err  # source-only entries need a scan to name binary packages


def test_scan_report_and_image_find_the_same_not_needed_entries(db: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Packages without a finding are in the JSON report too: an entry for a vulnerability the image is already
    fixed for (shadow, upgraded) or never had (zlib) is `not-needed` from `--scan` as from `--image`."""
    import shutil

    from tests.triage_helpers import ROOTFS

    rootfs = tmp_path / "rootfs"
    shutil.copytree(ROOTFS, rootfs)
    status = rootfs / "var/lib/dpkg/status"
    status.write_text(status.read_text().replace("Version: 1:4.13+dfsg1-1+b1", "Version: 1:4.13+dfsg1-1+deb12u1")
                      .replace("Source: shadow (1:4.13+dfsg1-1)", "Source: shadow (1:4.13+dfsg1-1+deb12u1)"))
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n"
                     "  - id: CVE-2023-4641\n    source: shadow\n    justification: vulnerable_code_not_present\n"
                     "    expires: 2099-01-01\n"
                     "  - id: CVE-2023-45853\n    source: zlib\n    justification: vulnerable_code_not_present\n"
                     "    expires: 2099-01-01\n")
    scan_file = tmp_path / "scan.json"
    assert main_exit(["scan", f"dir:{rootfs}", "--db", str(db), "--skip-db-update", "--format", "json",
                      "-o", str(scan_file)]) == 0
    capsys.readouterr()
    found = {}
    for how in (["--scan", str(scan_file)], ["--image", f"dir:{rootfs}"]):
        assert main_exit(["allowlist", "audit", str(allow), *how, "--db", str(db), "--format", "json"]) == 1
        data = json.loads(capsys.readouterr().out)
        found[how[0]] = {(p["locator"].rsplit(":", 1)[1], p["kind"]) for p in data["problems"]}
    assert found["--scan"] == found["--image"]
    assert {("2", "not-needed"), ("6", "not-needed")} <= found["--scan"]


def main_exit(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return int(info.value.code or 0)

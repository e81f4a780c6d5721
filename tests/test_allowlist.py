"""Allowlists suppress with a reason and an expiry, never delete, and reject malformed files with FILE:LINE."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.model.finding import ScanReport
from seawall.triage.allowlist import AllowlistError, apply_allowlists, load_allowlist, load_allowlists
from tests.triage_helpers import TRIAGE, as_image, build_debian_db, by_key, scan_rootfs

NOW = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    return scan_rootfs(build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db"))


def test_entries_suppress_with_rule_reason_owner_and_expiry(report: ScanReport) -> None:
    allowlist = load_allowlist(TRIAGE / "allowlist.yaml")
    triaged, result = apply_allowlists(report, [allowlist], now=NOW)
    assert len(triaged.findings) == len(report.findings)  # suppressed, not deleted
    gcrypt = by_key(triaged)[("libgcrypt20", "CVE-2024-2236")]
    (sup,) = gcrypt.suppressions
    assert sup.kind == "allowlist"
    assert sup.rule == f"{TRIAGE / 'allowlist.yaml'}:7"
    assert sup.justification == "vulnerable_code_not_in_execute_path"
    assert "RSA decryption" in sup.reason
    assert sup.owner == "platform-security@example.com" and sup.expires == "2099-12-31"
    assert result.used == {f"{TRIAGE / 'allowlist.yaml'}:7": 1}


def test_expired_entry_suppresses_nothing_and_is_reported(report: ScanReport) -> None:
    triaged, result = apply_allowlists(report, [load_allowlist(TRIAGE / "allowlist.yaml")], now=NOW)
    for package in ("libc6", "libc-bin"):  # the glibc entry (by source) expired in 2020
        assert not by_key(triaged)[(package, "CVE-2010-4756")].suppressed
    (locator,) = result.expired
    assert locator.endswith("allowlist.yaml:22")
    assert "expired on 2020-01-31" in result.notes()[0]


def test_scope_by_group_applies_only_to_matching_images(report: ScanReport) -> None:
    allowlist = load_allowlist(TRIAGE / "allowlist.yaml")
    backend = as_image(report, "registry.example.com/backend/api:1.4")
    frontend = as_image(report, "registry.example.com/frontend/web:2.0")
    backend_triaged, _ = apply_allowlists(backend, [allowlist], now=NOW)
    frontend_triaged, _ = apply_allowlists(frontend, [allowlist], now=NOW)
    assert by_key(backend_triaged)[("libcurl4", "CVE-2023-38546")].suppressed
    assert not by_key(backend_triaged)[("curl", "CVE-2023-38546")].suppressed  # `package: libcurl4` only
    assert not by_key(frontend_triaged)[("libcurl4", "CVE-2023-38546")].suppressed
    unnamed, _ = apply_allowlists(report, [allowlist], now=NOW)  # a dir: scan has no image name
    assert not by_key(unnamed)[("libcurl4", "CVE-2023-38546")].suppressed


def test_ids_match_any_alias_and_source_package(report: ScanReport, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("entries:\n"
                    "  - id: cve-2023-4911\n"
                    "    source: glibc\n"
                    "    justification: inline_mitigations_already_exist\n"
                    "    expires: 2099-01-01\n")
    triaged, _ = apply_allowlists(report, load_allowlists([path]), now=NOW)
    findings = by_key(triaged)
    assert findings[("libc6", "CVE-2023-4911")].suppressed and findings[("libc-bin", "CVE-2023-4911")].suppressed
    assert not findings[("libc6", "CVE-2010-4756")].suppressed


def test_several_files_apply_at_once(report: ScanReport, tmp_path: Path) -> None:
    other = tmp_path / "b.yaml"
    other.write_text("entries:\n  - id: CVE-2005-2541\n    package: tar\n    expires: 2099-01-01\n"
                     "    statement: tar runs only on trusted archives built in CI.\n")
    triaged, result = apply_allowlists(report, load_allowlists([TRIAGE / "allowlist.yaml", other]), now=NOW)
    assert by_key(triaged)[("tar", "CVE-2005-2541")].suppressed
    assert by_key(triaged)[("libgcrypt20", "CVE-2024-2236")].suppressed
    assert f"{other}:2" in result.used


def test_every_schema_error_names_file_and_line() -> None:
    with pytest.raises(AllowlistError) as info:
        load_allowlist(TRIAGE / "allowlist-bad.yaml")
    text = info.value.message
    bad = str(TRIAGE / "allowlist-bad.yaml")
    assert f"{bad}:3: `expires` must be an ISO date (YYYY-MM-DD), found '2024-02-30'" in text
    assert f"{bad}:5: unknown justification 'not_exploitable'" in text
    assert f"{bad}:7: `id` must be a non-empty string, found a number" in text
    assert f"{bad}:9: unknown key 'severity'" in text
    assert f"{bad}:10: entry is missing `expires`" in text
    assert f"{bad}:11: scope 'frontend' is neither a declared group nor an image name glob" in text
    assert f"{bad}:13: `package` must be a non-empty string, found a list" in text
    assert f"{bad}:14: `expires` must be an ISO date (YYYY-MM-DD), found 'tomorrow'" in text
    assert info.value.remedy


@pytest.mark.parametrize(("text", "expected"), [
    ("entries:\n  - id: [unclosed\n", ":2: invalid YAML"),
    ("- id: CVE-1\n", ":1: expected a mapping with `entries:`"),
    ("entries:\n  - id: CVE-1\n    id: CVE-2\n    expires: 2099-01-01\n", ":3: invalid YAML in allowlist: duplicate"),
    ("entries:\n  - id: CVE-1\n    purl: debian/openssl\n    expires: 2099-01-01\n", ":3: `purl` 'debian/openssl'"),
    ("entries:\n  - id: CVE-1\n    created: 2025-01-02\n    expires: 2025-01-01\n", ":4: `expires` 2025-01-01 is"),
    ("version: 2\nentries: []\n", ":1: unsupported version 2"),
])
def test_malformed_files_say_where(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "allow.yaml"
    path.write_text(text)
    with pytest.raises(AllowlistError) as info:
        load_allowlist(path)
    assert f"{path}{expected}" in info.value.message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(AllowlistError, match="does not exist"):
        load_allowlist(tmp_path / "nope.yaml")


def test_scan_cli_marks_suppressed_and_hides_them_unless_asked(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from seawall.cli.main import main
    from tests.triage_helpers import ROOTFS

    db = build_debian_db(tmp_path / "seawall.db")
    args = ["scan", f"dir:{ROOTFS}", "--db", str(db), "--skip-db-update", "--allowlist",
            str(TRIAGE / "allowlist.yaml"), "--format", "json"]
    with pytest.raises(SystemExit):
        main(args)
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["summary"]["suppressed"] == 1
    assert "expired on 2020-01-31" in captured.err  # the expired entry is reported
    with pytest.raises(SystemExit):
        main([*args[:-2], "--format", "table"])
    hidden = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([*args[:-2], "--format", "table", "--show-suppressed"])
    shown = capsys.readouterr().out
    assert "CVE-2024-2236" not in hidden and "CVE-2024-2236" in shown

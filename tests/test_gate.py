"""`seawall gate`: exit 0 on pass, 1 on violation, 8 whenever it could not decide — never a pass by default."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.policy.baseline import baseline_from_report, local_baseline_path, save_baseline
from tests.triage_helpers import ROOTFS, TRIAGE, as_image, build_debian_db, scan_rootfs

TARGET = f"dir:{ROOTFS}"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["gate", *args])
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_pass(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy-lenient.yaml"), "--db", str(db),
                        "--skip-db-update")
    assert code == 0
    assert out.startswith("PASS")


def test_violation_lists_rule_finding_and_remedy_as_json(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy.yaml"), "--db", str(db),
                        "--skip-db-update", "--format", "json")
    assert code == 1
    verdict = json.loads(out)
    assert verdict["decision"] == "fail" and verdict["exit_code"] == 1
    libc6 = next(v for v in verdict["violations"] if v["package"] == "libc6@2.36-9+deb12u1"
                 and v["rule"] == "severity >= high (by vendor)")
    assert libc6["finding_id"] == "CVE-2023-4911"
    assert libc6["remedy"] == "upgrade libc6 (source glibc) to 2.36-9+deb12u3"
    assert any("no-root: not checked" in n for n in verdict["notes"])
    assert any("every finding counts as new" in n for n in verdict["notes"])


def test_allowlist_and_vex_turn_a_failure_into_a_pass(capsys: pytest.CaptureFixture[str], db: Path,
                                                      tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - severity: {at_least: high, by: vendor, unknown: ignore}\n")
    code, _, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(db), "--skip-db-update")
    assert code == 1
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: CVE-2023-4911\n    source: glibc\n    expires: 2099-01-01\n"
                     "    justification: vulnerable_code_not_in_execute_path\n"
                     "    statement: No setuid binaries in the image; GLIBC_TUNABLES cannot reach ld.so as root.\n")
    code, out, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(db), "--skip-db-update",
                        "--allowlist", str(allow), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["suppressed"] == 2


def test_markdown_for_a_pull_request(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy.yaml"), "--db", str(db),
                        "--skip-db-update", "--format", "markdown")
    assert code == 1
    assert out.startswith("### ❌ seawall gate: **FAIL**")
    assert "| severity >= high (by vendor) | CVE-2023-4911 | libc6@2.36-9+deb12u1 | upgrade libc6" in out


def test_missing_db_is_undecided(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy-lenient.yaml"), "--db",
                        str(tmp_path / "none.db"), "--skip-db-update", "--format", "json")
    assert code == 8
    verdict = json.loads(out)
    assert verdict["decision"] == "undecided" and "no vulnerability DB" in verdict["errors"][0]


def test_corrupt_db_is_undecided(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy-lenient.yaml"), "--db", str(broken),
                        "--skip-db-update")
    assert code == 8 and out.startswith("UNDECIDED")


def test_db_older_than_the_policy_allows_is_undecided(capsys: pytest.CaptureFixture[str], db: Path,
                                                      tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    old.write_bytes(db.read_bytes())
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE meta SET value = '2020-01-01T00:00:00Z' WHERE key = 'updated_at'")
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - db_age: {max_hours: 24}\n")
    code, out, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(old), "--skip-db-update")
    assert code == 8
    assert "data" in out and "h old" in out
    # A critical finding the stale data already shows rejects the image; the stale data is still named.
    policy.write_text("rules:\n  - severity: {at_least: critical}\n  - db_age: {max_hours: 24}\n")
    code, out, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(old), "--skip-db-update")
    assert code == 1 and out.startswith("FAIL")
    assert "data" in out and "h old" in out


def test_invalid_policy_is_undecided_and_says_where(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy-bad.yaml"), "--db", str(db),
                        "--skip-db-update")
    assert code == 8
    assert f"{TRIAGE / 'policy-bad.yaml'}:4:" in out


def test_invalid_allowlist_is_undecided(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy-lenient.yaml"), "--db", str(db),
                        "--skip-db-update", "--allowlist", str(TRIAGE / "allowlist-bad.yaml"))
    assert code == 8 and "allowlist-bad.yaml:3" in out


def test_unreadable_baseline_is_undecided(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "baseline.json"
    bad.write_text("{not json")
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy.yaml"), "--db", str(db),
                        "--skip-db-update", "--baseline", str(bad))
    assert code == 8 and "baseline" in out
    code, out, _ = gate(capsys, TARGET, "--policy", str(TRIAGE / "policy.yaml"), "--db", str(db),
                        "--skip-db-update", "--baseline", str(tmp_path / "missing.json"))
    assert code == 8 and "does not exist" in out


def test_new_only_uses_the_baseline_file(capsys: pytest.CaptureFixture[str], db: Path, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("defaults: {new_only: true}\nrules:\n  - severity: {at_least: low}\n")
    report = scan_rootfs(db)
    baseline = save_baseline(baseline_from_report(report, "local/rootfs"), tmp_path / "b.json")
    code, out, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(db), "--skip-db-update",
                        "--baseline", str(baseline))
    assert code == 0, out
    code, _, _ = gate(capsys, TARGET, "--policy", str(policy), "--db", str(db), "--skip-db-update")
    assert code == 1  # without a baseline everything is new


def test_cached_baseline_is_found_by_repository(db: Path) -> None:
    from seawall.policy.gate import resolve_baseline
    from seawall.policy.schema import load_policy

    report = as_image(scan_rootfs(db), "registry.example.com/backend/api:7")
    path = save_baseline(baseline_from_report(report, "registry.example.com/backend/api"),
                         local_baseline_path("registry.example.com/backend/api"))
    baseline, notes = resolve_baseline(load_policy(TRIAGE / "policy.yaml"), report, None, None)
    assert baseline is not None and baseline.origin == str(path) and notes == []

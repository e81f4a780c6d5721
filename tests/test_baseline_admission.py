"""Baseline entries record how each finding was admitted; a suppression that lapses makes its finding new again.
Judged on a real Debian scan with the allowlist and OpenVEX parsers, no registry involved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.errors import UndecidedError
from seawall.model.finding import ScanReport
from seawall.policy.baseline import baseline_from_data, baseline_from_report, load_baseline, save_baseline
from seawall.policy.gate import Loaded, judge
from seawall.policy.schema import load_policy
from seawall.triage import apply_triage
from seawall.triage.allowlist import load_allowlist
from seawall.triage.vex import load_vex_files
from tests.triage_helpers import TRIAGE, as_image, build_debian_db, scan_rootfs

REPO = "registry.example.com/backend/api"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    db = build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db")
    return as_image(scan_rootfs(db), f"{REPO}:1.4")


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - severity: {at_least: low, new_only: true}\n")
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: CVE-2024-2398\n    source: curl\n    expires: 2025-06-30\n"
                     "    justification: vulnerable_code_not_in_execute_path\n")
    return policy, allow


def test_admissions_are_recorded_and_read_back(report: ScanReport, files: tuple[Path, Path], tmp_path: Path) -> None:
    _, allow = files
    vex = load_vex_files([TRIAGE / "openvex.json"])
    triaged, _ = apply_triage(report, [load_allowlist(allow)], vex, now=datetime(2025, 3, 1, tzinfo=UTC))
    baseline = baseline_from_report(triaged, REPO)
    by_id = {e.ids[0]: e.admitted for e in baseline.entries}
    assert (by_id["CVE-2024-2398"].by, by_id["CVE-2024-2398"].rule, by_id["CVE-2024-2398"].until) == \
        ("allowlist", f"{allow}:2", "2025-06-30")
    assert by_id["CVE-2024-2511"].by == "vex"
    assert by_id["CVE-2023-4911"].by == "unsuppressed"
    again = load_baseline(save_baseline(baseline, tmp_path / "b.json"))
    assert again.entries == baseline.entries
    # Baselines written before admissions were recorded: every entry unsuppressed.
    old = baseline_from_data({"format": "seawall-baseline", "version": 1, "repository": REPO,
                              "entries": [{"ids": ["CVE-2024-2398"], "source": "curl"}]}, "old.json")
    assert old.entries[0].admitted.by == "unsuppressed"
    with pytest.raises(UndecidedError, match="malformed admission"):
        baseline_from_data({"format": "seawall-baseline", "version": 1, "repository": REPO,
                            "entries": [{"ids": ["X"], "source": "curl", "admitted": {"by": "trust-me"}}]}, "bad")


def test_expired_or_withdrawn_suppressions_make_findings_new(report: ScanReport, files: tuple[Path, Path]) -> None:
    policy, allow = files
    vex = load_vex_files([TRIAGE / "openvex.json"])
    allowlists = [load_allowlist(allow)]
    before, after = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    triaged, _ = apply_triage(report, allowlists, vex, now=before)
    baseline = baseline_from_report(triaged, REPO)
    loaded = Loaded(load_policy(policy), allowlists, vex)
    assert judge(report, loaded, target=REPO, baseline=baseline, now=before).verdict.decision == "pass"
    expired = judge(report, loaded, target=REPO, baseline=baseline, now=after).verdict
    assert expired.decision == "fail"
    assert {v.finding_id for v in expired.violations} == {"CVE-2024-2398"}
    assert any("suppressed by allowlist entry" in n and "until 2025-06-30" in n for n in expired.notes)
    withdrawn = judge(report, Loaded(load_policy(policy), allowlists, []), target=REPO, baseline=baseline,
                      now=before).verdict
    assert {v.finding_id for v in withdrawn.violations} == {"CVE-2024-2511"}
    assert any("suppressed by VEX statement" in n for n in withdrawn.notes)


def test_an_earlier_unsuppressed_admission_is_kept(report: ScanReport, files: tuple[Path, Path]) -> None:
    _, allow = files
    first = baseline_from_report(report, REPO)  # production ran it before anyone allowlisted it
    triaged, _ = apply_triage(report, [load_allowlist(allow)], [], now=datetime(2025, 3, 1, tzinfo=UTC))
    second = baseline_from_report(triaged, REPO, previous=first)
    assert {e.ids[0]: e.admitted.by for e in second.entries}["CVE-2024-2398"] == "unsuppressed"
    assert json.loads(json.dumps(second.to_data()))["entries"][0]["admitted"]

"""Language packages match by ecosystem with OSV range semantics; aliases merge; scores come along."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.model.finding import Finding
from seawall.model.vuln import Severity, Status
from seawall.scan import scan_target

ASSETS = Path(__file__).parent / "assets"
MATCH = ASSETS / "match"


@pytest.fixture(scope="module")
def report_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Finding]:
    db = tmp_path_factory.mktemp("db") / "seawall.db"
    feeds = select_feeds(["osv", "kev", "epss"], [
        f"osv={MATCH / 'osv'}",
        f"kev={ASSETS / 'feeds' / 'kev' / 'known_exploited_vulnerabilities.json'}",
        f"epss={ASSETS / 'feeds' / 'epss' / 'epss_scores-2024-10-10.csv.gz'}",
    ])
    assert update_db(db, feeds).installed
    report = scan_target(f"dir:{MATCH / 'app-rootfs'}", db=db, auto_update=False)
    return {(f.package.name, f.id): f for f in report.findings}


def test_aliases_merge_into_one_finding_named_by_its_cve(report_findings: dict) -> None:
    requests = [f for (name, _), f in report_findings.items() if name == "requests"]
    assert len(requests) == 1
    (finding,) = requests
    assert finding.id == "CVE-2018-18074"
    assert set(finding.aliases) >= {"PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"}
    assert {d.feed for d in finding.details} == {"osv"}
    assert {d.advisory_id for d in finding.details} == {"PYSEC-2018-28", "GHSA-x84v-xcm2-53pg"}
    assert finding.fixed_versions == ("2.20.0",) and finding.status is Status.FIXED
    assert finding.details[0].searched_name == "requests" and finding.details[0].namespace == "pypi"


def test_semver_ranges_and_severity_from_the_advisory(report_findings: dict) -> None:
    finding = report_findings[("semver", "CVE-2022-25883")]
    assert finding.fixed_versions and "7.5.2" in finding.fixed_versions
    assert finding.severity is not Severity.UNKNOWN


def test_last_affected_is_inclusive_and_fixed_below_is_not_a_match(report_findings: dict) -> None:
    assert ("left-pad", "CVE-2099-0001") in report_findings  # 1.3.0 == last_affected
    assert report_findings[("left-pad", "CVE-2099-0001")].status is Status.AFFECTED
    assert not any(f.id == "GHSA-test-limit" for f in report_findings.values())  # fixed in 1.1.0 < 1.3.0


def test_maven_by_group_and_artifact_with_kev_and_epss(report_findings: dict) -> None:
    finding = report_findings[("log4j-core", "CVE-2021-44228")]
    assert finding.details[0].searched_name == "org.apache.logging.log4j:log4j-core"
    assert finding.kev is not None
    assert finding.epss is not None and finding.epss.score == pytest.approx(0.9756)
    assert finding.severity is Severity.CRITICAL


def test_unaffected_packages_have_no_findings(report_findings: dict) -> None:
    assert not any(name == "@types/node" for name, _ in report_findings)

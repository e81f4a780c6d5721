"""Other scanners' reports (Trivy JSON, Grype JSON, SARIF, CycloneDX) read into one model, keeping what each states;
seawall's own Trivy-shaped output reads back with nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.errors import InputError
from seawall.feeds import select_feeds
from seawall.image.options import FetchOptions
from seawall.model.imported import ImportedReport
from seawall.model.vuln import Severity
from seawall.reports import load_report, parse_report
from seawall.scan import scan_target

ASSETS = Path(__file__).parent / "assets"
REPORTS = ASSETS / "reports"


def by_key(report: ImportedReport) -> dict[tuple[str, str], object]:
    return {(f.package.name, f.id): f for f in report.findings}


def test_trivy_json_keeps_sources_vendor_ratings_scores_and_the_inventory() -> None:
    report = load_report(REPORTS / "trivy-bookworm.json")
    assert (report.format, report.tool, report.distro) == ("trivy-json", "Trivy", "debian 12.4")
    assert report.created_at == "2025-03-10T09:12:44.118402Z" and report.db_built is None
    assert report.lists_all_packages and "libgcrypt20" not in {p.name for p in report.packages}
    login = next(p for p in report.packages if p.name == "login")
    assert (login.version, login.source_name, login.source_version) == ("1:4.13+dfsg1-1+b1", "shadow", "1:4.13+dfsg1-1")
    findings = by_key(report)
    zlib = findings[("zlib1g", "CVE-2099-1004")]
    assert zlib.severity is Severity.CRITICAL and zlib.severity_source == "nvd"
    assert dict(zlib.vendor_severity) == {"debian": Severity.LOW, "nvd": Severity.CRITICAL}
    assert [(c.source, c.version, c.score) for c in zlib.cvss] == [("nvd", "3.1", 9.8)]
    libc = findings[("libc6", "CVE-2023-4911")]
    assert libc.fixed_versions == ("2.36-9+deb12u3",) and libc.status == "fixed"
    assert libc.package.source_name == "glibc" and libc.package.purl.startswith("pkg:deb/debian/libc6@")
    assert findings[("curl", "CVE-2023-38546")].status == "will_not_fix"


def test_grype_json_keeps_match_kinds_upstreams_related_ids_and_the_db_date() -> None:
    report = load_report(REPORTS / "grype-bookworm.json")
    assert (report.tool, report.tool_version, report.db_built) == ("grype", "0.86.1", "2025-01-15T01:23:45Z")
    assert not report.lists_all_packages
    findings = by_key(report)
    cpe = findings[("curl", "CVE-2099-1002")]
    assert cpe.by_cpe and cpe.namespace == "nvd:cpe" and cpe.matches[0].constraint == "< 8.0.0 (unknown)"
    libc = findings[("libc6", "CVE-2023-4911")]
    assert not libc.by_cpe and libc.matches[0].kind == "exact-indirect-match"
    assert libc.matches[0].searched_name == "glibc" and libc.package.source_name == "glibc"
    assert libc.severity is Severity.HIGH and libc.severity_stated == "High"
    assert ("nvd", "3.1", 7.8) in {(c.source[:3], c.version, c.score) for c in libc.cvss}
    urllib3 = findings[("urllib3", "CVE-2099-1003")]
    assert urllib3.aliases == ("GHSA-99aa-bbcc-ddee",) and urllib3.package.purl == "pkg:pypi/urllib3@1.26.12"
    assert findings[("libc6", "CVE-2010-4756")].severity is Severity.NEGLIGIBLE
    assert findings[("curl", "CVE-2023-38546")].status == "wont-fix"


def test_trivy_sarif_reads_package_version_and_fix_from_the_message() -> None:
    report = load_report(REPORTS / "trivy-bookworm.sarif")  # written by `trivy convert --format sarif` 0.59.1
    assert (report.format, report.tool, report.tool_version) == ("sarif", "Trivy", "0.59.1")
    findings = by_key(report)
    assert len(findings) == 17
    curl = findings[("curl", "CVE-2024-2398")]
    assert curl.package.version == "7.88.1-10+deb12u4" and curl.fixed_versions == ("7.88.1-10+deb12u6",)
    assert curl.severity is Severity.MEDIUM
    assert findings[("login", "CVE-2023-4641")].package.version == "1:4.13+dfsg1-1+b1"


def test_grype_sarif_reads_the_id_out_of_the_rule_and_the_package_from_help() -> None:
    report = load_report(REPORTS / "grype-bookworm.sarif")
    assert (report.tool, report.tool_version) == ("grype", "0.86.1")
    findings = by_key(report)
    libc = findings[("libc6", "CVE-2023-4911")]
    assert libc.package.version == "2.36-9+deb12u1" and libc.fixed_versions == ("2.36-9+deb12u3",)
    assert libc.severity is Severity.HIGH and libc.package.type == "deb"
    curl = findings[("curl", "CVE-2099-1002")]
    assert curl.fixed_versions == () and curl.namespace == "nvd:cpe" and curl.by_cpe


def test_cyclonedx_vulnerabilities_resolve_their_components() -> None:
    report = load_report(REPORTS / "trivy-bookworm.cdx.json")  # `trivy convert --format cyclonedx` 0.59.1
    assert (report.format, report.tool, report.tool_version) == ("cyclonedx", "trivy", "0.59.1")
    findings = by_key(report)
    tar = findings[("tar", "CVE-2005-2541")]
    assert tar.package.version == "1.34+dfsg-1.2+deb12u1" and tar.package.purl.startswith("pkg:deb/debian/tar@")
    assert tar.severity_source == "debian" and tar.severity is Severity.LOW
    assert dict(tar.vendor_severity)["nvd"] is Severity.CRITICAL
    login = next(p for p in report.packages if p.name == "login")
    assert login.source_name == "shadow"


@pytest.mark.parametrize(("text", "expected"), [
    ("not json at all", "is not JSON"),
    ('{"SchemaVersion": 2, "Results": {"Target": "x"}}', "not a valid trivy-json report"),
    ('{"SchemaVersion": 1, "Results": []}', "SchemaVersion 1"),
    ('{"matches": [{"vulnerability": {}}], "descriptor": {}}', "not a valid grype-json report"),
    ('{"version": "2.1.0", "runs": "nope"}', "not a valid sarif report"),
    ('{"bomFormat": "CycloneDX", "vulnerabilities": [{"affects": []}]}', "not a valid cyclonedx report"),
    ('{"hello": "world"}', "not a report format seawall reads"),
])
def test_a_malformed_report_is_one_line_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_report(path)
    line = caught.value.one_line()
    assert expected in line and str(path) in line and "\n" not in line


def test_a_missing_report_file_is_named() -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_report(REPORTS / "no-such-report.json")


def test_seawall_trivy_json_output_round_trips(tmp_path: Path) -> None:
    pytest.importorskip("seawall.output.trivy_json", reason="seawall's trivy-json renderer is not present")
    from seawall.output.scan import render_scan

    db = tmp_path / "seawall.db"
    assert update_db(db, select_feeds(["debian"], [f"debian={ASSETS / 'match' / 'debian-tracker.json'}"])).installed
    scan = scan_target(f"dir:{ASSETS / 'match' / 'debian-bookworm'}", db=db, auto_update=False,
                       fetch=FetchOptions(cache_dir=tmp_path / "cache"))
    assert scan.findings
    import json

    imported = parse_report(json.loads(render_scan(scan, "trivy-json")), "seawall.trivy.json")
    got = {(f.package.name, f.package.version, f.id): f for f in imported.findings}
    assert len(got) == len(scan.findings)
    for finding in scan.findings:
        mine = got[(finding.package.name, finding.package.version, finding.id)]
        assert set(mine.ids) >= set(finding.ids)
        assert mine.severity is finding.severity
        assert mine.fixed_versions == finding.fixed_versions
        assert mine.status == finding.status.value
        assert mine.package.purl == finding.package.purl

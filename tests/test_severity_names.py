"""Real data end to end: PyPA and the Debian advisory lists rated by the NVD excerpt through the `nvd` feed.

Every finding NVD rates leaves `unknown`; a DSA finding carries its CVEs and the highest NVD rating among them, so
CVE-keyed allowlists, baselines and exports find it; a new finding nothing rates fails a `severity` rule.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seawall.cli.main import main
from seawall.compare.align import align
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.fleet.records import FindingRow, ImageResult, apply_findings
from seawall.fleet.report import ImageView, ReportData
from seawall.fleet.store import RunInfo
from seawall.model.finding import Finding, ScanReport
from seawall.model.imported import ImportedFinding, ImportedPackage, ImportedReport
from seawall.model.vuln import Severity
from seawall.policy.baseline import baseline_from_report, save_baseline
from seawall.scan import scan_target
from seawall.triage.allowlist import apply_allowlists, load_allowlist
from seawall.triage.export import to_grype, to_openvex, to_trivyignore
from seawall.triage.vex import apply_vex, load_vex
from tests.imagebuild import add_image, write_index

pytestmark = pytest.mark.shared

SITE = "/usr/local/lib/python3.11/site-packages"
# bench/corpus.py's py-app: old PyPI releases with published advisories on a Debian base
PYPI = ["requests==2.19.0", "urllib3==1.24.1", "idna==2.7", "chardet==3.0.4", "certifi==2018.4.16", "django==2.2.0",
        "sqlparse==0.2.4", "pytz==2018.9", "jinja2==2.10", "flask==0.12.2", "werkzeug==0.14.1", "itsdangerous==0.24",
        "click==6.7", "pyjwt==1.5.0", "paramiko==2.4.0"]
RANK = ["unknown", "negligible", "low", "medium", "high", "critical"]
OS_RELEASE = {
    "bookworm": b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
                b'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "bullseye": b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\n'
                b'VERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n',
}


def _dpkg_status(inventory: dict) -> bytes:
    paragraphs = []
    for entry in inventory["packages"]:
        lines = [f"Package: {entry['name']}", "Status: install ok installed", f"Architecture: {entry['arch'] or 'all'}"]
        if entry["source"] != entry["name"] or entry["source_version"] != entry["version"]:
            version = f" ({entry['source_version']})" if entry["source_version"] != entry["version"] else ""
            lines.append(f"Source: {entry['source']}{version}")
        lines += [f"Version: {entry['version']}", "Maintainer: Debian <debian@example.org>", "Description: x"]
        paragraphs.append("\n".join(lines))
    return ("\n\n".join(paragraphs) + "\n").encode()


def _image(dest: Path, shared: Path, suite: str, pypi: list[str]) -> str:
    inventory = json.loads((shared / "repo-info-inventories" / f"debian__{suite}-20230109-slim.json").read_text())
    layers: list[dict] = [{"/etc/os-release": OS_RELEASE[suite], "/var/lib/dpkg/status": _dpkg_status(inventory)}]
    if pypi:
        layers.append({f"{SITE}/{name}-{version}.dist-info/METADATA":
                       f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
                       for name, version in (spec.split("==") for spec in pypi)})
    dest.mkdir(parents=True)
    write_index(dest, [add_image(dest, layers, history=["debootstrap", "RUN pip install"][:len(layers)])], "latest")
    return f"oci:{dest}:latest"


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Path:
    if not (shared_data / "nvd-excerpt" / "records").is_dir():
        pytest.skip("../shared/data/nvd-excerpt is absent")
    return shared_data


def _db(path: Path, data: Path, *, nvd: bool) -> Path:
    names = ["osv", "debian-advisories", *(["nvd"] if nvd else [])]
    sources = [f"osv={data / 'pypa-advisory-db' / 'vulns'}",
               f"debian-advisories={data / 'debian-security-tracker' / 'data'}",
               *([f"nvd={data / 'nvd-excerpt' / 'records'}"] if nvd else [])]
    report = update_db(path, select_feeds(names, sources))
    assert report.installed and not report.failed, report.outcomes
    return path


@pytest.fixture(scope="module")
def db(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _db(tmp_path_factory.mktemp("db") / "seawall.db", data, nvd=True)


@pytest.fixture(scope="module")
def py_app(data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _image(tmp_path_factory.mktemp("img") / "py-app", data, "bookworm", PYPI)


@pytest.fixture(scope="module")
def bullseye(data: Path, db: Path, tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    target = _image(tmp_path_factory.mktemp("img") / "bullseye", data, "bullseye", [])
    return scan_target(target, db=db, auto_update=False)


def _nvd_rating(data: Path, cve: str) -> str | None:
    """NVD's own baseSeverity, read straight from the record: v4.0, v3.1, v3.0, v2, Primary before Secondary."""
    path = data / "nvd-excerpt" / "records" / f"{cve}.json"
    if not path.is_file():
        return None
    metrics = json.loads(path.read_text()).get("metrics") or {}
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        entries = sorted(metrics.get(key, ()), key=lambda m: m.get("type") != "Primary")
        for metric in entries:
            severity = metric["cvssData"].get("baseSeverity") or metric.get("baseSeverity")
            if severity:
                return str(severity).lower()
    return None


def _dsa(report: ScanReport, package: str) -> Finding:
    return next(f for f in report.findings if f.id == "DSA-5343-1" and f.package.name == package)


def test_py_app_leaves_nothing_unknown_that_nvd_rates(data: Path, db: Path, py_app: str,
                                                      tmp_path: Path) -> None:
    report = scan_target(py_app, db=db, auto_update=False)
    unknown = [f for f in report.findings if f.severity is Severity.UNKNOWN]
    assert not [(f.id, ids) for f in unknown if (ids := [i for i in f.ids if _nvd_rating(data, i)])]
    assert all(f.severity_source == "none" for f in unknown)
    rated_by_nvd = [f for f in report.findings if f.severity_source.startswith("cvss:nvd@nist.gov:")]
    assert len(rated_by_nvd) >= 40
    # the NVD rating is the record's own: the same word NVD prints beside the score
    for finding in rated_by_nvd:
        assert finding.severity.value == _nvd_rating(data, finding.id), finding.id
    # the same image against the same DB without NVD: most findings had no rating at all
    without = scan_target(py_app, db=_db(tmp_path / "no-nvd.db", data, nvd=False), auto_update=False)
    assert len(without.findings) == len(report.findings)
    assert sum(f.severity is Severity.UNKNOWN for f in without.findings) > 4 * max(len(unknown), 1)


def test_a_dsa_finding_carries_its_cves_and_their_highest_rating(data: Path, bullseye: ScanReport) -> None:
    finding = _dsa(bullseye, "libssl1.1")
    assert "CVE-2023-0286" in finding.ids
    cves = [i for i in finding.ids if i.startswith("CVE-")]
    assert sorted(cves) == ["CVE-2022-2097", "CVE-2022-4304", "CVE-2022-4450", "CVE-2023-0215", "CVE-2023-0286"]
    highest = max((r for c in cves if (r := _nvd_rating(data, c))), key=RANK.index)
    assert finding.severity.value == highest
    assert finding.severity_source.startswith("cvss:nvd@nist.gov:3.")
    assert finding.severity_id in cves and _nvd_rating(data, finding.severity_id) == highest
    # one finding per vulnerability and package: the DSA is not reported again under its CVEs
    assert not [f for f in bullseye.findings if f.package.name == "libssl1.1" and f.id.startswith("CVE-2023-0286")]


def test_a_cve_keyed_allowlist_entry_suppresses_the_dsa_finding(bullseye: ScanReport, tmp_path: Path) -> None:
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: CVE-2023-0286\n    source: openssl\n    expires: 2099-01-01\n"
                     "    statement: X.400 addresses are never parsed here.\n")
    triaged, _ = apply_allowlists(bullseye, [load_allowlist(allow)])
    openssl = [f for f in triaged.findings if f.id == "DSA-5343-1"]
    assert openssl and all(f.suppressed for f in openssl)
    # Trivy and grype report Debian's findings by CVE: the exports say the CVE, never the DSA
    trivy = to_trivyignore([load_allowlist(allow)], findings=bullseye.findings).text
    grype = to_grype([load_allowlist(allow)], findings=bullseye.findings).text
    assert "id: CVE-2023-0286" in trivy and "DSA-" not in trivy
    assert "vulnerability: CVE-2023-0286" in grype and "DSA-" not in grype


def test_a_dsa_keyed_entry_exports_as_the_cves_the_other_tools_report(bullseye: ScanReport, tmp_path: Path) -> None:
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: DSA-5343-1\n    source: openssl\n    expires: 2099-01-01\n"
                     "    statement: Rebuilt on the next point release.\n")
    trivy = to_trivyignore([load_allowlist(allow)], findings=bullseye.findings).text
    ids = sorted(line.split(": ")[1] for line in trivy.splitlines() if line.startswith("- id: "))
    assert ids == ["CVE-2022-2097", "CVE-2022-4304", "CVE-2022-4450", "CVE-2023-0215", "CVE-2023-0286"]


def test_a_baseline_keyed_by_cve_knows_the_dsa_finding(bullseye: ScanReport) -> None:
    baseline = baseline_from_report(bullseye, "example/app")
    finding = _dsa(bullseye, "libssl1.1")
    assert baseline.knows(finding)
    as_cve = Finding(id="CVE-2023-0286", aliases=(), package=finding.package, status=finding.status,
                     severity=finding.severity, severity_source=finding.severity_source)
    assert baseline.knows(as_cve)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    return int(info.value.code or 0), capsys.readouterr().out


def _gate(capsys: pytest.CaptureFixture[str], policy: Path, target: str, db: Path, baseline: Path) -> tuple[int, dict]:
    code, out = _run(capsys, "gate", target, "--policy", str(policy), "--db", str(db), "--skip-db-update",
                     "--baseline", str(baseline), "--format", "json")
    return code, json.loads(out)


def test_a_new_finding_of_unknown_severity_fails_the_gate_unless_ignored(
        data: Path, db: Path, py_app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The baseline: the same application before it added pyjwt, whose advisories nothing in this DB rates.
    before = scan_target(_image(tmp_path / "before", data, "bookworm", [p for p in PYPI if "pyjwt" not in p]),
                         db=db, auto_update=False)
    assert any(f.severity is Severity.CRITICAL for f in before.findings)
    baseline = save_baseline(baseline_from_report(before, "example/app"), tmp_path / "baseline.json")
    strict = tmp_path / "strict.yaml"
    # This DB has no Debian 12 data: the policy accepts that, so that the Python packages decide.
    strict.write_text('coverage: {allow: ["debian:12"]}\nrules:\n  - severity: {at_least: critical, new_only: true}\n')
    code, verdict = _gate(capsys, strict, py_app, db, baseline)
    assert code == 1 and verdict["decision"] == "fail"
    assert {v["package"].split("@")[0] for v in verdict["violations"]} == {"pyjwt"}
    assert all("severity unknown" in v["message"] and "seawall db update" in v["remedy"]
               for v in verdict["violations"])
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text('coverage: {allow: ["debian:12"]}\n'
                       "rules:\n  - severity: {at_least: critical, new_only: true, unknown: ignore}\n")
    code, verdict = _gate(capsys, lenient, py_app, db, baseline)
    assert code == 0 and verdict["decision"] == "pass", verdict


def test_scan_severity_filter_accepts_unknown(db: Path, py_app: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "scan", py_app, "--db", str(db), "--skip-db-update", "--scanners", "vuln",
                     "--severity", "UNKNOWN", "--format", "json")
    assert code == 0, out
    findings = [f for p in json.loads(out)["packages"] for f in p.get("findings", ())]
    assert findings and {f["severity"] for f in findings} == {"unknown"}


def test_vex_in_and_out_speak_of_the_cves(bullseye: ScanReport, tmp_path: Path) -> None:
    finding = _dsa(bullseye, "libssl1.1")
    vex = tmp_path / "openssl.openvex.json"
    vex.write_text(json.dumps({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/1", "author": "Platform team",
        "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "CVE-2023-0286"}, "products": [{"@id": finding.package.purl}],
                        "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}))
    triaged, _ = apply_vex(bullseye, load_vex(vex))
    assert _dsa(triaged, "libssl1.1").suppressed
    allow = tmp_path / "allow.yaml"
    allow.write_text("entries:\n  - id: DSA-5343-1\n    source: openssl\n    expires: 2099-01-01\n"
                     "    justification: vulnerable_code_not_in_execute_path\n    statement: Never reached.\n")
    doc = json.loads(to_openvex([load_allowlist(allow)], findings=bullseye.findings).text)
    (statement,) = doc["statements"]
    assert statement["vulnerability"]["name"] == "DSA-5343-1"
    assert "CVE-2023-0286" in statement["vulnerability"]["aliases"]


def test_compare_aligns_each_cve_of_the_dsa_with_the_other_tools_finding(db: Path, bullseye: ScanReport) -> None:
    finding = _dsa(bullseye, "libssl1.1")
    cves = sorted(i for i in finding.ids if i.startswith("CVE-"))
    package = ImportedPackage(name="libssl1.1", version=finding.package.version, type="debian",
                              purl=finding.package.purl)
    trivy = ImportedReport(path="trivy.json", format="trivy-json", tool="Trivy", findings=tuple(
        ImportedFinding(id=cve, package=package, severity=Severity.HIGH, fixed_versions=finding.fixed_versions)
        for cve in cves))
    with VulnStore.open(db) as store:
        rows = [r for r in align(bullseye, [trivy], store) if r.package_name == "libssl1.1"]
    by_cve = {r.vulnerability: r for r in rows if r.vulnerability in cves}
    assert sorted(by_cve) == cves  # one row per CVE, each with seawall's DSA finding and Trivy's CVE finding
    assert all(r.seawall is finding and r.others[0] is not None and r.others[0].id == cve
               for cve, r in by_cve.items())
    assert not [r for r in rows if r.vulnerability == "DSA-5343-1"]


def test_fleet_top_list_counts_each_cve_once_whatever_its_ids(bullseye: ScanReport) -> None:
    first = ImageResult(run_id="r", key="debian:11-slim", repository="debian", tag="11-slim", reference="debian")
    apply_findings(first, list(bullseye.findings))
    # a second image whose scan reports CVE-2023-0286 on its own, with the DSA as an alias
    second = ImageResult(run_id="r", key="app:1", repository="app", tag="1", reference="app",
                         findings=[FindingRow("CVE-2023-0286", "libssl1.1", "1.1.1n-0+deb11u3", "deb", "high", "fixed",
                                              aliases="DSA-5343-1 GHSA-x"),
                                   FindingRow("DSA-5343-1", "openssl", "1.1.1n-0+deb11u3", "deb", "high", "fixed",
                                              aliases="CVE-2023-0286")])
    data = ReportData(run=RunInfo(id="r", catalog="official", strategy="latest", platform=None, started_at="x"),
                      images=[ImageView(first, None), ImageView(second, None)], trend=[], generated_at="x")
    top = {row["id"]: row for row in data.top_cves(limit=100)}
    assert "DSA-5343-1" not in top
    assert top["CVE-2023-0286"]["images"] == 2 and top["CVE-2022-4450"]["images"] == 1

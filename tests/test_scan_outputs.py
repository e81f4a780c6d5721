"""Scan report formats: what CI tools, code scanning, Trivy readers and people rely on in each."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from referencing import Registry, Resource

from seawall.model.finding import ScanReport
from seawall.model.vuln import CVSS, Severity
from seawall.output.cyclonedx import render_cyclonedx
from seawall.output.scan import SCAN_RENDERERS, ScanView, render_scan
from seawall.output.scan_table import render_table
from seawall.output.scan_text import document_serial, scanned_at
from tests.scan_fixtures import debian_scan, empty_scan, uncovered_scan
from tests.snapshot import assert_snapshot

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "src" / "seawall" / "output" / "schemas"
SARIF_SCHEMA = REPO / "tests" / "assets" / "schemas" / "sarif-2.1.0.json"
SPDX_SCHEMA = REPO / "tests" / "assets" / "schemas" / "spdx-schema-2.3.json"
SNAPSHOTS = {
    "table": "scan/debian.table.txt",
    "json": "scan/debian.seawall.json",
    "sarif": "scan/debian.sarif.json",
    "markdown": "scan/debian.md",
    "trivy-json": "scan/debian.trivy.json",
    "cyclonedx": "scan/debian.cdx.json",
    "spdx": "scan/debian.spdx.json",
}
ALL = ScanView(show_suppressed=True)


@pytest.fixture(scope="module")
def report() -> ScanReport:
    return debian_scan()


def doc(report: ScanReport, fmt: str, view: ScanView | None = None) -> Any:
    return json.loads(render_scan(report, fmt, view))


def seawall_validator() -> jsonschema.Draft202012Validator:
    scan = json.loads((SCHEMAS / "scan-v1.json").read_text())
    sbom = json.loads((SCHEMAS / "sbom-v1.json").read_text())
    registry = Registry().with_resources(
        [(scan["$id"], Resource.from_contents(scan)), (sbom["$id"], Resource.from_contents(sbom))]
    )
    jsonschema.Draft202012Validator.check_schema(scan)
    return jsonschema.Draft202012Validator(scan, registry=registry)


def sarif_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


# --- every format ------------------------------------------------------------------------------------------------


def test_every_cli_format_has_a_renderer() -> None:
    from seawall.cli.scan import SCAN_FORMATS

    assert set(SCAN_FORMATS) == set(SCAN_RENDERERS) == set(SNAPSHOTS)


@pytest.mark.parametrize("fmt", list(SNAPSHOTS))
def test_every_format_matches_its_golden_file(report: ScanReport, fmt: str) -> None:
    assert_snapshot(SNAPSHOTS[fmt], render_scan(report, fmt))


@pytest.mark.parametrize("fmt", list(SNAPSHOTS))
def test_the_same_report_renders_the_same_bytes(fmt: str) -> None:
    assert render_scan(debian_scan(), fmt) == render_scan(debian_scan(), fmt)


@pytest.mark.parametrize("fmt", list(SNAPSHOTS))
def test_a_scan_with_no_findings_still_writes_a_complete_document(fmt: str) -> None:
    text = render_scan(empty_scan(), fmt)
    assert text.endswith("\n")
    if fmt in ("table", "markdown"):
        assert "No vulnerabilities found in 6 packages, all covered by the DB." in text
    else:
        json.loads(text)


# --- table ---------------------------------------------------------------------------------------------------------


def test_table_fits_100_columns_and_has_no_colour_codes_when_piped(report: ScanReport) -> None:
    text = render_scan(report, "table", ALL)
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_table_says_every_debian_verdict_in_words(report: ScanReport) -> None:
    text = render_scan(report, "table")
    for words in ("fixed in 3.0.11-1~deb12u2", "no fix", "will not fix", "fix deferred", "minor", "negligible",
                  "end-of-life"):
        assert words in text


def test_table_puts_the_worst_package_first_and_worst_finding_first(report: ScanReport) -> None:
    lines = render_scan(report, "table").splitlines()
    package_lines = [line for line in lines if line and not line.startswith((" ", "ID", "CVE", "GHSA"))]
    assert package_lines[2].startswith("org.apache.logging.log4j:log4j-core")  # the critical, known-exploited one
    libssl = lines.index(next(line for line in lines if line.startswith("libssl3 ")))
    ids = [line.split()[0] for line in lines[libssl + 2: libssl + 9]]
    assert ids[:2] == ["CVE-2023-5363", "CVE-2024-4741"] and ids[-1] == "CVE-2010-0928"


def test_table_summary_counts_and_filters(report: ScanReport) -> None:
    text = render_scan(report, "table", ScanView(severities=frozenset({Severity.CRITICAL, Severity.HIGH})))
    summary = next(line for line in text.splitlines() if " findings: " in line or " finding: " in line)
    assert summary.startswith("6 findings: critical 1, high 5")
    assert "KEV 1" in summary and "suppressed 2" in summary and "6 hidden by filters" in summary
    assert "CVE-2023-32681" not in text  # medium: filtered out


def test_table_hides_suppressed_findings_unless_asked_but_counts_them(report: ScanReport) -> None:
    hidden = render_scan(report, "table")
    assert "CVE-2024-35195" not in hidden and "suppressed 2" in hidden
    shown = render_scan(report, "table", ALL)
    assert "CVE-2024-35195" in shown and "suppressed (allowlist)" in shown


def test_table_only_app_and_ignore_unfixed(report: ScanReport) -> None:
    app = render_scan(report, "table", ScanView(only_app=True))
    assert "libssl3" not in app and "CVE-2021-44228" in app
    fixable = render_scan(report, "table", ScanView(ignore_unfixed=True))
    assert "CVE-2024-4741" not in fixable and "CVE-2023-5363" in fixable


def test_table_states_db_age_and_a_failed_feed(report: ScanReport) -> None:
    text = render_scan(report, "table")
    assert "DB built 2024-06-12T06:12:00Z (3 h before the scan)" in text
    assert "nvd: last update failed" in text


def test_table_in_colour_for_a_terminal(report: ScanReport) -> None:
    coloured = render_table(report, ScanView(), width=100, color=True)
    assert "\x1b[1;31mcritical" in coloured  # critical: bold red


# --- seawall JSON --------------------------------------------------------------------------------------------------


def test_json_validates_against_its_published_schema(report: ScanReport) -> None:
    validator = seawall_validator()
    for view in (ScanView(), ALL, ScanView(severities=frozenset({Severity.LOW}), only_app=True)):
        validator.validate(doc(report, "json", view))
    validator.validate(doc(empty_scan(), "json"))


def test_json_keeps_every_fact_of_a_finding(report: ScanReport) -> None:
    document = doc(report, "json")
    assert document["schemaVersion"] == 1
    findings = {(f["id"], group["package"]["name"]): f for group in document["packages"] for f in group["findings"]}
    requests = findings["CVE-2023-32681", "requests"]
    assert requests["aliases"] == ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    assert requests["severity_source"] == "ghsa" and requests["fix_available"] is True
    assert [d["advisory_id"] for d in requests["details"]] == ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    log4shell = findings["CVE-2021-44228", "org.apache.logging.log4j:log4j-core"]
    assert log4shell["kev"]["date_added"] == "2021-12-10" and log4shell["epss"]["score"] == pytest.approx(0.97565)
    assert log4shell["in_base_image"] is False
    minor = findings["CVE-2024-5535", "libssl3"]
    assert (minor["status"], minor["severity"], minor["severity_source"]) == ("minor", "low", "debian")
    assert minor["cvss"]["score"] == 9.1 and minor["in_base_image"] is True
    assert findings["CVE-2023-39325", "golang.org/x/net"]["version_unknown"] is True
    assert document["db"]["feeds"][3]["error"].startswith("HTTP 503")


def test_json_marks_suppressed_findings_instead_of_dropping_them(report: ScanReport) -> None:
    findings = [f for group in doc(report, "json")["packages"] for f in group["findings"]]
    waived = next(f for f in findings if f["id"] == "CVE-2024-35195")
    assert waived["suppressed"] is True
    assert waived["suppressions"][0] == {
        "kind": "allowlist", "rule": ".seawall-allow.yaml:12", "source": ".seawall-allow.yaml", "owner": "team-api",
        "expires": "2024-09-30", "reason": "the service never sets verify=False on a Session",
    }


def test_json_applies_the_filters_and_says_which(report: ScanReport) -> None:
    document = doc(report, "json", ScanView(ignore_unfixed=True, only_app=True))
    findings = [f for group in document["packages"] for f in group["findings"]]
    assert findings and all(f["fix_available"] and f["in_base_image"] is False for f in findings)
    assert document["filters"]["ignoreUnfixed"] is True
    assert document["summary"]["hiddenByFilters"] == 9


# --- SARIF ---------------------------------------------------------------------------------------------------------


def test_sarif_validates_against_the_official_2_1_0_schema(report: ScanReport) -> None:
    validator = sarif_validator()
    validator.validate(doc(report, "sarif"))
    validator.validate(doc(empty_scan(), "sarif"))


def test_sarif_has_what_github_code_scanning_needs(report: ScanReport) -> None:
    log = doc(report, "sarif")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "seawall" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert len(rules) == len(driver["rules"])
    assert {"secret/private-key", "secret/github-token", "config/setuid-binary"} <= set(rules)
    for rule_id, rule in rules.items():
        float(rule["properties"]["security-severity"])
        kind = {"secret": "secret", "config": "configuration"}.get(rule_id.partition("/")[0], "vulnerability")
        assert rule["properties"]["tags"][:2] == ["security", kind]
        assert rule["help"]["text"] and rule["help"]["markdown"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/")
        assert result["partialFingerprints"]
    assert rules["CVE-2021-44228"]["properties"]["security-severity"] == "10.0"
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["CVE-2021-44228"] == "error" and levels["CVE-2023-32681"] == "warning"
    assert levels["CVE-2010-0928"] == "note"


def test_sarif_security_severity_agrees_with_the_reported_severity(report: ScanReport) -> None:
    rules = {rule["id"]: rule for rule in doc(report, "sarif")["runs"][0]["tool"]["driver"]["rules"]}
    # Debian rates CVE-2024-5535 low although NVD scores it 9.1: GitHub must not call it critical.
    assert rules["CVE-2024-5535"]["properties"]["security-severity"] == "2.0"
    assert rules["CVE-2023-5363"]["properties"]["security-severity"] == "7.5"


def test_sarif_keeps_suppressed_findings_with_their_justification(report: ScanReport) -> None:
    results = doc(report, "sarif")["runs"][0]["results"]
    waived = [r for r in results if r.get("suppressions")]
    assert {r["ruleId"] for r in waived} == {"CVE-2024-35195", "CVE-2022-23491"}
    assert all(s["kind"] == "external" and s["justification"] for r in waived for s in r["suppressions"])
    fingerprints = [next(iter(r["partialFingerprints"].values())) for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


# --- Markdown ------------------------------------------------------------------------------------------------------


def test_markdown_is_a_pr_comment_with_counts_and_linked_ids(report: ScanReport) -> None:
    text = render_scan(report, "markdown")
    assert "| 1 | 5 | 2 | 3 | 1 | 0 | 5 | 1 |" in text
    assert "[CVE-2023-5363](https://security-tracker.debian.org/tracker/CVE-2023-5363)" in text
    assert "2 suppressed" in text and "CVE-2024-35195" not in text
    assert "suppressed: the service never sets" in render_scan(report, "markdown", ALL)


# --- Trivy JSON ----------------------------------------------------------------------------------------------------


def test_trivy_json_has_trivys_shape_and_field_names(report: ScanReport) -> None:
    document = doc(report, "trivy-json")
    assert document["SchemaVersion"] == 2 and document["ArtifactType"] == "container_image"
    assert document["ArtifactName"] == "registry.example.com/shop/api:2.3"
    assert document["Metadata"]["OS"] == {"Family": "debian", "Name": "12.5"}
    assert document["Metadata"]["DiffIDs"] == ["sha256:" + c * 32 for c in ("2a", "2b", "2c")]
    assert document["Metadata"]["ImageConfig"]["rootfs"]["type"] == "layers"
    targets = [(r["Target"], r["Class"], r.get("Type")) for r in document["Results"]]
    assert targets == [
        ("registry.example.com/shop/api:2.3 (debian 12.5)", "os-pkgs", "debian"),
        ("Java", "lang-pkgs", "jar"),
        ("Python", "lang-pkgs", "python-pkg"),
        ("usr/local/bin/api", "lang-pkgs", "gobinary"),
        ("Dockerfile", "config", "dockerfile"),  # checks on the image config and its history
        ("usr/local/bin/api", "config", "filesystem"),
        ("config.json", "secret", None),  # Trivy writes no Type for secrets
        ("root/.ssh/id_ed25519", "secret", None),
    ]
    allowed = {"VulnerabilityID", "VendorIDs", "PkgID", "PkgName", "PkgPath", "PkgIdentifier", "InstalledVersion",
               "FixedVersion", "Status", "Layer", "SeveritySource", "PrimaryURL", "DataSource", "Title",
               "Description", "Severity", "CweIDs", "VendorSeverity", "CVSS", "References", "PublishedDate",
               "LastModifiedDate", "Custom"}
    for result in document["Results"]:
        for vulnerability in result.get("Vulnerabilities", []):
            assert set(vulnerability) <= allowed
            assert vulnerability["Severity"] in {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
            assert set(vulnerability["PkgIdentifier"]) <= {"PURL", "UID", "BOMRef"}
            assert all(isinstance(v, int) and 0 <= v <= 4 for v in vulnerability.get("VendorSeverity", {}).values())


def test_trivy_json_maps_debian_verdicts_to_trivy_status(report: ScanReport) -> None:
    os_result = doc(report, "trivy-json")["Results"][0]
    libssl = {v["VulnerabilityID"]: v for v in os_result["Vulnerabilities"] if v["PkgName"] == "libssl3"}
    assert {vid: v["Status"] for vid, v in libssl.items()} == {
        "CVE-2023-5363": "fixed", "CVE-2024-4741": "affected", "CVE-2024-5535": "affected",
        "CVE-2023-6129": "will_not_fix", "CVE-2024-2511": "fix_deferred", "CVE-2010-0928": "affected",
        "CVE-2023-2975": "end_of_life",
    }
    fixed = libssl["CVE-2023-5363"]
    assert fixed["FixedVersion"] == "3.0.11-1~deb12u2" and fixed["PkgID"] == "libssl3@3.0.11-1~deb12u1"
    assert fixed["CVSS"] == {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "V3Score": 7.5}}
    assert fixed["Layer"] == {"Digest": "sha256:" + "1a" * 32, "DiffID": "sha256:" + "2a" * 32}
    assert libssl["CVE-2024-5535"]["VendorSeverity"] == {"debian": 1, "nvd": 4}
    assert libssl["CVE-2010-0928"]["Severity"] == "LOW"
    assert libssl["CVE-2010-0928"]["Custom"]["seawall"]["status"] == "negligible"
    package = next(p for p in os_result["Packages"] if p["Name"] == "libssl3")
    assert (package["Version"], package["Release"], package["SrcName"]) == ("3.0.11", "1~deb12u1", "openssl")


def test_trivy_json_puts_suppressed_findings_in_modified_findings(report: ScanReport) -> None:
    results = doc(report, "trivy-json")["Results"]
    python = next(r for r in results if r["Type"] == "python-pkg")
    assert [v["VulnerabilityID"] for v in python["Vulnerabilities"]] == ["CVE-2023-32681"]
    (modified,) = python["ExperimentalModifiedFindings"]
    assert modified["Type"] == "vulnerability" and modified["Status"] == "ignored"
    assert modified["Finding"]["VulnerabilityID"] == "CVE-2024-35195"
    vex = results[0]["ExperimentalModifiedFindings"][0]
    assert vex["Status"] == "not_affected" and vex["Statement"].startswith("vulnerable_code_not_present")
    assert python["Vulnerabilities"][0]["PkgPath"].startswith("usr/local/lib/python3.11/site-packages/")


# --- CycloneDX -----------------------------------------------------------------------------------------------------


def test_cyclonedx_validates_strictly_as_1_6(report: ScanReport) -> None:
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    assert validator.validate_str(render_scan(report, "cyclonedx")) is None
    assert validator.validate_str(render_scan(empty_scan(), "cyclonedx")) is None


def test_cyclonedx_components_are_exactly_the_sbom_writers(report: ScanReport) -> None:
    scan = doc(report, "cyclonedx")
    sbom = json.loads(render_cyclonedx(report.sbom, now=scanned_at(report), serial=document_serial(report)))
    assert scan["components"] == sbom["components"] and scan["metadata"] == sbom["metadata"]


def test_cyclonedx_vulnerabilities_affect_components_with_ratings_and_analysis(report: ScanReport) -> None:
    document = doc(report, "cyclonedx")
    refs = {component["bom-ref"] for component in document["components"]}
    vulnerabilities = document["vulnerabilities"]
    assert len(vulnerabilities) == len(report.findings)
    assert all(target["ref"] in refs for v in vulnerabilities for target in v["affects"])
    log4shell = next(v for v in vulnerabilities if v["id"] == "CVE-2021-44228")
    methods = {rating.get("method") for rating in log4shell["ratings"]}
    assert {"CVSSv31", "other"} <= methods
    assert log4shell["recommendation"] == "Upgrade org.apache.logging.log4j:log4j-core to 2.15.0"
    assert {"id": "GHSA-jfh8-c2jp-5v3q", "source": {"name": "osv", "url": "https://osv.dev/vulnerability/"
                                                    "GHSA-jfh8-c2jp-5v3q"}} in log4shell["references"]
    analyses = {v["id"]: v["analysis"] for v in vulnerabilities if "analysis" in v}
    assert analyses["CVE-2022-23491"]["state"] == "not_affected"
    assert analyses["CVE-2022-23491"]["justification"] == "code_not_present"
    assert analyses["CVE-2024-35195"]["state"] == "exploitable"
    assert analyses["CVE-2024-35195"]["response"] == ["will_not_fix"]


def test_cyclonedx_vectors_scores_and_odd_urls_are_written_as_the_schema_wants(report: ScanReport) -> None:
    first = report.findings[0]
    odd = replace(
        first,
        cvss=CVSS(source="nvd@nist.gov", version="3.1", vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                  score=9.65),
        references=("https://tracker.example/a%zz b#one#two",),
    )
    text = render_scan(replace(report, findings=(odd, *report.findings[1:])), "cyclonedx", ALL)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    entry = next(v for v in json.loads(text)["vulnerabilities"]
                 if v["id"] == first.id and f"/{first.package.name}@" in v["bom-ref"])
    cvss = next(rating for rating in entry["ratings"] if rating["method"] == "CVSSv31")
    assert cvss["vector"] == "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # `method` already names the version
    assert cvss["score"] == 9.6  # one decimal, half-even
    assert {"url": "https://tracker.example/a%25zz%20b#one%23two"} in entry["advisories"]


def test_cyclonedx_keeps_two_different_entries_for_one_id_and_package(report: ScanReport) -> None:
    first = report.findings[0]
    twice = replace(report, findings=(first, first, replace(first, title="a second reading"), *report.findings[1:]))
    document = doc(twice, "cyclonedx", ALL)
    refs = [v["bom-ref"] for v in document["vulnerabilities"]]
    assert len(refs) == len(set(refs)) == len(report.findings) + 1


# --- SPDX ----------------------------------------------------------------------------------------------------------


def test_spdx_validates_and_attaches_advisories_to_packages(report: ScanReport) -> None:
    document = doc(report, "spdx")
    jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text())).validate(document)
    libssl = next(p for p in document["packages"] if p["name"] == "libssl3")
    advisories = [ref for ref in libssl["externalRefs"] if ref["referenceCategory"] == "SECURITY"]
    assert len(advisories) == 7 and all(ref["referenceType"] == "advisory" for ref in advisories)
    assert advisories[0]["referenceLocator"] == "https://security-tracker.debian.org/tracker/CVE-2023-5363"
    assert advisories[0]["comment"] == "CVE-2023-5363 high, fixed in 3.0.11-1~deb12u2"


# --- coverage ------------------------------------------------------------------------------------------------------

UNCOVERED_SNAPSHOTS = {fmt: name.replace("scan/debian.", "scan/uncovered.") for fmt, name in SNAPSHOTS.items()}


@pytest.mark.parametrize("fmt", list(UNCOVERED_SNAPSHOTS))
def test_every_format_states_what_was_not_checked(fmt: str) -> None:
    text = render_scan(uncovered_scan(), fmt)
    assert_snapshot(UNCOVERED_SNAPSHOTS[fmt], text)
    assert "No vulnerabilities found" not in text
    assert "debian:12" in text and "nginx.org" in text


def test_table_closing_line_counts_covered_and_unchecked_packages() -> None:
    text = render_scan(uncovered_scan(), "table")
    assert ("No vulnerabilities in 1 covered package. 4 packages were not checked: the DB has no advisories for "
            "debian:12 (try seawall db update); nginx.org packages come from a third-party repository"
            ) in " ".join(text.split())


def test_machine_formats_carry_coverage_per_namespace_and_package() -> None:
    report = uncovered_scan()
    document = doc(report, "json")
    seawall_validator().validate(document)
    coverage = document["coverage"]
    assert (coverage["complete"], coverage["covered"], coverage["uncovered"]) == (False, 1, 4)
    namespaces = {n["namespace"]: n for n in coverage["namespaces"]}
    assert namespaces["debian:12"]["covered"] is False and namespaces["pypi"]["feeds"] == ["osv"]
    assert namespaces["vendor:nginx.org"]["packages"] == 1
    assert {p["name"] for p in coverage["uncoveredPackages"]} == {"ca-certificates", "libssl3", "openssl", "nginx"}
    sarif = doc(report, "sarif")
    sarif_validator().validate(sarif)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["properties"]["namespace"] for n in notes if n["level"] == "warning"] == ["debian:12",
                                                                                      "vendor:nginx.org"]
    cdx = render_scan(report, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx) is None
    props = {p["name"]: p["value"] for p in json.loads(cdx)["properties"]}
    assert props["seawall:coverage:complete"] == "false"
    assert props["seawall:coverage:namespace:debian:12:covered"] == "false"
    nginx = next(c for c in json.loads(cdx)["components"] if c["name"] == "nginx")
    assert {p["name"]: p["value"] for p in nginx["properties"]}["seawall:package:vendor"] == "nginx.org"
    spdx = doc(report, "spdx")
    jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text())).validate(spdx)
    assert any(a["comment"].startswith("seawall:coverage: ") for a in spdx["annotations"])
    assert doc(report, "trivy-json")["Custom"]["seawall"]["coverage"]["uncovered"] == 4
    assert "**Not checked:**" in render_scan(report, "markdown")


def test_a_fully_covered_scan_says_so() -> None:
    assert "No vulnerabilities found in 6 packages, all covered by the DB." in render_scan(empty_scan(), "table")
    sarif = doc(debian_scan(), "sarif")
    (note,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "coverage/complete"

"""Secrets, configuration findings and minimality in every scan format, and the secret itself in none of them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from seawall.image.options import FetchOptions
from seawall.model.finding import ScanReport
from seawall.model.vuln import Severity
from seawall.output.scan import ScanView, render_scan
from seawall.output.scan_table import render_table
from seawall.reports import parse_report
from tests.scan_fixtures import GITHUB_TOKEN_VALUE, PRIVATE_KEY_BODY, debian_scan, empty_scan, secrets_only_scan
from tests.test_scan_outputs import ALL, REPO, SNAPSHOTS, SPDX_SCHEMA, doc


@pytest.fixture(scope="module")
def report() -> ScanReport:
    return debian_scan()


# --- secrets, configuration checks, minimality ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(SNAPSHOTS))
def test_no_format_ever_writes_a_found_secret(report: ScanReport, fmt: str) -> None:
    for view in (ScanView(), ALL):
        text = render_scan(report, fmt, view)
        if fmt not in ("table", "markdown"):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        assert GITHUB_TOKEN_VALUE not in text and GITHUB_TOKEN_VALUE[4:12] not in text
        assert PRIVATE_KEY_BODY[:12] not in text
    coloured = render_table(report, ALL, color=True)
    assert GITHUB_TOKEN_VALUE[4:12] not in coloured


def test_the_config_a_report_carries_keeps_everything_but_the_secret(report: ScanReport) -> None:
    for image in (doc(report, "json")["image"]["config"], doc(report, "trivy-json")["Metadata"]["ImageConfig"]):
        assert image["config"]["Env"] == ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                          "GITHUB_TOKEN=<redacted: github-token>"]
        # The ENV step's history line holds the same value; the scan reported it once, both copies are blanked.
        assert image["history"][2]["created_by"] == "ENV GITHUB_TOKEN=<redacted: github-token>"
        assert image["history"][3]["created_by"].startswith("RUN /bin/sh -c pip install")


@pytest.mark.parametrize("fmt", list(SNAPSHOTS))
def test_every_format_carries_secrets_and_configuration_findings(report: ScanReport, fmt: str) -> None:
    text = render_scan(report, fmt)
    if fmt not in ("table", "markdown"):
        text = json.dumps(json.loads(text), ensure_ascii=False)  # CycloneDX writes `…` as \u2026
    for fact in ("private-key", "github-token", "ghp_…(40 chars)", "secret-build-arg", "setuid-binary"):
        assert fact in text
    without = render_scan(empty_scan(), fmt)  # vulnerabilities only: no word about the other scanners
    assert "private-key" not in without and "setuid-binary" not in without and "inimality" not in without


def test_trivy_json_secrets_and_misconfigurations_have_trivys_fields(report: ScanReport) -> None:
    results = {(r["Target"], r["Class"]): r for r in doc(report, "trivy-json")["Results"]}
    key = results["root/.ssh/id_ed25519", "secret"]
    (secret,) = key["Secrets"]
    assert set(secret) <= {"RuleID", "Category", "Severity", "Title", "StartLine", "EndLine", "Code", "Match", "Layer"}
    assert (secret["RuleID"], secret["Category"], secret["Severity"]) == ("private-key", "AsymmetricPrivateKey",
                                                                         "CRITICAL")
    assert secret["Layer"]["DiffID"] == "sha256:" + "2b" * 32  # the layer that added it, not the one that deleted it
    assert secret["Layer"]["CreatedBy"].startswith("RUN /bin/sh -c set -eux; apt-get update")
    (env,) = results["config.json", "secret"]["Secrets"]
    assert env["Match"] == "GITHUB_TOKEN=ghp_…(40 chars)" and "Layer" not in env
    allowed = {"Type", "ID", "AVDID", "Title", "Description", "Message", "Namespace", "Query", "Resolution", "Severity",
               "PrimaryURL", "References", "Status", "Layer", "CauseMetadata"}
    dockerfile = results["Dockerfile", "config"]
    assert dockerfile["MisconfSummary"] == {"Successes": 0, "Failures": 1, "Exceptions": 0}
    (build_arg,) = dockerfile["Misconfigurations"]
    assert set(build_arg) <= allowed
    assert (build_arg["ID"], build_arg["Severity"], build_arg["Status"]) == ("secret-build-arg", "HIGH", "FAIL")
    assert build_arg["Message"].startswith("GITHUB_TOKEN has a value") and build_arg["Resolution"]
    (setuid,) = results["usr/local/bin/api", "config"]["Misconfigurations"]
    assert set(setuid) <= allowed and setuid["Layer"]["DiffID"] == "sha256:" + "2c" * 32


def test_trivy_json_severity_filter_applies_to_secrets_and_checks(report: ScanReport) -> None:
    document = doc(report, "trivy-json", ScanView(severities=frozenset({Severity.HIGH})))
    classes = [r["Class"] for r in document["Results"]]
    assert "secret" not in classes and classes.count("config") == 1


def test_trivy_importer_reads_a_report_with_secrets_and_checks_as_its_vulnerabilities(report: ScanReport) -> None:
    full = parse_report(doc(report, "trivy-json"), "with-extras.trivy.json")
    vulns_only = replace(report, scanners=("vuln",), secrets=None, config=None, minimality=None)
    plain = parse_report(doc(vulns_only, "trivy-json"), "plain.trivy.json")
    assert full.findings == plain.findings and full.packages == plain.packages
    assert len(full.findings) == len([f for f in report.findings if not f.suppressed])


def test_markdown_has_secret_and_configuration_sections_and_a_minimality_line(report: ScanReport) -> None:
    text = render_scan(report, "markdown")
    assert "#### Secrets: 2" in text and "#### Configuration: 2" in text
    assert ("| Private key (`private-key`) | 🟥 critical | `/root/.ssh/id_ed25519` line 2 · layer 1, deleted in "
            "layer 2 (still in the image) | `b3Bl…(387 chars)` |") in text
    assert "`config:Env` line 3 · image config | `ghp_…(40 chars)` |" in text
    minimality = [line for line in text.splitlines() if line.startswith("**Minimality:**")]
    assert minimality == ["**Minimality:** 51.4 MB compressed, 142.6 MB uncompressed, 3 layer(s), 6 package(s) · "
                          "shell: bash, sh · package manager: apt, dpkg, pip · compiler: none"]
    only_high = render_scan(report, "markdown", ScanView(severities=frozenset({Severity.HIGH})))
    assert "#### Secrets: 0" in only_high and "#### Configuration: 1" in only_high


def test_markdown_table_cells_survive_a_pipe_in_a_match(report: ScanReport) -> None:
    assert report.secrets
    odd = replace(report.secrets[0], match="a|b`…(9 chars)")
    text = render_scan(replace(report, secrets=(odd,)), "markdown")
    row = next(line for line in text.splitlines() if "(9 chars)" in line)
    assert row.replace("\\|", "").count("|") == 5  # four cells


def test_without_the_vulnerability_scanner_nothing_speaks_of_vulnerabilities() -> None:
    scan = secrets_only_scan()
    table = render_scan(scan, "table")
    assert "Secrets: 2" in table and "Configuration: 2" in table and "Minimality:" in table
    assert "No vulnerabilities found." not in table and "DB " not in table and "finding" not in table
    markdown = render_scan(scan, "markdown")
    assert "#### Secrets: 2" in markdown
    assert "No vulnerabilities found." not in markdown and "Known exploited" not in markdown
    assert "No vulnerabilities found in 6 packages" in render_scan(empty_scan(), "table")  # the scanner did run


def test_a_scan_without_the_vulnerability_scanner_says_so(tmp_path: Path) -> None:
    from seawall.scan import scan_target

    target = REPO / "tests" / "assets" / "match" / "debian-bookworm"
    scan = scan_target(f"dir:{target}", scanners=("secret", "config"), fetch=FetchOptions(cache_dir=tmp_path / "cache"),
                       auto_update=False)
    assert scan.scanners == ("secret", "config") and not scan.feeds
    table = render_scan(scan, "table")
    assert "No vulnerabilities found." not in table and "DB " not in table and "Secrets: " in table


def test_cyclonedx_carries_secrets_checks_and_minimality_as_bom_properties(report: ScanReport) -> None:
    document = doc(report, "cyclonedx")
    pairs = {(p["name"], p["value"]) for p in document["properties"]}
    assert ("seawall:scanners", "vuln,secret,config") in pairs
    assert {("seawall:secret:0:ruleId", "private-key"), ("seawall:secret:0:deletedInLayer", "2"),
            ("seawall:secret:1:path", "config:Env"), ("seawall:secret:1:match", "ghp_…(40 chars)"),
            ("seawall:config:1:id", "setuid-binary"), ("seawall:config:1:path", "/usr/local/bin/api"),
            ("seawall:minimality:compressedSize", "51371715"), ("seawall:minimality:shell", "/bin/sh")} <= pairs
    assert "properties" not in doc(empty_scan(), "cyclonedx") or all(
        not p["name"].startswith(("seawall:secret", "seawall:config", "seawall:minimality"))
        for p in doc(empty_scan(), "cyclonedx")["properties"])


def test_spdx_carries_secrets_checks_and_minimality_as_document_annotations(report: ScanReport) -> None:
    document = doc(report, "spdx")
    jsonschema.Draft201909Validator(json.loads(SPDX_SCHEMA.read_text())).validate(document)
    notes = [(a["annotationType"], a["comment"].partition(": ")[0], json.loads(a["comment"].partition(": ")[2]))
             for a in document["annotations"]]
    assert [(kind, name) for kind, name, _ in notes] == [("REVIEW", "seawall:secret")] * 2 + [
        ("REVIEW", "seawall:config")] * 2 + [("OTHER", "seawall:minimality"), ("OTHER", "seawall:coverage")]
    key = notes[0][2]
    assert (key["rule_id"], key["layer_index"], key["deleted_in_layer"], key["deleted"]) == ("private-key", 1, 2, True)
    assert notes[4][2]["shells"] == ["/bin/bash", "/bin/sh"]
    empty = [a["comment"].partition(": ")[0] for a in doc(empty_scan(), "spdx")["annotations"]]
    assert empty == ["seawall:coverage"]  # what the DB covered is said even when nothing else is

"""VEX in and out: OpenVEX and CycloneDX VEX statements suppress (not_affected, fixed) or annotate (affected,
under_investigation); allowlists export as valid OpenVEX, a .trivyignore.yaml and grype ignore rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from seawall.model.finding import ScanReport
from seawall.triage.allowlist import load_allowlist
from seawall.triage.export import to_grype, to_openvex, to_trivyignore
from seawall.triage.vex import VexError, apply_vex, load_vex
from tests.triage_helpers import TRIAGE, as_image, build_debian_db, by_key, scan_rootfs

NOW = datetime(2025, 3, 1, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    scanned = scan_rootfs(build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db"))
    return as_image(scanned, "registry.example.com/backend/api:1", digest=DIGEST)


def test_openvex_not_affected_suppresses_with_justification(report: ScanReport) -> None:
    triaged, used = apply_vex(report, load_vex(TRIAGE / "openvex.json"))
    ssl = by_key(triaged)[("libssl3", "CVE-2024-2511")]
    (sup,) = ssl.suppressions
    assert sup.kind == "vex" and sup.vex_status == "not_affected"
    assert sup.justification == "vulnerable_code_not_in_execute_path"
    assert sup.rule == f"{TRIAGE / 'openvex.json'}#statements[0]"
    assert len(triaged.findings) == len(report.findings)
    assert sum(used.values()) >= 1


def test_openvex_image_product_narrowed_by_subcomponents(report: ScanReport) -> None:
    triaged, _ = apply_vex(report, load_vex(TRIAGE / "openvex.json"))
    assert by_key(triaged)[("curl", "CVE-2023-38546")].suppressed
    assert not by_key(triaged)[("libcurl4", "CVE-2023-38546")].suppressed
    other_image = as_image(report, "registry.example.com/backend/api:2", digest="sha256:" + "cd" * 32)
    elsewhere, _ = apply_vex(other_image, load_vex(TRIAGE / "openvex.json"))
    assert not by_key(elsewhere)[("curl", "CVE-2023-38546")].suppressed  # another digest: not this product


def test_affected_and_under_investigation_annotate_only(report: ScanReport) -> None:
    triaged, _ = apply_vex(report, load_vex(TRIAGE / "openvex.json"))
    assert not by_key(triaged)[("libgcrypt20", "CVE-2024-2236")].suppressed
    assert not by_key(triaged)[("libsqlite3-0", "CVE-2022-46908")].suppressed
    notes = {(a.id, a.status) for a in triaged.vex_notes}
    assert {("CVE-2024-2236", "under_investigation"), ("CVE-2022-46908", "affected")} <= notes


def test_the_newest_statement_wins(report: ScanReport) -> None:
    triaged, _ = apply_vex(report, load_vex(TRIAGE / "openvex.json"))
    assert not by_key(triaged)[("tar", "CVE-2005-2541")].suppressed  # not_affected in April, affected later


def test_cyclonedx_vex_states_and_bom_links(report: ScanReport) -> None:
    triaged, _ = apply_vex(report, load_vex(TRIAGE / "cyclonedx-vex.json"))
    findings = by_key(triaged)
    (login,) = findings[("login", "CVE-2023-4641")].suppressions
    assert login.vex_status == "not_affected"
    assert login.justification == "vulnerable_code_not_in_execute_path"  # code_not_reachable
    assert "code_not_reachable" in login.reason and "no getty" in login.reason
    assert findings[("libcurl4", "CVE-2024-2398")].suppressions[0].vex_status == "fixed"  # resolved
    assert not findings[("curl", "CVE-2024-2398")].suppressed
    assert not findings[("perl-base", "CVE-2023-31484")].suppressed  # exploitable: annotated
    assert not findings[("libc6", "CVE-2023-4911")].suppressed  # false_positive, but for another version
    assert any(a.id == "CVE-2023-31484" and a.status == "affected" for a in triaged.vex_notes)


@pytest.mark.parametrize(("doc", "message"), [
    ({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"},
                                                                   "status": "maybe"}]}, "unknown status 'maybe'"),
    ({"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "fine"}}]},
     "unknown analysis.state 'fine'"),
    ({"hello": "world"}, "neither OpenVEX"),
])
def test_malformed_vex_is_an_input_error(tmp_path: Path, doc: dict, message: str) -> None:
    path = tmp_path / "vex.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(VexError, match=message):
        load_vex(path)


# -- export ----------------------------------------------------------------------------------------------------

OPENVEX_TOP = {"@context", "@id", "author", "role", "timestamp", "last_updated", "version", "tooling", "statements"}
OPENVEX_STATEMENT = {"@id", "version", "vulnerability", "timestamp", "last_updated", "products", "status",
                     "supplier", "status_notes", "justification", "impact_statement", "action_statement",
                     "action_statement_timestamp"}


def assert_valid_openvex(doc: dict) -> None:
    """The OpenVEX v0.2.0 JSON schema's constraints, checked one by one."""
    assert set(doc) <= OPENVEX_TOP
    assert {"@context", "@id", "author", "timestamp", "version", "statements"} <= set(doc)
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0" and doc["version"] >= 1
    datetime.fromisoformat(doc["timestamp"].replace("Z", "+00:00"))
    assert doc["statements"]
    for st in doc["statements"]:
        assert set(st) <= OPENVEX_STATEMENT and {"vulnerability", "status"} <= set(st)
        assert set(st["vulnerability"]) <= {"@id", "name", "description", "aliases"} and st["vulnerability"]["name"]
        assert st["status"] in ("not_affected", "affected", "fixed", "under_investigation")
        if st["status"] == "not_affected":
            assert ("justification" in st) != ("impact_statement" in st)  # exactly one of them
        if st["status"] == "affected":
            assert st["action_statement"]
        for product in st["products"]:
            assert set(product) <= {"@id", "identifiers", "hashes", "subcomponents"}


def test_export_openvex_is_valid_and_reimports(report: ScanReport, tmp_path: Path) -> None:
    allowlist = load_allowlist(TRIAGE / "allowlist.yaml")
    exported = to_openvex([allowlist], image="registry.example.com/backend/api:1", image_digest=DIGEST,
                          findings=report.findings, now=NOW)
    doc = json.loads(exported.text)
    assert_valid_openvex(doc)
    by_id = {st["vulnerability"]["name"]: st for st in doc["statements"]}
    assert set(by_id) == {"CVE-2024-2236", "CVE-2023-38546"}  # the glibc entry expired
    gcrypt = by_id["CVE-2024-2236"]
    assert gcrypt["status"] == "not_affected" and gcrypt["justification"] == "vulnerable_code_not_in_execute_path"
    assert gcrypt["products"][0]["@id"] == ("pkg:oci/api@" + DIGEST
                                            + "?repository_url=registry.example.com/backend/api")
    assert gcrypt["products"][0]["subcomponents"] == [{"@id": "pkg:deb/debian/libgcrypt20"}]
    assert any("expired" in s for s in exported.skipped)
    path = tmp_path / "out.vex.json"
    path.write_text(exported.text)
    triaged, _ = apply_vex(report, load_vex(path))
    assert by_key(triaged)[("libgcrypt20", "CVE-2024-2236")].suppressed
    assert by_key(triaged)[("libcurl4", "CVE-2023-38546")].suppressed


def test_export_openvex_states_accepted_risk_as_affected(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("entries:\n  - id: CVE-2024-0001\n    purl: pkg:npm/lodash@4.17.20\n    expires: 2099-01-01\n"
                    "    statement: Only used in the build, never at runtime in production.\n")
    doc = json.loads(to_openvex([load_allowlist(path)], now=NOW).text)
    assert_valid_openvex(doc)
    (st,) = doc["statements"]
    assert st["status"] == "affected" and st["action_statement"].startswith("risk accepted until 2099-01-01")
    assert st["products"] == [{"@id": "pkg:npm/lodash@4.17.20"}]


def test_export_trivyignore_shape(report: ScanReport) -> None:
    exported = to_trivyignore([load_allowlist(TRIAGE / "allowlist.yaml")], image="registry.example.com/backend/api",
                              findings=report.findings, now=NOW)
    doc = yaml.safe_load(exported.text)
    assert list(doc) == ["vulnerabilities"]
    by_id = {v["id"]: v for v in doc["vulnerabilities"]}
    assert set(by_id) == {"CVE-2024-2236", "CVE-2023-38546"}
    gcrypt = by_id["CVE-2024-2236"]
    assert set(gcrypt) <= {"id", "paths", "purls", "expired_at", "statement"}
    assert gcrypt["purls"] == ["pkg:deb/debian/libgcrypt20"]
    assert str(gcrypt["expired_at"]) == "2099-12-31" and "expired_at: 2099-12-31" in exported.text
    assert "RSA decryption" in gcrypt["statement"]


def test_export_without_image_leaves_scoped_entries_out(report: ScanReport) -> None:
    exported = to_trivyignore([load_allowlist(TRIAGE / "allowlist.yaml")], findings=report.findings, now=NOW)
    ids = [v["id"] for v in yaml.safe_load(exported.text)["vulnerabilities"]]
    assert ids == ["CVE-2024-2236"]
    assert any("scoped to backend" in s for s in exported.skipped)


def test_export_grype_rules(report: ScanReport) -> None:
    exported = to_grype([load_allowlist(TRIAGE / "allowlist.yaml")], image="registry.example.com/backend/api:1",
                        findings=report.findings, now=NOW)
    rules = yaml.safe_load(exported.text)["ignore"]
    by_id = {r["vulnerability"]: r for r in rules}
    assert by_id["CVE-2023-38546"]["package"] == {"name": "libcurl4"}
    assert by_id["CVE-2024-2236"]["package"] == {"name": "libgcrypt20", "type": "deb"}
    assert by_id["CVE-2024-2236"]["vex-justification"] == "vulnerable_code_not_in_execute_path"
    for rule in rules:
        assert set(rule) <= {"vulnerability", "fix-state", "package", "vex-status", "vex-justification", "reason"}
        assert set(rule.get("package", {})) <= {"name", "version", "type", "location", "upstream-name"}
        assert rule["reason"].startswith("until ")

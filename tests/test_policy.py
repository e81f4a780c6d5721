"""Policy rules: each violation names the rule, the finding and the remedy; suppressed findings never violate;
rules compose with all_of / any_of; a malformed policy is rejected with FILE:LINE."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawall.model.extra import SecretFinding
from seawall.model.finding import ScanReport
from seawall.model.vuln import EpssScore, KevEntry, Severity, Status
from seawall.policy import rules as r
from seawall.policy.baseline import baseline_from_report
from seawall.policy.schema import PolicyError, load_policy
from seawall.triage.allowlist import apply_allowlists, load_allowlist
from tests.triage_helpers import TRIAGE, as_image, build_debian_db, scan_rootfs

NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    base = scan_rootfs(build_debian_db(tmp_path_factory.mktemp("db") / "seawall.db"))
    return dataclasses.replace(as_image(base, "registry.example.com/backend/api:1", user="1000"),
                               db_built_at="2024-05-31T12:00:00Z")


def keys(violations: list) -> set[tuple[str | None, str | None]]:
    return {(v.finding_id, v.package) for v in violations}


def test_severity_by_vendor_names_finding_and_remedy(report: ScanReport) -> None:
    violations = r.SeverityAtLeast(Severity.HIGH, by="vendor", unknown="ignore").evaluate(report)
    assert keys(violations) == {("CVE-2023-4911", "libc6@2.36-9+deb12u1"), ("CVE-2023-4911", "libc-bin@2.36-9+deb12u1")}
    libc6 = next(v for v in violations if v.package.startswith("libc6"))
    assert libc6.rule == "severity >= high (by vendor, unknown ignored)"
    assert libc6.remedy == "upgrade libc6 (source glibc) to 2.36-9+deb12u3"
    assert libc6.purl and libc6.purl.startswith("pkg:deb/debian/libc6@")


def test_unknown_severity_meets_every_threshold_unless_ignored(report: ScanReport) -> None:
    unrated = {(f.id, f"{f.package.name}@{f.package.version}") for f in report.findings
               if f.vendor_severity is None and not f.suppressed}
    assert unrated
    counted = r.SeverityAtLeast(Severity.CRITICAL, by="vendor").evaluate(report)
    assert unrated <= keys(counted)
    unknown = next(v for v in counted if (v.finding_id, v.package) in unrated)
    assert "severity unknown" in unknown.message
    assert "seawall db update" in unknown.remedy and "allowlist" in unknown.remedy
    ignored = r.SeverityAtLeast(Severity.CRITICAL, by="vendor", unknown="ignore").evaluate(report)
    assert not unrated & keys(ignored)


def test_fixable_only_and_unfixed_remedies(report: ScanReport) -> None:
    everything = r.SeverityAtLeast(Severity.LOW).evaluate(report)
    fixable = r.SeverityAtLeast(Severity.LOW, scope=r.FindingScope(fixable_only=True)).evaluate(report)
    assert {v.finding_id for v in fixable} == {"CVE-2023-4911", "CVE-2024-2398", "CVE-2023-4641"}
    wont = next(v for v in everything if v.finding_id == "CVE-2023-38546")
    assert "will not fix" in wont.remedy and "allowlist entry with a justification" in wont.remedy


def test_suppressed_findings_never_violate(report: ScanReport) -> None:
    triaged, _ = apply_allowlists(report, [load_allowlist(TRIAGE / "allowlist.yaml")], now=NOW)
    rule = r.SeverityAtLeast(Severity.LOW)
    assert ("CVE-2023-38546", "libcurl4@7.88.1-10+deb12u4") in keys(rule.evaluate(report))
    assert ("CVE-2023-38546", "libcurl4@7.88.1-10+deb12u4") not in keys(rule.evaluate(triaged))


def test_kev_and_epss_fail_whatever_the_severity(report: ScanReport) -> None:
    findings = list(report.findings)
    tar = next(i for i, f in enumerate(findings) if f.id == "CVE-2005-2541")
    findings[tar] = dataclasses.replace(findings[tar], kev=KevEntry(date_added="2024-01-10"),
                                        epss=EpssScore(score=0.62, percentile=0.98))
    marked = dataclasses.replace(report, findings=tuple(findings))
    (kev,) = r.OnKev().evaluate(marked)
    assert kev.finding_id == "CVE-2005-2541" and "KEV since 2024-01-10" in kev.message
    assert keys(r.EpssAtLeast(at_least=0.5).evaluate(marked)) == {("CVE-2005-2541", "tar@1.34+dfsg-1.2+deb12u1")}
    assert r.EpssAtLeast(at_least=0.7).evaluate(marked) == []
    negligible_ignored = r.OnKev(scope=r.FindingScope(ignore_status=frozenset({Status.NEGLIGIBLE})))
    assert negligible_ignored.evaluate(marked) == []


def test_new_only_fails_only_on_what_the_baseline_lacks(report: ScanReport) -> None:
    older = dataclasses.replace(report, findings=tuple(f for f in report.findings if f.id != "CVE-2024-2398"))
    baseline = baseline_from_report(older, "registry.example.com/backend/api")
    rule = r.SeverityAtLeast(Severity.LOW, scope=r.FindingScope(new_only=True, baseline=baseline))
    assert keys(rule.evaluate(report)) == {("CVE-2024-2398", "curl@7.88.1-10+deb12u4"),
                                           ("CVE-2024-2398", "libcurl4@7.88.1-10+deb12u4")}
    never_promoted = r.SeverityAtLeast(Severity.LOW, scope=r.FindingScope(new_only=True, baseline=None))
    assert len(never_promoted.evaluate(report)) == len(r.SeverityAtLeast(Severity.LOW).evaluate(report))


def test_db_age_is_undecided_when_too_old_or_unknown(report: ScanReport) -> None:
    report = dataclasses.replace(report, coverage=None)  # a report that does not say what covered it: build date
    assert r.DbMaxAge(24, now=NOW).evaluate(report) == []
    (old,) = r.DbMaxAge(6, now=NOW).evaluate(report)
    assert old.undecided and "12h old" in old.message and "seawall db update" in old.remedy
    (unknown,) = r.DbMaxAge(24, now=NOW).evaluate(dataclasses.replace(report, db_built_at=None))
    assert unknown.undecided


def test_db_age_judges_the_date_of_the_data_that_covered_the_image(report: ScanReport) -> None:
    coverage = report.coverage
    assert coverage is not None and coverage.namespace("debian:12").covered  # type: ignore[union-attr]
    undated = dataclasses.replace(coverage, namespaces=tuple(
        dataclasses.replace(n, data_date=None) for n in coverage.namespaces))
    (unknown,) = r.DbMaxAge(24, now=NOW).evaluate(dataclasses.replace(report, coverage=undated))
    assert unknown.undecided and "debian:12" in unknown.message and "no date" in unknown.message
    dated = dataclasses.replace(coverage, namespaces=tuple(
        dataclasses.replace(n, data_date="2024-05-30T00:00:00Z") if n.covered else n for n in coverage.namespaces))
    fresh = dataclasses.replace(report, coverage=dated, db_built_at="2024-05-31T23:00:00Z")
    (old,) = r.DbMaxAge(24, now=NOW).evaluate(fresh)  # built an hour ago, but of data 48 h old
    assert old.undecided and "debian:12" in old.message and "48h old" in old.message
    assert r.DbMaxAge(72, now=NOW).evaluate(fresh) == []


def test_no_root_reads_the_image_config(report: ScanReport) -> None:
    assert r.NoRoot().evaluate(report) == []
    (root,) = r.NoRoot().evaluate(as_image(report, "registry.example.com/backend/api:1", user=""))
    assert "USER" in root.remedy
    assert r.NoRoot().evaluate(as_image(report, "registry.example.com/backend/api:1", user="0:0"))
    bare = dataclasses.replace(report, sbom=dataclasses.replace(
        report.sbom, image=dataclasses.replace(report.sbom.image, config={})))
    assert r.NoRoot().evaluate(bare) == [] and "not checked" in r.NoRoot().notes(bare)[0]


def test_secrets_are_not_checked_until_a_scanner_fills_them(report: ScanReport) -> None:
    report = dataclasses.replace(report, secrets=None)
    assert r.NoSecrets().evaluate(report) == []
    assert r.NoSecrets().notes(report) == ["no-secrets: not checked (the scan did not look for secrets)"]
    key = SecretFinding(rule_id="aws-access-key", title="AWS access key", severity=Severity.CRITICAL,
                        path="/app/.env", line=1, match="AKIA…(20 chars)", layer_index=None)
    found = dataclasses.replace(report, secrets=(key,))
    (secret,) = r.NoSecrets().evaluate(found)
    assert secret.message == "aws-access-key found in /app/.env" and r.NoSecrets().notes(found) == []
    deleted = SecretFinding(rule_id="private-key", title="Private key", severity=Severity.HIGH, path="/root/id_rsa",
                            line=1, match="----…(1675)", layer_index=1, deleted_in_layer=2)
    (kept,) = r.NoSecrets().evaluate(dataclasses.replace(report, secrets=(deleted,)))
    assert kept.message == "private-key found in /root/id_rsa (layer 1, deleted in layer 2 but still in the image)"


def test_trusted_sources_and_official_base(report: ScanReport) -> None:
    trusted = r.TrustedSources(repositories=("registry.example.com/backend/*",), official_base=True)
    (unknown_base,) = trusted.evaluate(report)
    assert "base image is unknown" in unknown_base.message
    official = dataclasses.replace(report, base_image="debian:bookworm-slim", base_layers=1)
    assert trusted.evaluate(official) == []
    unofficial = dataclasses.replace(report, base_image="ghcr.io/someone/debian:12", base_layers=1)
    assert "not an official image" in trusted.evaluate(unofficial)[0].message
    elsewhere = as_image(official, "docker.io/someone/api:1")
    assert "not in a trusted repository" in trusted.evaluate(elsewhere)[0].message


def test_image_age_minimal_base_and_composition(report: ScanReport) -> None:
    young, old = r.ImageMaxAge(90, now=NOW), r.ImageMaxAge(10, now=NOW)
    small, big = r.MinimalBase(max_packages=100), r.MinimalBase(max_packages=5)
    assert young.evaluate(report) == [] and old.evaluate(report)[0].rule == "image-age <= 10d"
    assert "holds 11 packages" in big.evaluate(report)[0].message
    assert r.any_of(old, small).evaluate(report) == []
    assert len(r.any_of(old, big).evaluate(report)) == 2
    assert len(r.all_of(young, big).evaluate(report)) == 1
    denied = dataclasses.replace(report, base_image="docker.io/library/ubuntu:22.04")
    assert r.MinimalBase(deny=("docker.io/library/ubuntu",)).evaluate(denied)


def test_policy_file_builds_composed_rules(report: ScanReport) -> None:
    policy = load_policy(TRIAGE / "policy.yaml")
    assert policy.name == "production" and policy.uses_baseline and policy.uses_db_age
    rule = policy.rule(baseline=None, now=NOW)
    violations = rule.evaluate(report)
    assert {v.rule for v in violations} == {"severity >= high (by vendor)",
                                           "severity >= medium (by reported) (fixable, new)"}
    assert ("CVE-2010-4756", "libc6@2.36-9+deb12u1") not in keys(violations)  # negligible ignored by default
    assert rule.notes(report) == []


def test_policy_errors_name_file_and_line() -> None:
    path = TRIAGE / "policy-bad.yaml"
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    text = info.value.message
    assert f"{path}:4: `severity.at_least` must be one of negligible, low, medium, high, critical" in text
    assert f"{path}:5: unknown option 'fixable' for `severity`" in text
    assert f"{path}:6: options of `kev` must be a mapping" in text
    assert f"{path}:7: `epss` needs `at_least`" in text
    assert f"{path}:8: `db_age.max_hours` must be a number" in text
    assert f"{path}:9: `any_of` needs a non-empty list of rules" in text
    assert f"{path}:10: unknown rule 'scan_everything'" in text
    assert f"{path}:11: `min_score` needs `by: cvss`" in text
    assert f"{path}:13: `defaults.ignore_status` unknown state(s) wontfix" in text


def test_empty_policy_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: nothing\n")
    with pytest.raises(PolicyError, match=r"p.yaml:1: `rules` must be a non-empty list"):
        load_policy(path)


def test_at_least_unknown_explains_the_unknown_option(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - severity: {at_least: unknown}\n  - severity: {at_least: high, unknown: maybe}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(policy)
    text = str(info.value)
    assert "p.yaml:2" in text and "unknown: ignore" in text
    assert "p.yaml:3" in text and "count, ignore" in text


def test_composites_refuse_to_be_empty() -> None:
    # A composite of nothing would report no violation: a silent pass.
    with pytest.raises(ValueError, match="all_of needs at least one rule"):
        r.all_of()
    with pytest.raises(ValueError, match="any_of needs at least one rule"):
        r.AnyOf(())


def test_the_gate_table_names_the_secret_and_fits_80_columns(report: ScanReport) -> None:
    from seawall.model.policy import Decision, Verdict
    from seawall.policy.render import render_table

    key = SecretFinding(rule_id="aws-access-key", title="AWS access key", severity=Severity.CRITICAL,
                        path="/srv/app/config/production/.env", line=3, match="AKIA…(20 chars)", layer_index=2)
    violations = tuple(r.NoSecrets().evaluate(dataclasses.replace(report, secrets=(key,))))
    verdict = Verdict(Decision.FAIL, "registry.example.com/backend/api:1.4.2", "policy.yaml", violations=violations)
    text = render_table(verdict, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "/srv/app/config/production/.env" in text and "aws-access-key found in" in text
    wide = render_table(verdict, width=160)
    assert "no-secrets  aws-access-key found in /srv/app/config/production/.env (layer 2)" in wide


def test_a_definite_violation_fails_even_when_another_rule_cannot_decide(report: ScanReport, tmp_path: Path) -> None:
    from seawall.model.policy import Decision
    from seawall.policy.gate import Loaded, judge

    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nrules:\n  - severity:\n      at_least: high\n      by: vendor\n"
                      "  - db_age:\n      max_hours: 24\n")
    unknown_age = dataclasses.replace(report, coverage=None, db_built_at=None)
    verdict = judge(unknown_age, Loaded(load_policy(policy), [], []), target="api:1", now=NOW).verdict
    assert verdict.decision is Decision.FAIL  # rejected whatever the unknown would have said: exit 1, not 8
    assert verdict.errors and any("db" in e.lower() or "date" in e.lower() for e in verdict.errors)
    assert any(not v.undecided for v in verdict.violations)

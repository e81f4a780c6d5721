"""Secrets and configuration findings as Trivy writes them: `Class: "secret"` results with `Secrets`, and
`Class: "config"` results with `Misconfigurations` and a `MisconfSummary` (Trivy's pkg/types/report.go Result,
pkg/fanal/types/secret.go SecretFinding, pkg/types/misconfiguration.go DetectedMisconfiguration).

One result per file, as Trivy groups them. A secret in the image config gets Trivy's target for it, `config.json`,
with the field's entry number as its line. Checks on the image config and its history are Trivy's "Dockerfile"
target (Trivy rebuilds a Dockerfile from the history and checks that); checks on a file name the file. seawall
reports failed checks only, so `MisconfSummary.Successes` is 0. The secret itself is never here: `Match` is the
redacted match, and the code snippet Trivy shows is left empty.
"""

from __future__ import annotations

from typing import Any

from seawall.model.extra import ConfigFinding, SecretFinding
from seawall.model.finding import ScanReport
from seawall.model.vuln import Severity

SEVERITY = {Severity.CRITICAL: "CRITICAL", Severity.HIGH: "HIGH", Severity.MEDIUM: "MEDIUM", Severity.LOW: "LOW",
            Severity.NEGLIGIBLE: "LOW", Severity.UNKNOWN: "UNKNOWN"}
# Rule id prefix → Trivy's secret rule category (pkg/fanal/secret/builtin-rules.go names).
CATEGORIES = (
    ("private-key", "AsymmetricPrivateKey"), ("aws-", "AWS"), ("gcp-", "Google"), ("azure-", "Azure"),
    ("github-", "GitHub"), ("gitlab-", "GitLab"), ("slack-", "Slack"), ("stripe-", "Stripe"), ("npm", "Npm"),
    ("pypi-", "PyPI"), ("jwt", "JWT"), ("docker-", "Docker"),
)
CONFIG_TARGET = "config.json"
DOCKERFILE_TARGET = "Dockerfile"


def secret_results(secrets: list[SecretFinding], report: ScanReport, digests: dict[str, str]) -> list[dict[str, Any]]:
    by_target: dict[str, list[dict[str, Any]]] = {}
    for finding in secrets:
        target = CONFIG_TARGET if finding.in_config else finding.path.lstrip("/")
        by_target.setdefault(target, []).append(_secret(finding, report, digests))
    return [{"Target": target, "Class": "secret", "Secrets": entries} for target, entries in sorted(by_target.items())]


def config_results(findings: list[ConfigFinding], digests: dict[str, str],
                   diff_ids: dict[int, str]) -> list[dict[str, Any]]:
    by_target: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings:
        key = (finding.path.lstrip("/"), "filesystem") if finding.path else (DOCKERFILE_TARGET, "dockerfile")
        by_target.setdefault(key, []).append(_misconfiguration(finding, key[1], digests, diff_ids))
    return [{"Target": target, "Class": "config", "Type": kind,
             "MisconfSummary": {"Successes": 0, "Failures": len(entries), "Exceptions": 0},
             "Misconfigurations": entries} for (target, kind), entries in sorted(by_target.items())]


def _secret(finding: SecretFinding, report: ScanReport, digests: dict[str, str]) -> dict[str, Any]:
    layer = _omit({"Digest": digests.get(finding.layer_diff_id or ""), "DiffID": finding.layer_diff_id,
                   "CreatedBy": finding.created_by})
    return _omit({
        "RuleID": finding.rule_id,
        "Category": next((name for prefix, name in CATEGORIES if finding.rule_id.startswith(prefix)), "general"),
        "Severity": SEVERITY[finding.severity],
        "Title": finding.title,
        "StartLine": finding.line,
        "EndLine": finding.line,
        "Code": {"Lines": []},
        "Match": _config_match(finding, report) if finding.in_config else finding.match,
        "Layer": layer,
    })


def _config_match(finding: SecretFinding, report: ScanReport) -> str:
    """`NAME=<redacted>` for an ENV entry, as Trivy masks the line; `field: <redacted>` for the others."""
    field = finding.path.removeprefix("config:")
    env = report.image.runtime_config.get("Env") or []
    if field == "Env" and 0 <= finding.line - 1 < len(env):
        return f"{str(env[finding.line - 1]).partition('=')[0]}={finding.match}"
    return f"{field}: {finding.match}"


def _misconfiguration(finding: ConfigFinding, kind: str, digests: dict[str, str],
                      diff_ids: dict[int, str]) -> dict[str, Any]:
    diff_id = diff_ids.get(finding.layer_index) if finding.layer_index is not None else None
    return _omit({
        "Type": "Dockerfile Security Check" if kind == "dockerfile" else "Image Filesystem Check",
        "ID": finding.id,
        "Title": finding.title,
        "Description": finding.title,
        "Message": finding.evidence,
        "Namespace": f"seawall.config.{finding.id}",
        "Resolution": finding.remedy,
        "Severity": SEVERITY[finding.severity],
        "Status": "FAIL",
        "Layer": _omit({"Digest": digests.get(diff_id or ""), "DiffID": diff_id}),
    })


def _omit(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}

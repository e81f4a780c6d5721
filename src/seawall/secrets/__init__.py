"""Secrets left in an image: in any layer (also files a later layer deletes) and in the image config.

    ruleset = load_rules(config_file_or_None)
    analyzer = SecretAnalyzer(ruleset)
    inventory = build_inventory(source, analyzers=[analyzer])
    findings = secret_findings(inventory, analyzer)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seawall.errors import ExitCode, SeawallError
from seawall.model.extra import SecretFinding
from seawall.secrets.rules import RuleSet, load_rules
from seawall.secrets.scanner import SecretAnalyzer, SecretScanner, scan_config, severity_of

if TYPE_CHECKING:
    from seawall.inventory.build import Inventory
    from seawall.inventory.squash import LayerFacts

__all__ = ["RuleSet", "SecretAnalyzer", "SecretScanner", "layer_secret_findings", "load_rules", "secret_findings"]


class SecretScanError(SeawallError):
    """The secret scan of a layer failed (a bug): reported, never taken for a clean result."""

    exit_code = ExitCode.INTERNAL


def secret_findings(inventory: Inventory, analyzer: SecretAnalyzer,
                    in_layers: Sequence[SecretFinding] | None = None) -> list[SecretFinding]:
    """Every secret the analyzer found in the layers, plus those in the image config, allow-listed ones dropped.
    `in_layers`: the layers' findings (`layer_secret_findings`) when already known, from an earlier scan.

    Raises `SecretScanError` when a layer could not be scanned: a partial secret scan must not read as clean.
    """
    ruleset = analyzer.scanner.ruleset
    found = in_layers if in_layers is not None else layer_secret_findings(inventory, analyzer)
    out = [finding for finding in found if not ruleset.allowed(finding.rule_id, finding.path)]
    for item in scan_config(inventory.sbom.image, analyzer.scanner):
        if item["rule"] not in ruleset.allow_rules:
            out.append(_finding(item, None, None, None, None))
    return out


def layer_secret_findings(inventory: Inventory, analyzer: SecretAnalyzer) -> list[SecretFinding]:
    """The secrets found in the layers, before allow lists (which a `--secret-config` may change between scans)."""
    from seawall.inventory.squash import deletes

    out: list[SecretFinding] = []
    for analysis in inventory.analyses.get(analyzer.name, []):
        result = analysis.result
        if not isinstance(result, dict) or "error" in result:
            reason = result.get("error") if isinstance(result, dict) else "no result"
            raise SecretScanError(f"secret scan of layer {analysis.index} failed: {reason}",
                                  remedy="running with --scanners vuln,config to skip secrets, and reporting the error")
        for item in result.get("findings", []):
            out.append(_finding(item, analysis.index, analysis.diff_id, analysis.created_by,
                                _deleted_in(item["path"], analysis.index, inventory.layers, deletes)))
    return out


def _deleted_in(path: str, index: int, layers: list[LayerFacts], deletes: Any) -> int | None:
    for layer in layers:
        if layer.index > index and deletes(layer, path):
            return layer.index
    return None


def _finding(item: dict[str, Any], index: int | None, diff_id: str | None, created_by: str | None,
             deleted_in: int | None) -> SecretFinding:
    return SecretFinding(rule_id=item["rule"], title=item.get("title", item["rule"]),
                         severity=severity_of(item.get("severity", "high")), path=item["path"],
                         line=int(item.get("line", 0)), match=item["match"], layer_index=index,
                         layer_diff_id=diff_id, created_by=created_by or None, deleted_in_layer=deleted_in)

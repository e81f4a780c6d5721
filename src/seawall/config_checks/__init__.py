"""Configuration checks: how the image is set up to run, what its build history shows, and what its final
filesystem leaves open (setuid files, world-writable paths, package-manager caches).

    analyzer = FsFactsAnalyzer()
    inventory = build_inventory(source, analyzers=[analyzer])
    findings = config_findings(inventory)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seawall.config_checks.checks import CONFIG_CHECKS, FILESYSTEM_CHECKS, CheckInput
from seawall.config_checks.fsfacts import FinalView, FsFactsAnalyzer
from seawall.errors import ExitCode, SeawallError
from seawall.model.ecosystem import OS_PACKAGE_TYPES
from seawall.model.extra import ConfigFinding
from seawall.model.vuln import Severity

if TYPE_CHECKING:
    from seawall.inventory.build import Inventory

__all__ = ["FsFactsAnalyzer", "config_findings", "layer_facts"]

_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class FsFactsError(SeawallError):
    exit_code = ExitCode.INTERNAL


def layer_facts(inventory: Inventory) -> list[tuple[int, dict[str, Any]]]:
    """(layer index, fsfacts result) for each layer, base first; empty when the analyzer did not run."""
    out = []
    for analysis in inventory.analyses.get(FsFactsAnalyzer.name, []):
        if not isinstance(analysis.result, dict) or "error" in analysis.result:
            reason = analysis.result.get("error") if isinstance(analysis.result, dict) else "no result"
            raise FsFactsError(f"filesystem checks of layer {analysis.index} failed: {reason}",
                               remedy="running with --scanners vuln,secret to skip them, and reporting the error")
        out.append((analysis.index, analysis.result))
    return out


def config_findings(inventory: Inventory) -> list[ConfigFinding]:
    """Image-config checks (not for dir: and sbom: sources, which have no config) and, when the `FsFactsAnalyzer` ran,
    filesystem checks; most severe first."""
    facts = layer_facts(inventory)
    owned = dict(inventory.owned_files)
    layers: dict[str, int | None] = {}
    for package in inventory.sbom.packages:
        if package.type not in OS_PACKAGE_TYPES:
            continue
        # dpkg lists are named `name` or `name:arch`; rpm and apk packages carry their file lists themselves.
        key = next((k for k in (package.name, f"{package.name}:{package.arch}") if k in owned), package.name)
        if package.files and key not in owned:
            owned[key] = package.files
        layers[key] = package.layer_index
    data = CheckInput(image=inventory.sbom.image, view=FinalView(inventory.layers, [f for _, f in facts]),
                      facts=facts, owned_files=owned, package_layers=layers)
    checks = [] if inventory.sbom.image.transport in ("dir", "sbom") else list(CONFIG_CHECKS)
    if facts:
        checks.extend(FILESYSTEM_CHECKS)
    found = [finding for check in checks for finding in check(data)]
    return sorted(found, key=lambda f: (_RANK.get(f.severity, 4), f.id, f.path or ""))

"""SBOM × vulnerability DB → findings. OS packages match on their source package in the distribution's namespace;
language packages by ecosystem with OSV range semantics; aliases merge into one finding per package."""

from __future__ import annotations

from seawall.db.store import VulnStore
from seawall.match.findings import build_findings
from seawall.match.matcher import raw_matches
from seawall.model.finding import Finding
from seawall.model.sbom import SBOM


def match_sbom(sbom: SBOM, store: VulnStore) -> list[Finding]:
    return build_findings(raw_matches(sbom, store), store)

"""SBOM × vulnerability DB → findings. OS packages match on their source package in the distribution's namespace;
language packages by ecosystem with OSV range semantics; aliases merge into one finding per package."""

from __future__ import annotations

import gc

from seawall.db.store import VulnStore
from seawall.match.findings import build_findings
from seawall.match.matcher import raw_matches
from seawall.model.finding import Finding
from seawall.model.sbom import SBOM


def match_sbom(sbom: SBOM, store: VulnStore) -> list[Finding]:
    # Matching allocates hundreds of thousands of objects and makes no reference cycles; without the pause the
    # collector walks the growing heap again and again, a third of the time of a large scan.
    paused = gc.isenabled()
    gc.disable()
    try:
        return build_findings(raw_matches(sbom, store), store)
    finally:
        if paused:
            gc.enable()

"""Triage: allowlists and VEX statements mark findings suppressed with a reason; nothing is deleted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from seawall.model.finding import ScanReport
from seawall.triage.allowlist import Allowlist, ApplyResult, apply_allowlists, load_allowlists
from seawall.triage.vex import VexStatement, apply_vex, load_vex_files


@dataclass
class TriageResult:
    """What triage did to a report: allowlist entries used or expired, and the findings each VEX statement decided."""

    allowlist: ApplyResult = field(default_factory=ApplyResult)
    vex_used: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        return self.allowlist.notes()


def apply_triage(report: ScanReport, allowlists: Sequence[Allowlist] = (), vex: Sequence[VexStatement] = (), *,
                 now: datetime | None = None) -> tuple[ScanReport, TriageResult]:
    """VEX first (the supplier's word), then the allowlists (the team's); both only add suppressions."""
    report, vex_used = apply_vex(report, vex)
    report, applied = apply_allowlists(report, allowlists, now=now)
    return report, TriageResult(applied, vex_used)


def triage_files(report: ScanReport, allowlist_paths: Sequence[str | os.PathLike[str]] = (),
                 vex_paths: Sequence[str | os.PathLike[str]] = (), *,
                 now: datetime | None = None) -> tuple[ScanReport, TriageResult]:
    """Load and apply allowlist and VEX files; a malformed file raises before anything is applied."""
    allowlists = load_allowlists(allowlist_paths)
    statements = load_vex_files(vex_paths)
    return apply_triage(report, allowlists, statements, now=now)


__all__ = ["TriageResult", "apply_triage", "triage_files"]

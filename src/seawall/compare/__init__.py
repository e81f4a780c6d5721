"""`seawall compare`: why another scanner's report disagrees with seawall's, finding by finding.

Findings of seawall's scan and of each imported report are aligned by (package, vulnerability incl. aliases)
(`align`); every finding one side has and the other lacks, and every severity or status that differs, gets reasons
built from facts in seawall's DB and inventory (`explain`); `render` writes them as a table, Markdown or JSON.
seawall's verdict is the reference the others are explained against: it explains, it does not judge.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seawall.image.options import DEFAULT_FETCH, FetchOptions
from seawall.model.finding import Finding, ScanReport
from seawall.model.imported import ImportedFinding, ImportedReport
from seawall.model.sbom import Package

if TYPE_CHECKING:
    from seawall.compare.align import InventoryDiff

SEAWALL = "seawall"

# Reason codes; docs/compare.md documents each.
NOT_AFFECTED = "not-affected-in-release"  # (a)
DISTRO_STATE = "distribution-state-flattened"  # (b)
BINARY_VS_SOURCE = "binary-vs-source-package"  # (c)
MATCHED_BY_CPE = "matched-by-cpe"  # (d)
OUTSIDE_RANGE = "version-outside-range"  # (e)
OS_OWNED = "owned-by-os-package"  # (f)
NOT_SEEN = "package-not-seen"  # (g)
SEVERITY_SOURCE = "severity-source-differs"  # (h)
NEWER_THAN_DB = "newer-than-db"  # (i)
NO_FINDINGS = "report-without-findings"  # the report holds no vulnerability at all (an inventory-only scan)
UNEXPLAINED = "unexplained"
REASON_CODES = (NOT_AFFECTED, DISTRO_STATE, BINARY_VS_SOURCE, MATCHED_BY_CPE, OUTSIDE_RANGE, OS_OWNED, NOT_SEEN,
                SEVERITY_SOURCE, NEWER_THAN_DB, NO_FINDINGS, UNEXPLAINED)

# What a report's finding is, next to seawall's
AGREE = "agree"  # both have it, same severity and verdict
MISSING = "missing"  # seawall has it, the report does not
EXTRA = "extra"  # the report has it, seawall does not
SEVERITY = "severity"  # both have it, the severity differs
STATUS = "status"  # both have it, the verdict differs (e.g. Debian's "will not fix" reported as plain affected)


@dataclass(frozen=True)
class Reason:
    """Why one difference exists: a reason code (docs/compare.md), one sentence, and the facts it was built from."""

    code: str
    sentence: str  # one human sentence, the facts spelled out
    facts: tuple[tuple[str, str], ...] = ()

    def fact(self, key: str) -> str | None:
        return next((v for k, v in self.facts if k == key), None)


@dataclass(frozen=True)
class Statement:
    """What the distribution (or the ecosystem's advisory) itself says, with the page to read."""

    source: str  # debian | alpine | osv | …
    text: str
    url: str | None


@dataclass(frozen=True)
class Difference:
    """One report's view of one aligned row, when it differs from seawall's."""

    report: int  # index into Comparison.reports
    kind: str  # MISSING | EXTRA | SEVERITY | STATUS
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Row:
    """One (package, vulnerability) as every side sees it."""

    vulnerability: str  # the id shown (a CVE where there is one)
    ids: tuple[str, ...]  # every id the sides used for it
    package_name: str
    package_version: str
    package_type: str
    package: Package | None  # seawall's inventory entry; None when seawall's inventory has no such package
    seawall: Finding | None
    others: tuple[ImportedFinding | None, ...]  # one per report
    differences: tuple[Difference, ...] = ()
    statement: Statement | None = None

    @property
    def disputed(self) -> bool:
        return bool(self.differences)


@dataclass(frozen=True)
class Comparison:
    """Everything `seawall compare` found: seawall's scan, the other reports, and their findings aligned row by row."""

    target: str
    scan: ScanReport
    reports: tuple[ImportedReport, ...]
    rows: tuple[Row, ...]
    namespace: str | None
    inventory_complete: bool  # False when the target was a scan report listing only vulnerable packages
    inventories: tuple[InventoryDiff | None, ...] = ()  # per report that lists its whole inventory
    extra: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    def counts(self, report: int) -> dict[str, int]:
        """Per kind (agree, missing, extra, severity, status) for one report."""
        out = {AGREE: 0, MISSING: 0, EXTRA: 0, SEVERITY: 0, STATUS: 0}
        for row in self.rows:
            present = row.seawall is not None or row.others[report] is not None
            if not present:
                continue
            diff = next((d for d in row.differences if d.report == report), None)
            out[diff.kind if diff else AGREE] += 1
        return out

    def reason_counts(self, report: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            for diff in row.differences:
                if diff.report == report:
                    for reason in diff.reasons:
                        out[reason.code] = out.get(reason.code, 0) + 1
        return out


def compare(scan: ScanReport, reports: Sequence[ImportedReport], store: object, *, target: str = "",
            inventory_complete: bool = True) -> Comparison:
    """Align `scan` with each report and explain every difference from facts in `store` (a VulnStore)."""
    from seawall.compare.align import align, inventory_diff
    from seawall.compare.explain import Explainer
    from seawall.db.store import VulnStore

    assert isinstance(store, VulnStore)
    if scan.db_built_at is None:
        meta = store.meta()
        built = meta.get("built_at") or meta.get("updated_at")
        if built:
            import dataclasses

            scan = dataclasses.replace(scan, db_built_at=built)
    rows = align(scan, reports, store)
    explainer = Explainer(scan, reports, store, inventory_complete=inventory_complete)
    explained = tuple(explainer.explain(row) for row in rows)
    inventories = tuple(inventory_diff(scan.sbom.packages, report, number) if inventory_complete else None
                        for number, report in enumerate(reports))
    return Comparison(target=target or scan.image.source, scan=scan, reports=tuple(reports), rows=explained,
                      namespace=explainer.namespace, inventory_complete=inventory_complete,
                      inventories=inventories)


def compare_target(target: str, report_paths: Sequence[str | os.PathLike[str]], *,
                   db: str | os.PathLike[str] | None = None, auto_update: bool = True,
                   fetch: FetchOptions = DEFAULT_FETCH, show_progress: bool = False) -> Comparison:
    """Scan `target` (or read `report:FILE`, seawall's scan JSON) and compare it with the reports at `report_paths`."""
    from seawall.db import ensure_db
    from seawall.db.store import VulnStore
    from seawall.reports import load_report

    reports = [load_report(path) for path in report_paths]  # read first: a bad file fails before a long scan
    if target.startswith("report:"):
        from seawall.reports.seawall_json import load_scan_report

        scan = load_scan_report(target.removeprefix("report:"))
        complete = False
    else:
        from seawall.scan import scan_target

        scan = scan_target(target, fetch=fetch, db=db, auto_update=auto_update, show_progress=show_progress)
        complete = True
    db_file = ensure_db(db, auto_update=auto_update)
    with VulnStore.open(db_file) as store:
        return compare(scan, reports, store, target=target, inventory_complete=complete)

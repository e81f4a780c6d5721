"""`seawall fleet rematch`: after a DB update, judge every stored inventory of a run again (no pulls) and say which
images are newly affected and which newly fixed since their last match."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from seawall import __version__
from seawall.errors import InputError, NetworkError
from seawall.fleet.records import FindingRow, ImageResult, apply_coverage, apply_findings, now_iso, unpack_inventory
from seawall.fleet.store import ResultsStore


@dataclass
class ImageChange:
    """One image a re-match judged differently: the vulnerabilities it newly has, and those newly fixed."""

    image: str
    digest: str | None
    newly_affected: list[str] = field(default_factory=list)  # "CVE-… (package)"
    newly_fixed: list[str] = field(default_factory=list)
    # The same, one object each: what a receiver needs to decide who to wake (severity, fixed version, KEV).
    affected: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RematchResult:
    """The outcome of `seawall fleet rematch` for one run: the DB it used and every image whose findings changed."""

    run_id: str
    rematch_id: int
    db_built_at: str | None
    images: int
    changes: list[ImageChange]

    def document(self) -> dict[str, Any]:
        return {"run": self.run_id, "rematch": self.rematch_id, "dbBuiltAt": self.db_built_at,
                "images": self.images, "generator": f"seawall/{__version__}",
                "changes": [change.__dict__ for change in self.changes]}


def _label(vuln_id: str, package: str) -> str:
    return f"{vuln_id} ({package})"


def _detail(row: FindingRow) -> dict[str, Any]:
    return {"id": row.vuln_id, "package": row.package, "version": row.version, "severity": row.severity,
            "state": row.state, "fixedVersion": row.fixed_version, "kev": bool(row.kev), "epss": row.epss}


def rematch_run(store: ResultsStore, db: str | os.PathLike[str], run_id: str | None = None) -> RematchResult:
    from seawall.db.store import VulnStore
    from seawall.match import match_sbom
    from seawall.match.coverage import compute_coverage

    run = store.get_run(run_id) if run_id else store.latest_run(finished=True) or store.latest_run()
    if run is None:
        raise InputError(f"no run {run_id}" if run_id else "the results store holds no run",
                         remedy="`seawall fleet run` first")
    previous = store.findings(run.id)
    pending: list[tuple[ImageResult, ImageChange]] = []
    with VulnStore.open(Path(db)) as vulns:
        built_at = vulns.meta().get("updated_at")
        identity = vulns.identity()
        db_coverage = vulns.coverage()
        for result in store.iter_results(run.id):
            if result.error is not None or not result.inventory:
                continue
            sbom = unpack_inventory(result.inventory, f"{run.id}/{result.key}")
            before = {(row.vuln_id, row.package): row for row in previous.get((result.key, result.match_no), [])}
            coverage = compute_coverage(sbom, db_coverage)
            apply_findings(result, match_sbom(sbom, vulns))
            apply_coverage(result, coverage)
            result.db_identity = identity
            after = {(row.vuln_id, row.package): row for row in result.findings}
            gained, lost = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
            change = ImageChange(result.key, result.digest,
                                 newly_affected=sorted(_label(*item) for item in gained),
                                 newly_fixed=sorted(_label(*item) for item in lost),
                                 affected=[_detail(after[item]) for item in gained],
                                 fixed=[_detail(before[item]) for item in lost])
            result.db_built_at = built_at
            result.inventory = None
            pending.append((result, change))
    changes = [change for _, change in pending if change.newly_affected or change.newly_fixed]
    rematch_id = store.put_rematch(run.id, now_iso(), built_at, len(pending), [c.__dict__ for c in changes])
    for result, _ in pending:
        result.match_no = rematch_id
        store.update_match(result)
    return RematchResult(run.id, rematch_id, built_at, len(pending), changes)


def post_webhook(url: str, result: RematchResult, *, timeout: float = 30.0) -> None:
    """POST the re-match's changes as JSON; a refused or failed delivery is an error naming the URL."""
    try:
        response = httpx.post(url, json=result.document(), timeout=timeout,
                              headers={"User-Agent": f"seawall/{__version__}"})
    except httpx.HTTPError as err:
        raise NetworkError(f"webhook {url}: {err}", remedy="checking the URL; the re-match itself is stored") from None
    if response.status_code >= 300:
        raise NetworkError(f"webhook {url} answered HTTP {response.status_code}",
                           remedy="checking the receiver; the re-match itself is stored")

"""Trends across runs that can be compared, and where a change came from.

Only runs of the same catalog and tag strategy are compared (a `latest` run and a `supported` run scan different
images). Between two such runs, the change in findings is split in two: digests present in both runs are the same
bytes, so any change there comes from a newer vulnerability DB (a re-match or a later scan); digests that appeared
or went away bring their whole count with them — change caused by new images."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seawall.fleet.records import ImageResult
from seawall.fleet.store import ResultsStore, RunInfo


@dataclass
class TrendPoint:
    """One run on the trend: its headline numbers, and how much of the change came from new images or a newer DB."""

    run_id: str
    started_at: str
    images: int  # distinct digests scanned without error
    findings: int
    share_critical_high_fixable: float
    share_eol: float
    errors: int
    db_built_at: str | None = None
    from_new_images: int | None = None  # change in findings since the previous point, from digests new or gone
    from_db: int | None = None  # … from the same digests judged by a newer DB
    rematches: int = 0

    @property
    def label(self) -> str:
        return self.run_id if len(self.run_id) <= 24 else f"{self.started_at[:10]} …{self.run_id[-6:]}"


def identity(result: ImageResult) -> str:
    """What counts as one image: its digest (alias tags are one image), else its key."""
    return result.digest or result.key


def distinct(results: Sequence[ImageResult]) -> list[ImageResult]:
    """The error-free results, one per digest (the first tag by key stands for its aliases)."""
    seen: dict[str, ImageResult] = {}
    for result in sorted(results, key=lambda r: r.key):
        if result.error is None:
            seen.setdefault(identity(result), result)
    return list(seen.values())


def comparable(run: RunInfo, other: RunInfo) -> bool:
    return (other.catalog, other.strategy) == (run.catalog, run.strategy)


def build_trend(store: ResultsStore, run: RunInfo, runs: Sequence[RunInfo],
                current: Sequence[ImageResult]) -> list[TrendPoint]:
    points: list[TrendPoint] = []
    previous: dict[str, int] | None = None
    rematched: dict[str, int] = {}
    for item in store.rematches():
        rematched[item["run_id"]] = rematched.get(item["run_id"], 0) + 1
    for past in runs:
        if past.started_at > run.started_at or not comparable(run, past):
            continue
        if past.id != run.id and past.status != "finished":
            continue  # a run still going (or killed) would show as a drop
        results = list(current) if past.id == run.id else store.results(past.id)
        ok = distinct(results)
        covered = [r for r in ok if r.fully_covered]  # shares of images the DB judged fully, as in the summary
        totals = {identity(r): r.total for r in ok}
        point = TrendPoint(
            past.id, past.started_at, len(ok), sum(totals.values()),
            round(sum(1 for r in covered if r.fixable_critical_high) / len(covered), 4) if covered else 0.0,
            round(sum(1 for r in covered if r.distro_eol) / len(covered), 4) if covered else 0.0,
            sum(1 for r in results if r.error is not None), past.db_built_at, rematches=rematched.get(past.id, 0))
        if previous is not None:
            common = totals.keys() & previous.keys()
            point.from_db = sum(totals[d] - previous[d] for d in common)
            point.from_new_images = (sum(totals[d] for d in totals.keys() - common)
                                     - sum(previous[d] for d in previous.keys() - common))
        points.append(point)
        previous = totals
    return points

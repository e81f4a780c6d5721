"""`seawall fleet run`: select the catalog, learn each image's digest with a HEAD request, re-use results for
digests already scanned, scan the rest on the pool, and commit every image's result the moment it completes."""

from __future__ import annotations

import dataclasses
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from seawall.errors import InputError, SeawallError
from seawall.fleet.catalog import CatalogImage, file_catalog, official_catalog, rewrite_for_mirror, shard
from seawall.fleet.dask_runner import open_pool
from seawall.fleet.records import (
    ImageResult,
    apply_coverage,
    apply_findings,
    now_iso,
    summarize,
    unpack_inventory,
)
from seawall.fleet.store import ResultsStore, RunInfo
from seawall.image.registry.ratelimit import RateLimit


@dataclass
class RunOptions:
    catalog: str = "official"  # "official" or a catalog file
    strategy: str = "latest"
    library_dir: str | None = None
    hub_url: str | None = None
    names: set[str] | None = None  # only these official repositories
    registry_mirror: str | None = None
    store_url: str | None = None
    scheduler: str | None = None
    workers: int = 2
    shard: str | None = None
    run_id: str | None = None
    resume: bool = False
    platform: str | None = None
    insecure_registries: tuple[str, ...] = ()
    cache_dir: str | None = None
    db: str | None = None
    auto_update: bool = True
    policy: str | None = None
    reuse: bool = True
    min_remaining: int = 10  # pause pulls when Docker Hub reports fewer left than this


@dataclass
class RunSummary:
    run_id: str
    selected: int
    scanned: int = 0
    reused: int = 0
    errors: int = 0
    skipped: int = 0  # already done before a resume
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScanJob:
    base: ImageResult  # identity fields
    target: str  # what to pull (mirror applied)
    platform: str | None
    insecure_registries: tuple[str, ...]
    cache_dir: str | None
    db: str
    policy: str | None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def select_images(options: RunOptions, warnings: list[str]) -> list[CatalogImage]:
    if options.catalog == "official":
        if not options.library_dir:
            raise InputError("the official catalog needs its definition files",
                             remedy="--library-dir PATH (a checkout of docker-library/official-images/library)")
        images = official_catalog(options.library_dir, options.strategy, hub_url=options.hub_url,
                                  names=options.names, warnings=warnings)
    else:
        images = file_catalog(options.catalog)
    return shard(images, options.shard)


def _open_run(store: ResultsStore, options: RunOptions, summary_warnings: list[str]) -> RunInfo:
    existing = store.get_run(options.run_id) if options.run_id else None
    if existing is None and options.resume and not options.run_id:
        existing = store.latest_run(finished=False)
        if existing is None:
            raise InputError("there is no unfinished run to resume", remedy="leaving out --resume to start a run")
    if existing is not None:
        if existing.status == "finished":
            raise InputError(f"run {existing.id} has already finished", remedy="a new --run-id")
        return existing
    images = select_images(options, summary_warnings)
    run = RunInfo(id=options.run_id or new_run_id(), catalog=options.catalog, strategy=options.strategy,
                  platform=options.platform, started_at=now_iso(),
                  snapshot=[dataclasses.asdict(image) for image in images], selected=len(images),
                  note=f"shard {options.shard}" if options.shard else None)
    store.create_run(run)
    return run


def run_fleet(options: RunOptions, on_result: Callable[[ImageResult], None] | None = None) -> RunSummary:
    from seawall.db import ensure_db
    from seawall.paths import db_path

    warnings: list[str] = []
    with ResultsStore.open(options.store_url, options.cache_dir) as store:
        run = _open_run(store, options, warnings)
        images = [CatalogImage(**{**item, "architectures": tuple(item.get("architectures") or ())})
                  for item in run.snapshot or []]
        done = store.done_keys(run.id)
        summary = RunSummary(run.id, len(images), skipped=sum(1 for image in images if image.key in done),
                             warnings=warnings)
        pending = [image for image in images if image.key not in done]
        db_file = ensure_db(Path(options.db) if options.db else db_path(options.cache_dir),
                            auto_update=options.auto_update)
        store.set_run_db(run.id, _db_built_at(db_file))
        identity = _db_identity(db_file)
        platform = options.platform or run.platform

        def commit(result: ImageResult) -> None:
            if result.error is None and result.reused_from is None:
                result.db_identity = identity
            store.put_result(result)
            summary.errors += result.error is not None
            summary.reused += result.reused_from is not None
            summary.scanned += result.reused_from is None and result.error is None
            if on_result is not None:
                on_result(result)

        with _Heads(options) as heads, open_pool(options.scheduler, options.workers) as pool:
            for image in pending:
                base = _base(run.id, image)
                target = rewrite_for_mirror(image.reference, options.registry_mirror)
                try:
                    digest = heads.digest(target)
                except SeawallError as err:
                    commit(_failed(base, err.one_line().removeprefix("error: ")))
                    continue
                if digest is None:
                    commit(_failed(base, f"{target}: no such tag"))
                    continue
                reused = store.reusable(digest, platform) if options.reuse else None
                if reused is not None:
                    # A result matched against other data is not this run's answer: match its inventory again.
                    same_db = reused.db_identity == identity
                    if same_db or reused.inventory:
                        commit(_reuse(reused, base) if same_db else _rematched(reused, base, db_file, identity))
                        continue
                heads.pace()
                pool.submit(scan_job, ScanJob(base, f"{target.split('@')[0]}@{digest}" if "@" not in target
                                              else target, platform, options.insecure_registries,
                                              options.cache_dir, str(db_file), options.policy))
                for job, result, error in pool.finished(block=False):
                    commit(result if error is None else _failed(job.base, _reason(error)))
            for job, result, error in pool.finished(block=True):
                commit(result if error is None else _failed(job.base, _reason(error)))
        store.finish_run(run.id, now_iso())
    return summary


def _db_built_at(db_file: Path) -> str | None:
    from seawall.db.store import VulnStore

    with VulnStore.open(db_file) as vulns:
        return vulns.meta().get("updated_at")


def _db_identity(db_file: Path) -> str:
    from seawall.db.store import VulnStore

    with VulnStore.open(db_file) as vulns:
        return vulns.identity()


def _rematched(previous: ImageResult, base: ImageResult, db_file: Path, identity: str) -> ImageResult:
    """An earlier run's inventory of the same digest matched against this run's DB (no pull)."""
    from seawall.db.store import VulnStore
    from seawall.match import match_sbom
    from seawall.match.coverage import compute_coverage

    result = _reuse(previous, base)
    try:
        sbom = unpack_inventory(result.inventory or b"", f"{previous.run_id}/{previous.key}")
        with VulnStore.open(db_file) as vulns:
            coverage = compute_coverage(sbom, vulns.coverage())
            apply_findings(result, match_sbom(sbom, vulns))
            result.db_built_at = vulns.meta().get("updated_at")
    except SeawallError as err:
        return _failed(base, err.one_line().removeprefix("error: "))
    apply_coverage(result, coverage)
    result.db_identity = identity
    result.scanned_at = now_iso()
    return result


def _base(run_id: str, image: CatalogImage) -> ImageResult:
    return ImageResult(run_id=run_id, key=image.key, repository=image.repository, tag=image.tag,
                       reference=image.reference, variant=image.variant, hub_last_updated=image.hub_last_updated,
                       pull_count=image.pull_count)


def _failed(base: ImageResult, reason: str) -> ImageResult:
    return dataclasses.replace(base, error=" ".join(reason.split())[:500], scanned_at=now_iso())


def _reason(error: BaseException) -> str:
    if isinstance(error, SeawallError):
        return error.one_line().removeprefix("error: ")
    return f"{type(error).__name__}: {error}"


def _reuse(previous: ImageResult, base: ImageResult) -> ImageResult:
    """An earlier run's result for the same digest, under this run's identity for the image."""
    identity = {name: getattr(base, name) for name in ("run_id", "key", "repository", "tag", "reference",
                                                       "variant", "hub_last_updated", "pull_count")}
    findings = previous.findings
    return dataclasses.replace(previous, **identity, reused_from=previous.run_id, findings=findings, match_no=0)


def scan_job(job: ScanJob) -> ImageResult:
    """Runs on a worker: scan one image; any failure becomes the image's error, never the run's."""
    from seawall.image.options import FetchOptions
    from seawall.scan import scan_target

    started = time.monotonic()
    base = dataclasses.replace(job.base)
    try:
        report = scan_target(job.target, fetch=FetchOptions.of(job.platform, job.insecure_registries, job.cache_dir),
                             db=job.db, auto_update=False)
        result = summarize(report, base)
        result.digest = report.image.index_digest or report.image.digest
        if job.policy:
            result.verdict = _verdict(job.policy, report, job.target)
    except SeawallError as err:
        result = _failed(base, err.one_line().removeprefix("error: "))
    except Exception as err:  # a bug scanning one hostile image must not end the run
        last = traceback.extract_tb(err.__traceback__)[-1:]
        where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
        result = _failed(base, f"internal error: {type(err).__name__}: {err}{where}")
    result.duration = round(time.monotonic() - started, 3)
    return result


@cache
def _loaded_policy(path: str) -> Any:
    from seawall.policy.gate import Loaded
    from seawall.policy.schema import load_policy

    return Loaded(load_policy(path), [], [])


def _verdict(policy: str, report: Any, target: str) -> str:
    from seawall.policy.gate import judge

    return judge(report, _loaded_policy(policy), target=target).verdict.decision.value


class _Heads:
    """HEAD requests for digests (Docker Hub does not count them as pulls) and pacing by its rate-limit headers."""

    def __init__(self, options: RunOptions) -> None:
        from seawall.image.registry.client import RegistryClient, RegistryOptions

        self.min_remaining = options.min_remaining
        self.rate: RateLimit | None = None
        self.client = RegistryClient(RegistryOptions(insecure_registries=frozenset(options.insecure_registries),
                                                     on_rate_limit=self._observe))

    def __enter__(self) -> _Heads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _observe(self, rate: RateLimit, registry: str) -> None:
        self.rate = rate

    def digest(self, target: str) -> str | None:
        from seawall.image.reference import parse_reference

        return self.client.head_manifest(parse_reference(target))

    def pace(self) -> None:
        """With few pulls left, wait one refill interval (window / limit) per pull instead of running dry."""
        rate = self.rate
        if rate is None or rate.remaining is None or rate.remaining > self.min_remaining:
            return
        interval = (rate.window or 21600) / max(rate.limit, 1)
        time.sleep(min(interval, 600.0))

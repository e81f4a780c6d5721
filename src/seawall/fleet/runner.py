"""`seawall fleet run`: select the catalog, learn each image's digest with a HEAD request, re-use results for
digests already scanned, scan the rest on the pool, and commit every image's result the moment it completes."""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from seawall.errors import InputError, SeawallError
from seawall.fleet.catalog import CatalogImage, file_catalog, official_catalog, shard
from seawall.fleet.dask_runner import pool_starting
from seawall.fleet.heads import Heads
from seawall.fleet.records import (
    ImageResult,
    apply_coverage,
    apply_findings,
    now_iso,
    summarize,
    unpack_inventory,
)
from seawall.fleet.store import ResultsStore, RunInfo


@dataclass
class RunOptions:
    """How `seawall fleet run` runs: the catalog and tag strategy, where to pull from, store, workers, DB and re-use."""

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
    retry_errors: bool = True  # a resumed run scans the images stored as errors again
    reuse_url: str | None = None  # another store consulted (read only) for results by digest
    min_remaining: int = 10  # pause pulls when Docker Hub reports fewer left than this


@dataclass
class RunSummary:
    """What a fleet run did: images scanned, re-used, failed and skipped, and the warnings to show at the end."""

    run_id: str
    selected: int
    scanned: int = 0
    reused: int = 0
    errors: int = 0
    skipped: int = 0  # already done before a resume
    aliases: int = 0  # tags whose digest another tag of this run stands for
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScanJob:
    """One image's scan as a pool worker receives it: picklable, with all the worker needs to pull and judge it."""

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
    """The whole catalog (every shard's images), sorted by key."""
    if options.catalog == "official":
        if not options.library_dir:
            raise InputError("the official catalog needs its definition files",
                             remedy="--library-dir PATH (a checkout of docker-library/official-images/library)")
        images = official_catalog(options.library_dir, options.strategy, hub_url=options.hub_url,
                                  names=options.names, warnings=warnings)
    else:
        images = file_catalog(options.catalog)
    return shard(images, None)


def _open_run(store: ResultsStore, options: RunOptions, summary_warnings: list[str], heads: Heads) -> RunInfo:
    existing = store.get_run(options.run_id) if options.run_id else None
    if existing is None and options.resume and not options.run_id:
        existing = store.latest_run(finished=False)
        if existing is None:
            raise InputError("there is no unfinished run to resume", remedy="leaving out --resume to start a run")
    if existing is not None:
        if existing.status == "finished":
            if not (options.retry_errors and existing.errors):
                raise InputError(f"run {existing.id} has already finished"
                                 + (" without errors" if options.retry_errors else ""), remedy="a new --run-id")
            store.reopen_run(existing.id)  # its failed images are scanned again; the rest stays as it was
        return existing
    # Digests first (HEAD requests, no pulls): shards split by digest, and a resumed run pulls what it first saw.
    images = shard(heads.resolve(select_images(options, summary_warnings)), options.shard)
    run = RunInfo(id=options.run_id or new_run_id(), catalog=options.catalog, strategy=options.strategy,
                  platform=options.platform, started_at=now_iso(),
                  snapshot=[dataclasses.asdict(image) for image in images], selected=len(images),
                  note=f"shard {options.shard}" if options.shard else None)
    store.create_run(run)
    return run


def absolute_paths(options: RunOptions) -> RunOptions:
    """Paths as the caller meant them: workers run elsewhere (another process, directory or host)."""
    def absolute(value: str | None) -> str | None:
        return os.path.abspath(os.path.expanduser(value)) if value else value

    catalog = options.catalog if options.catalog == "official" else absolute(options.catalog) or options.catalog
    return dataclasses.replace(options, db=absolute(options.db), cache_dir=absolute(options.cache_dir),
                               policy=absolute(options.policy), library_dir=absolute(options.library_dir),
                               catalog=catalog)


def _snapshot_images(run: RunInfo) -> list[CatalogImage]:
    known = {f.name for f in dataclasses.fields(CatalogImage)}
    return [CatalogImage(**{**{k: v for k, v in item.items() if k in known},
                            "architectures": tuple(item.get("architectures") or ())})
            for item in run.snapshot or []]


def run_fleet(options: RunOptions, on_result: Callable[[ImageResult], None] | None = None) -> RunSummary:
    from seawall.db import ensure_db
    from seawall.paths import db_path

    options = absolute_paths(options)
    warnings: list[str] = []
    with ResultsStore.open(options.store_url, options.cache_dir) as store, \
            Heads(insecure_registries=options.insecure_registries, registry_mirror=options.registry_mirror,
                  min_remaining=options.min_remaining) as heads, \
            pool_starting(options.scheduler, options.workers) as started_pool:
        run = _open_run(store, options, warnings, heads)
        images = _snapshot_images(run)
        done = store.done_keys(run.id, with_errors=not options.retry_errors)
        summary = RunSummary(run.id, len(images), skipped=sum(1 for image in images if image.key in done),
                             warnings=warnings)
        pending = [image for image in images if image.key not in done]
        db_file = ensure_db(Path(options.db) if options.db else db_path(options.cache_dir),
                            auto_update=options.auto_update)
        store.set_run_db(run.id, _db_built_at(db_file))
        identity = _db_identity(db_file)
        platform = options.platform or run.platform

        def commit(result: ImageResult, *aliases: ImageResult) -> None:
            for each in (result, *aliases):
                if each.error is None and each.reused_from is None:
                    each.db_identity = identity
            store.put_results([result, *aliases])
            for each in (result, *aliases):
                summary.errors += each.error is not None
                summary.reused += each.reused_from is not None and each.alias_of is None
                summary.aliases += each.alias_of is not None
                summary.scanned += each.reused_from is None and each.alias_of is None and each.error is None
                if on_result is not None:
                    on_result(each)

        def completed(job: ScanJob, result: ImageResult) -> None:
            commit(result, *(_alias(result, _base(run.id, alias)) for alias in groups.get(job.base.key, ())))

        groups: dict[str, list[CatalogImage]] = {}  # scanned image's key → its alias tags in this run
        by_digest: dict[str, CatalogImage] = {}
        for image in pending:
            digest = image.digest
            if digest is None:  # the HEAD at selection failed (or a resumed run of an older seawall): ask again
                try:
                    digest = heads.digest(heads.target(image))
                except SeawallError as err:
                    commit(_failed(_base(run.id, image), err.one_line().removeprefix("error: ")))
                    continue
                if digest is None:
                    commit(_failed(_base(run.id, image), f"{heads.target(image)}: no such tag"))
                    continue
                image = dataclasses.replace(image, digest=digest)
            if digest in by_digest:
                groups[by_digest[digest].key].append(image)
            else:
                by_digest[digest] = image
                groups[image.key] = []

        pool = started_pool()
        with _history(options) as history:
            for digest, image in by_digest.items():
                base = _base(run.id, image)
                reused = _reusable(digest, platform, store, history) if options.reuse else None
                if reused is not None:
                    # A result matched against other data is not this run's answer: match its inventory again.
                    same_db = reused.db_identity == identity
                    if same_db or reused.inventory:
                        first = _reuse(reused, base) if same_db else _rematched(reused, base, db_file, identity)
                        commit(first, *(_alias(first, _base(run.id, alias)) for alias in groups[image.key]))
                        continue
                heads.pace()
                target = heads.target(image)
                pool.submit(scan_job, ScanJob(base, f"{target.split('@')[0]}@{digest}" if "@" not in target
                                              else target, platform, options.insecure_registries,
                                              options.cache_dir, str(db_file), options.policy))
                for job, result, error in pool.finished(block=False):
                    completed(job, result if error is None else _failed(job.base, _reason(error)))
            for job, result, error in pool.finished(block=True):
                completed(job, result if error is None else _failed(job.base, _reason(error)))
        store.finish_run(run.id, now_iso())
    return summary


@contextmanager
def _history(options: RunOptions) -> Iterator[ResultsStore | None]:
    if not options.reuse_url or not options.reuse:
        yield None
        return
    with ResultsStore.open(options.reuse_url) as history:
        yield history


def _reusable(digest: str, platform: str | None, store: ResultsStore,
              history: ResultsStore | None) -> ImageResult | None:
    found = store.reusable(digest, platform)
    if found is None and history is not None:
        found = history.reusable(digest, platform)
    return found


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


def _alias(result: ImageResult, base: ImageResult) -> ImageResult:
    """Another tag of the digest `result` holds: the same facts under that tag's identity, pulled once."""
    copy = _reuse(result, base)
    return dataclasses.replace(copy, reused_from=result.reused_from, alias_of=result.key)


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

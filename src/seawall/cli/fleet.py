"""`seawall fleet …`: scan a whole catalog of images on a schedule, keep every run, publish the report."""

from __future__ import annotations

import click

from seawall.cli.common import cache_dir, db_repository_option, format_option, write_output
from seawall.errors import ExitCode
from seawall.formats import FLEET_REPORT_FORMATS, Format

STORE_HELP = "Results store URL: sqlite:///FILE (default: in the cache) or postgresql+psycopg://USER@HOST/DB."


@click.group(name="fleet")
def fleet() -> None:
    """Scan a catalog of images (the Docker Official Images, or your own list) and report on all of them."""


@fleet.command(name="run")
@click.option("--catalog", default="official", show_default=True, metavar="official|FILE",
              help="The Docker Official Images, or a YAML/plain list of image references.")
@click.option("--library-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="The official-images `library/` folder (definition files).")
@click.option("--hub-url", metavar="URL", help="Docker Hub API base for pull counts and push dates "
              "(e.g. https://hub.docker.com); left out, the Hub is not asked.")
@click.option("--image", "names", multiple=True, metavar="NAME", help="Only these official repositories.")
@click.option("--strategy", type=click.Choice(["latest", "supported", "variants"]), default="latest",
              show_default=True, help="Which tags of each official image to scan.")
@click.option("--registry-mirror", metavar="HOST", help="Pull docker.io images from this mirror registry instead.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--scheduler", metavar="tcp://HOST:8786", help="Run on an existing Dask cluster.")
@click.option("--workers", type=int, default=2, show_default=True,
              help="Worker processes of the embedded Dask cluster (0: scan in this process).")
@click.option("--shard", metavar="i/N", help="Scan only the i-th of N equal parts of the catalog.")
@click.option("--run-id", metavar="ID", help="Name the run; an unfinished run of this id is resumed.")
@click.option("--resume", is_flag=True, help="Resume the last unfinished run.")
@click.option("--platform", metavar="OS/ARCH[/VARIANT]", help="Platform to scan (default: this machine's).")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST", help="Plain HTTP to this registry.")
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Never download a DB; fail when there is none.")
@db_repository_option
@click.option("--policy", type=click.Path(dir_okay=False), help="Judge every image by this policy (pass/fail).")
@click.option("--no-reuse", is_flag=True, help="Scan digests again even when an earlier run scanned them.")
@click.option("--reuse-from", "reuse_url", metavar="URL",
              help="Also re-use results by digest from this store (read only), e.g. the history a shard job pulled.")
@click.option("--keep-errors", is_flag=True,
              help="When resuming, keep the images stored as errors instead of scanning them again.")
@click.pass_context
def run(ctx: click.Context, catalog: str, library_dir: str | None, hub_url: str | None, names: tuple[str, ...],
        strategy: str, registry_mirror: str | None, store_url: str | None, scheduler: str | None, workers: int,
        shard: str | None, run_id: str | None, resume: bool, platform: str | None, insecure: tuple[str, ...],
        db_file: str | None, skip_db_update: bool, policy: str | None, no_reuse: bool, reuse_url: str | None,
        keep_errors: bool) -> int:
    """Scan every selected image and store the run; each image's result is kept as soon as it completes.

    Exits 9 when the run finished but some images could not be scanned (they are stored as errors)."""
    from seawall.fleet.records import ImageResult
    from seawall.fleet.runner import RunOptions, run_fleet

    options = RunOptions(
        catalog=catalog, strategy=strategy, library_dir=library_dir, hub_url=hub_url, names=set(names) or None,
        registry_mirror=registry_mirror, store_url=store_url, scheduler=scheduler, workers=workers, shard=shard,
        run_id=run_id, resume=resume, platform=platform, insecure_registries=insecure, cache_dir=cache_dir(ctx),
        db=db_file, auto_update=not skip_db_update, policy=policy, reuse=not no_reuse, retry_errors=not keep_errors,
        reuse_url=_store_url(reuse_url) if reuse_url else None)

    import sys

    from seawall.progress import PlainProgress

    counts = {"done": 0, "re-used": 0, "errors": 0}
    lines = PlainProgress("fleet run", first_at_once=True)

    def progress(result: ImageResult) -> None:
        counts["done"] += 1
        counts["re-used"] += bool(result.reused_from)
        counts["errors"] += bool(result.error)
        state = f"error: {result.error}" if result.error else (
            f"{result.total} findings" + (f" (same digest as {result.alias_of})" if result.alias_of else
                                          " (re-used)" if result.reused_from else ""))
        if sys.stderr.isatty() or result.error:  # a log gets every error, and the rest every few seconds
            click.echo(f"{result.key}: {state}", err=True)
        else:
            lines.update(f"{counts['done']} images done ({counts['re-used']} re-used, {counts['errors']} errors), "
                         f"last {result.key}: {state}")

    summary = run_fleet(options, on_result=progress)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"run {summary.run_id}: {summary.selected} images, {summary.scanned} scanned, {summary.reused} re-used,"
               f" {summary.aliases} alias tags, {summary.errors} errors"
               + (f", {summary.skipped} done before resuming" if summary.skipped else ""))
    if summary.errors:
        click.echo(f"error: {summary.errors} of {summary.selected} images could not be scanned — try "
                   f"`seawall fleet run --run-id {summary.run_id}` again later to retry them", err=True)
        return int(ExitCode.PARTIAL)
    return 0


@fleet.command(name="runs")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.pass_context
def runs(ctx: click.Context, store_url: str | None) -> int:
    """List the stored runs."""
    from seawall.fleet.store import ResultsStore

    with ResultsStore.open(store_url, cache_dir(ctx)) as store:
        for info in store.runs():
            click.echo(f"{info.id}\t{info.status}\t{info.started_at}\t{info.selected} images\t{info.errors} errors"
                       f"\t{info.catalog}")
    return 0


@fleet.command(name="rematch")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--run", "run_id", metavar="ID", help="The run to re-match (default: the latest).")
@click.option("--webhook", metavar="URL", help="POST the changes as JSON to this URL.")
@click.pass_context
def rematch(ctx: click.Context, store_url: str | None, db_file: str | None, run_id: str | None,
            webhook: str | None) -> int:
    """Judge the stored inventories again with the current DB (no pulls); list newly affected and fixed images."""
    from pathlib import Path

    from seawall.db import ensure_db
    from seawall.fleet.rematch import post_webhook, rematch_run
    from seawall.fleet.store import ResultsStore
    from seawall.paths import db_path

    db = ensure_db(Path(db_file) if db_file else db_path(cache_dir(ctx)), auto_update=False)
    with ResultsStore.open(store_url, cache_dir(ctx)) as store:
        result = rematch_run(store, db, run_id)
    for change in result.changes:
        click.echo(f"{change.image}: {len(change.newly_affected)} newly affected, "
                   f"{len(change.newly_fixed)} newly fixed")
        for item in change.newly_affected:
            click.echo(f"  + {item}")
        for item in change.newly_fixed:
            click.echo(f"  - {item}")
    click.echo(f"re-matched {result.images} images of run {result.run_id}: {len(result.changes)} changed")
    if webhook:
        post_webhook(webhook, result)
    return 0


@fleet.command(name="report")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@format_option(FLEET_REPORT_FORMATS, default=Format.HTML)
@click.option("--run", "run_id", metavar="ID", help="Report on this run (default: the latest finished).")
@click.option("--since", metavar="DATE", help="Only runs started on or after DATE (YYYY-MM-DD) count for trends.")
@click.option("--output", "-o", metavar="PATH", help="Write the report to PATH instead of standard output.")
@click.pass_context
def report(ctx: click.Context, store_url: str | None, fmt: str, run_id: str | None, since: str | None,
           output: str | None) -> int:
    """The security report of a run: HTML (one offline file), Markdown, CSV or JSON."""
    from seawall.fleet.report import build_report, render
    from seawall.fleet.store import ResultsStore

    with ResultsStore.open(store_url, cache_dir(ctx)) as store:
        data = build_report(store, run_id=run_id, since=since)
    write_output(render(data, fmt), output)
    return 0


@fleet.command(name="merge")
@click.argument("stores", nargs=-1, required=True, metavar="STORE…")
@click.option("--into", required=True, metavar="URL", help="The store that receives the merged run.")
@click.option("--run-id", metavar="ID", help="Id of the merged run (default: the shards' common id).")
def merge(stores: tuple[str, ...], into: str, run_id: str | None) -> int:
    """Merge the shard stores of one run (sqlite:///FILE or plain FILE paths) into one run of one store."""
    from seawall.fleet.merge import merge_stores

    urls = [_store_url(url) for url in stores]
    merged, count = merge_stores(urls, into, run_id)
    click.echo(f"run {merged}: {count} images merged from {len(urls)} store(s)")
    return 0


def _store_url(url: str) -> str:
    return url if "://" in url else f"sqlite:///{url}"


@fleet.command(name="plan")
@click.option("--catalog", default="official", show_default=True, metavar="official|FILE",
              help="The Docker Official Images, or a YAML/plain list of image references.")
@click.option("--library-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="The official-images `library/` folder (definition files).")
@click.option("--hub-url", metavar="URL", help="Docker Hub API base: tag sizes for the byte count.")
@click.option("--image", "names", multiple=True, metavar="NAME", help="Only these official repositories.")
@click.option("--strategy", type=click.Choice(["latest", "supported", "variants"]), default="latest",
              show_default=True)
@click.option("--registry-mirror", metavar="HOST", help="Ask this mirror instead of docker.io.")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST", help="Plain HTTP to this registry.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP + " Digests it holds are not pulled again.")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True, help="Workers per CI job.")
@click.option("--job-minutes", type=click.IntRange(10, 10080), default=300, show_default=True,
              help="Time one CI job may take (GitHub's limit is 360).")
@click.option("--authenticated", is_flag=True, help="Pulls are made with a Docker Hub account (one shared quota).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
              help="github: `shards=N` and `matrix=[…]` lines for $GITHUB_OUTPUT.")
@click.pass_context
def plan(ctx: click.Context, catalog: str, library_dir: str | None, hub_url: str | None, names: tuple[str, ...],
         strategy: str, registry_mirror: str | None, insecure: tuple[str, ...], store_url: str | None, workers: int,
         job_minutes: int, authenticated: bool, fmt: str) -> int:
    """What a run would pull (manifests, bytes, already stored) and how long it takes at Docker Hub's limits;
    HEAD requests only, no pulls."""
    import json

    from seawall.fleet.heads import Heads
    from seawall.fleet.plan import make_plan, render_github, render_text
    from seawall.fleet.runner import RunOptions, select_images
    from seawall.fleet.store import ResultsStore

    warnings: list[str] = []
    options = RunOptions(catalog=catalog, strategy=strategy, library_dir=library_dir, hub_url=hub_url,
                         names=set(names) or None)
    images = select_images(options, warnings)
    with Heads(insecure_registries=insecure, registry_mirror=registry_mirror) as heads:
        images = heads.resolve(images)
        observed = heads.rate
    with ResultsStore.open(store_url, cache_dir(ctx)) as store:
        result = make_plan(images, store, workers=workers, job_minutes=job_minutes, authenticated=authenticated,
                           observed=observed)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    text = {"json": lambda: json.dumps(result.document(), indent=2), "github": lambda: render_github(result),
            "text": lambda: render_text(result)}[fmt]()
    click.echo(text)
    return 0


@fleet.command(name="push")
@click.argument("reference", metavar="REGISTRY/REPOSITORY:TAG")
@click.option("--store", "store_url", required=True, metavar="sqlite:///FILE", help="The store file to push.")
def push(reference: str, store_url: str) -> int:
    """Keep the results store in a registry as an OCI artifact (history that outlives CI caches)."""
    from seawall.fleet.artifact import push_store

    digest, size = push_store(_store_url(store_url), reference)
    click.echo(f"pushed {reference}@{digest} ({size} bytes)")
    return 0


@fleet.command(name="pull")
@click.argument("reference", metavar="REGISTRY/REPOSITORY:TAG")
@click.option("--store", "store_url", required=True, metavar="sqlite:///FILE", help="Where to write the store.")
@click.option("--missing-ok", is_flag=True, help="No store at REFERENCE yet is not an error (a first run).")
@click.option("--replace", is_flag=True, help="Overwrite an existing store file.")
def pull(reference: str, store_url: str, missing_ok: bool, replace: bool) -> int:
    """Fetch a results store pushed with `seawall fleet push` (its digest checked)."""
    from seawall.fleet.artifact import pull_store

    digest = pull_store(reference, _store_url(store_url), missing_ok=missing_ok, replace=replace)
    click.echo(f"pulled {reference}@{digest}" if digest else f"no store at {reference} yet: starting a new one")
    return 0


@fleet.command(name="workflow")
@click.option("--github", is_flag=True, required=True, help="A GitHub Actions workflow.")
@click.option("--cron", default="17 3 * * 1", show_default=True, help="When it runs (UTC cron).")
@click.option("--strategy", type=click.Choice(["latest", "supported", "variants"]), default="latest",
              show_default=True)
@click.option("--job-minutes", type=click.IntRange(10, 360), default=300, show_default=True,
              help="Time budget of one scan job; `fleet plan` sizes the shards to it.")
@click.option("--store-ref", metavar="REGISTRY/REPOSITORY:TAG", help="Where the history is pushed when no "
              "FLEET_STORE_URL secret names a PostgreSQL store (default: the owner's GHCR package).")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE (e.g. .github/workflows/fleet.yml).")
def workflow(github: bool, cron: str, strategy: str, job_minutes: int, store_ref: str | None,
             output: str | None) -> int:
    """Generate a scheduled CI workflow: plan, scan in shards split by digest, merge into a durable history,
    publish the report on GitHub Pages."""
    from seawall.fleet.workflow import DEFAULT_STORE_REF, github_workflow

    write_output(github_workflow(cron=cron, strategy=strategy, job_minutes=job_minutes,
                                 store_ref=store_ref or DEFAULT_STORE_REF), output)
    return 0


@fleet.command(name="import-inventories")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--run-id", metavar="ID", help="Name the run.")
@click.pass_context
def import_inventories(ctx: click.Context, directory: str, store_url: str | None, db_file: str | None,
                       run_id: str | None) -> int:
    """Judge repo-info package inventories (JSON) as a run, without pulling the images."""
    from pathlib import Path

    from seawall.db import ensure_db
    from seawall.fleet.repo_info import import_inventories as do_import
    from seawall.fleet.store import ResultsStore
    from seawall.paths import db_path

    db = ensure_db(Path(db_file) if db_file else db_path(cache_dir(ctx)), auto_update=False)
    with ResultsStore.open(store_url, cache_dir(ctx)) as store:
        imported = do_import(directory, store, db, run_id=run_id)
    click.echo(f"run {imported}: inventories of {directory} judged and stored")
    return 0

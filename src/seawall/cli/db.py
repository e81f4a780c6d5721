"""`seawall db`: update, inspect, move and share the vulnerability DB."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from seawall.durations import parse_duration
from seawall.errors import ExitCode, InputError
from seawall.paths import db_path


def _human_age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def _resolve(ctx: click.Context, path: str | None) -> Path:
    if path:
        return Path(path)
    return db_path((ctx.obj or {}).get("cache_dir"))


@click.group()
@click.option("--db", "db_file", type=click.Path(dir_okay=False), envvar="SEAWALL_DB",
              help="The DB file (default: <cache>/db/seawall.db).")
@click.pass_context
def db(ctx: click.Context, db_file: str | None) -> None:
    """Update, inspect, export and import the vulnerability DB."""
    ctx.ensure_object(dict)
    ctx.obj["db_path"] = _resolve(ctx, db_file)


@db.command("path")
@click.pass_context
def path_cmd(ctx: click.Context) -> None:
    """Print where the DB lives."""
    click.echo(str(ctx.obj["db_path"]))


@db.command()
@click.option("--feed", "feed_names", multiple=True, metavar="NAME", help="Update only this feed (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="NAME[.KEY]=URL",
              help="Read a feed from a mirror, file or folder (repeatable).")
@click.pass_context
def update(ctx: click.Context, feed_names: tuple[str, ...], sources: tuple[str, ...]) -> int:
    """Download the feeds and update the DB (default: every default feed; `nvd` is opt-in)."""
    from seawall.db.build import update_db
    from seawall.feeds import select_feeds

    path: Path = ctx.obj["db_path"]
    feeds = select_feeds(list(feed_names), list(sources))
    with _Progress() as progress:
        report = update_db(path, feeds, progress=progress.update)
    for o in report.outcomes:
        if o.state == "failed":
            click.echo(f"error: {o.error}", err=True)
        else:
            click.echo(f"{o.name:<18} {o.state:<9} {o.records:>9} records {o.skipped:>6} skipped "
                       f"{o.flagged:>5} kept, flagged  {o.seconds:6.1f}s", err=True)
    if report.current:
        click.echo(f"{path}: nothing new upstream, left as it is", err=True)
    elif not report.installed:
        click.echo(f"error: no DB written at {path}", err=True)
    failed = report.failed
    if failed:
        ctx.exit(failed[0].exit_code)
    return int(ExitCode.OK)


class _Progress:
    """A rich progress line per feed on a terminal; without one, a plain line every few seconds."""

    def __init__(self) -> None:
        from seawall.progress import PlainProgress

        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._lines = PlainProgress("db update")

    def __enter__(self) -> _Progress:
        if not sys.stderr.isatty():
            self._lines.__enter__()
        else:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False),
                                      TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self._progress.__enter__()
        return self

    def update(self, feed: str, phase: str, count: int) -> None:
        text = f"{feed}: {phase}" + (f" ({count:,} records)" if count else "")
        if self._progress is None:
            self._lines.update(text)
            return
        if feed not in self._tasks:
            self._tasks[feed] = self._progress.add_task(text, total=None)
        self._progress.update(self._tasks[feed], description=text)

    def __exit__(self, *exc: object) -> None:
        self._lines.__exit__(*exc)
        if self._progress is not None:
            self._progress.__exit__(*exc)


@db.command()
@click.option("--max-age", default="24h", show_default=True, help="Warn about feeds older than this.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--fail-stale", is_flag=True, help="Exit non-zero when a feed is older than --max-age or failed.")
@click.pass_context
def status(ctx: click.Context, max_age: str, fmt: str, fail_stale: bool) -> int:
    """Show each feed's age, record and skip counts, and source."""
    from dataclasses import asdict

    from seawall.db.published import db_origin, origin_text
    from seawall.db.store import VulnStore

    limit = parse_duration(max_age)
    path: Path = ctx.obj["db_path"]
    with VulnStore.open(path) as store:
        feeds = store.feeds()
        meta = store.meta()
        coverage = store.coverage()
    now = datetime.now(UTC)
    rows = []
    stale = []
    for f in feeds:
        # Staleness is the data's age, not the download's: a mirror that stopped updating is fetched fresh daily.
        fetch_age = _seconds_since(now, f.fetched_at)
        age = _seconds_since(now, f.data_date)
        is_stale = age is None or age > limit or bool(f.error)
        if is_stale:
            stale.append(f.name)
        rows.append({**asdict(f), "age_seconds": age, "fetch_age_seconds": fetch_age, "stale": is_stale})
    if fmt == "json":
        click.echo(json.dumps({"path": str(path), "schema_version": int(meta.get("schema_version", 0)),
                               "updated_at": meta.get("updated_at"), "origin": db_origin(meta), "feeds": rows,
                               "coverage": [asdict(c) for c in coverage]}, indent=2))
    else:
        _table(path, meta, rows)
        click.echo(f"from: {origin_text(meta)}")
        _coverage_table(coverage)
    for name in stale:
        row = next(r for r in rows if r["name"] == name)
        if row["error"]:
            why = f"its last update failed: {row['error']}"
        elif row["age_seconds"] is None:
            why = "of unknown data date (its records and source carry none)"
        else:
            why = f"older than {max_age}: its newest data is from {str(row['data_date'])[:10]} " \
                  f"({_human_age(row['age_seconds'])} ago, fetched {_human_age(row['fetch_age_seconds'])} ago)"
        click.echo(f"warning: feed {name} is {why}", err=True)
    if fail_stale and stale:
        ctx.exit(int(ExitCode.DATABASE))
    return int(ExitCode.OK)


def _seconds_since(now: datetime, stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (now - (when if when.tzinfo else when.replace(tzinfo=UTC))).total_seconds()


def _print(*renderables: Any) -> None:
    from seawall.output.width import output_width, render_text

    click.echo(render_text(*renderables, width=output_width(100)), nl=False)


def _table(path: Path, meta: dict[str, str], rows: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    # Seven narrow columns fit 80; the long texts (source, reasons) go on lines of their own below.
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    numbers = ("age", "fetched", "records", "skipped", "flagged")
    for col in ("feed", "data date", *numbers):
        table.add_column(col, justify="right" if col in numbers else "left", no_wrap=True)
    for r in rows:
        table.add_row(r["name"] + (" (failed)" if r["error"] else ""),
                      str(r["data_date"] or "unknown")[:10], _human_age(r["age_seconds"]),
                      _human_age(r["fetch_age_seconds"]) + " ago", f"{r['records']:,}", f"{r['skipped']:,}",
                      f"{r['flagged']:,}")
    details: list[Text] = [Text(""), Text("sources, and why records were skipped or kept flagged:")]
    for r in rows:
        details.append(Text(f"{r['name']}: {r['source']}", overflow="fold"))
        details += [Text(f"  skipped: {reason} ({n})", overflow="fold") for reason, n in r["skip_reasons"][:3]]
        details += [Text(f"  kept, flagged: {reason} ({n})", overflow="fold") for reason, n in r["flag_reasons"][:2]]
    _print(Text(f"{path} (schema {meta.get('schema_version')}, updated {meta.get('updated_at')})", overflow="fold"),
           table, *details)


def _coverage_table(coverage: list[Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    for col in ("namespace", "feed", "advisories", "data date", "lists"):
        table.add_column(col, justify="right" if col == "advisories" else "left", no_wrap=col != "namespace")
    for c in coverage:
        table.add_row(c.namespace, c.feed, f"{c.advisories:,}", (c.data_date or "unknown")[:10],
                      "fixed only" if c.fixed_only else "fixed and unfixed")
    _print(Text(""), Text("coverage: the namespaces and ecosystems the DB can judge"), table)


@db.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def export_cmd(ctx: click.Context, file: str) -> None:
    """Write the DB as one compressed bundle (tar+zstd with a checksum manifest)."""
    from seawall.db.bundle import export_bundle

    manifest = export_bundle(ctx.obj["db_path"], Path(file))
    size = Path(file).stat().st_size
    click.echo(f"exported {manifest['files']['seawall.db']['size']:,} bytes as {size:,} bytes to {file}", err=True)


@db.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def import_cmd(ctx: click.Context, file: str) -> None:
    """Verify a bundle and make it the DB (the current DB is kept if anything is wrong)."""
    from seawall.db.bundle import import_bundle

    import_bundle(Path(file), ctx.obj["db_path"])
    click.echo(f"imported {file} into {ctx.obj['db_path']}", err=True)


@db.command()
@click.argument("refs", nargs=-1, required=True, metavar="REF...")
@click.pass_context
def push(ctx: click.Context, refs: tuple[str, ...]) -> None:
    """Push the DB to a registry as an OCI artifact (application/vnd.seawall.db.v1), under every REF.

    A REF without a tag gets the DB schema's tag (`HOST/seawall-db` → `HOST/seawall-db:3` for schema 3), the one
    `db pull` and first-use pulls read."""
    from seawall.db.oci import push_db, with_default_tag

    digest = push_db(ctx.obj["db_path"], refs)
    for ref in refs:
        click.echo(f"pushed {with_default_tag(ref)}@{digest}", err=True)
    click.echo(digest)


@db.command()
@click.argument("ref", required=False)
@click.pass_context
def pull(ctx: click.Context, ref: str | None) -> None:
    """Pull a DB pushed with `seawall db push`, verify it, and make it the DB.

    Without REF: the first DB repository that answers (--db-repository of the commands that scan, else
    $SEAWALL_DB_REPOSITORY, else the project's published DB)."""
    from seawall.db.published import pull_newest, repositories

    repos = (ref,) if ref else repositories()
    if not repos:
        raise InputError("no DB repository to pull from", remedy="naming one: `seawall db pull HOST/REPOSITORY`")
    pulled, failed = pull_newest(repos, ctx.obj["db_path"], say=False)
    if pulled is None:
        from seawall.errors import NetworkError

        raise NetworkError("no DB repository answered: " + "; ".join(f"{a.repository}: {a.error}" for a in failed),
                           remedy="checking the repository names and your network, or `seawall db update` to "
                                  "build from the feeds")
    click.echo(f"pulled {pulled.reference}@{pulled.digest} ({pulled.downloaded:,} bytes) into "
               f"{ctx.obj['db_path']}", err=True)


@db.command("feeds")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def feeds_cmd(fmt: str) -> None:
    """List the feeds `db update` knows: name, default or opt-in, default source, what --source accepts."""
    from seawall.feeds import FEEDS

    rows: list[dict[str, Any]] = [{"name": name, "default": cls.default, "source": cls.default_source(),
                                   "about": cls.about, "accepts": cls.accepts} for name, cls in FEEDS.items()]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']} ({'default' if row['default'] else 'opt-in: --feed ' + row['name']})")
        click.echo(f"  {row['about']}")
        click.echo(f"  default source: {row['source']}")
        click.echo(f"  --source {row['name']}=…: {row['accepts']}")

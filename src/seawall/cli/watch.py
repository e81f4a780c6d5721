"""`seawall watch`: the DB refreshed on an interval, every promoted production image judged again, owners told."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from seawall.cli.common import cache_dir, write_output
from seawall.errors import ExitCode, InputError, SeawallError

STORE_HELP = "Watch state URL: sqlite:///FILE (default: in the cache) or postgresql+psycopg://USER@HOST/DB."


def parse_interval(text: str) -> float:
    from seawall.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except InputError:
        raise InputError(f"--interval {text!r} is not a duration", remedy="e.g. 30s, 5m, 1h") from None
    if seconds <= 0:
        raise InputError(f"--interval {text!r} is not a duration", remedy="e.g. 30s, 5m, 1h")
    return seconds


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--at {text!r} is not a date or time", remedy="ISO 8601, e.g. 2025-03-01T12:00:00Z") \
            from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@click.command(name="watch")
@click.argument("repositories", nargs=-1, required=True, metavar="REPOSITORY...")
@click.option("--interval", default="5m", show_default=True, metavar="DURATION",
              help="Time between checks (30s, 5m, 1h).")
@click.option("--once", is_flag=True, help="Check once, print a Markdown summary on stdout, and exit (cron, CI).")
@click.option("--exit-code", is_flag=True,
              help="With --once: exit 1 when a change needs action, 8 when something could not be checked.")
@click.option("--webhook", metavar="URL", help="POST each image's changes as JSON here; signed with HMAC-SHA256 "
              "in X-Seawall-Signature when $SEAWALL_WEBHOOK_SECRET is set.")
@click.option("--allowlist", "allowlists", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Allowlist applied to every image (repeatable).")
@click.option("--vex", "vex", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="OpenVEX or CycloneDX VEX applied to every image (repeatable).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), metavar="PATH",
              help="Keep this offline HTML status page up to date after every check.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--db", "db_file", type=click.Path(dir_okay=False), help="Vulnerability DB file (default: cache).")
@click.option("--skip-db-update", is_flag=True, help="Judge with the DB as it is; never update it.")
@click.option("--feed", "feed_names", multiple=True, metavar="NAME", help="Update only this feed (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="NAME[.KEY]=URL",
              help="Read a feed from a mirror, file or folder (repeatable).")
@click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST", help="Plain HTTP to this registry.")
@click.option("--at", "at", metavar="TIME", help="Judge allowlist expiry as of this time (replays; default: now).")
@click.pass_context
def watch(ctx: click.Context, repositories: tuple[str, ...], interval: str, once: bool, exit_code: bool,
          webhook: str | None, allowlists: tuple[str, ...], vex: tuple[str, ...], report_path: str | None,
          store_url: str | None, db_file: str | None, skip_db_update: bool, feed_names: tuple[str, ...],
          sources: tuple[str, ...], insecure: tuple[str, ...], at: str | None) -> int:
    """Watch production REPOSITORY... (registry/repository, or :tag for one image): on every tick update the DB,
    read each promoted image's attached scan (no layer pulls), judge its inventory again with triage, and report
    what changed: newly affected, newly fixed, severity raised, added to KEV, allowlist entry expired."""
    from seawall.feeds import select_feeds
    from seawall.paths import db_path
    from seawall.watch.runner import WatchOptions, secret_from_env
    from seawall.watch.store import WatchStore

    seconds = parse_interval(interval)
    if exit_code and not once:
        raise click.UsageError("--exit-code needs --once")
    moment = _moment(at)
    if report_path:
        target = Path(report_path)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError(f"--report {report_path} is not a regular file", remedy="naming a regular file")
    select_feeds(list(feed_names), list(sources))  # a bad --feed or --source fails now, not on every tick
    options = WatchOptions(
        repositories=list(repositories), db=Path(db_file) if db_file else db_path(cache_dir(ctx)),
        feeds=None if skip_db_update else (lambda: select_feeds(list(feed_names), list(sources))),
        allowlists=list(allowlists), vex=list(vex), webhook=webhook, webhook_secret=secret_from_env(),
        cache_dir=cache_dir(ctx), insecure_registries=list(insecure))
    if moment is not None:
        options.now = lambda: moment
    stopping = _Stop()
    with WatchStore.open(store_url, cache_dir(ctx)) as store:
        while True:
            try:
                tick = _tick(options, store, report_path, list(repositories))
            except SeawallError as err:
                if once:
                    raise
                click.echo(f"watch: {err.one_line().removeprefix('error: ')}; next check in {interval}", err=True)
            else:
                if once:
                    click.echo(tick.markdown(), nl=False)
                    if exit_code and tick.needs_action:
                        return int(ExitCode.FINDINGS)
                    unjudged = tick.errors or any(i.problem for i in tick.images)
                    if exit_code and unjudged:
                        return int(ExitCode.UNDECIDED)
                    return int(ExitCode.OK)
                changed = sum(len(i.changes) for i in tick.images)
                click.echo(f"watch {tick.at}: {len(tick.images)} images, {changed} changes, DB {tick.db_state}"
                           + (f", {len(tick.errors)} could not be checked" if tick.errors else ""), err=True)
            if stopping.wait(seconds):
                return int(ExitCode.OK)


def _tick(options: Any, store: Any, report_path: str | None, repositories: list[str]) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from seawall.errors import DatabaseError, StoreError
    from seawall.watch.runner import run_tick
    from seawall.watch.status_page import render_status

    try:
        tick = run_tick(options, store)
        if report_path:
            write_output(render_status(store, repositories), report_path)
    except SQLAlchemyError as err:  # the store went away mid-tick (a PostgreSQL restart): the next tick retries
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StoreError(f"watch store: {type(err).__name__}: {first}",
                         remedy="checking the store; the watch retries on the next tick") from None
    except OSError as err:
        raise DatabaseError(f"cannot write {err.filename or 'the status page'}: {err.strerror}",
                            remedy="checking the path and its permissions") from None
    return tick


class _Stop:
    """SIGTERM/SIGINT end the wait between ticks; a tick in flight is cut short only by SIGKILL (and is redone)."""

    def __init__(self) -> None:
        self.requested = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, *_: Any) -> None:
        self.requested = True

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
        if self.requested:
            print("watch: stopped", file=sys.stderr)
        return self.requested

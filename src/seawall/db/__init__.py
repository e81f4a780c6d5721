"""The vulnerability DB: `VulnStore` reads it, `update_db` builds it, `ensure_db` makes sure there is one."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawall.db.store import SCHEMA_VERSION, VulnStore
from seawall.errors import DatabaseError, NetworkError
from seawall.paths import db_path

if TYPE_CHECKING:
    from seawall.db.build import FeedOutcome, UpdateReport, update_db
    from seawall.db.published import Attempt
    from seawall.feeds.http import Http

__all__ = ["SCHEMA_VERSION", "FeedOutcome", "UpdateReport", "VulnStore", "ensure_db", "update_db"]


def __getattr__(name: str) -> Any:
    # The builder pulls in every feed and the HTTP stack (~90 ms): a scan with a DB in place never needs it.
    if name in ("FeedOutcome", "UpdateReport", "update_db"):
        from seawall.db import build

        return getattr(build, name)
    raise AttributeError(name)


def ensure_db(path: str | os.PathLike[str] | None = None, *, auto_update: bool = True,
              feeds: Sequence[object] | None = None, http: Http | None = None,
              repositories: Sequence[str] = ()) -> Path:
    """The path of a readable DB: the existing one, or (like Trivy on first use) the newest published DB pulled from
    the first DB repository that answers, or else one built now from the default feeds.

    A DB that was pulled is replaced by a newer pull once it is older than SEAWALL_DB_MAX_AGE (kept when no
    repository answers). Explicit `feeds` skip the repositories. Raises DatabaseError for a DB of an unknown schema
    or when `auto_update` is off, NetworkError when nothing could be downloaded, IntegrityError for a tampered pull.
    """
    path = Path(path) if path else db_path()
    if path.is_file() and not auto_update:
        with VulnStore.open(path):  # readable, of a schema this version knows
            return path  # nothing may be fetched: the repositories are not even looked up
    from seawall.db.published import pull_newest, refresh_due
    from seawall.db.published import repositories as configured

    repos = configured(repositories) if feeds is None else ()
    if path.is_file():
        with VulnStore.open(path) as store:
            meta = store.meta()
        if auto_update and repos and refresh_due(meta):
            pulled, skipped = pull_newest(repos, path)
            if pulled is None:
                print(f"warning: keeping the aged DB at {path}: no DB repository answered ({skipped[-1].error})",
                      file=sys.stderr)
        return path
    if not auto_update:
        raise DatabaseError(f"no vulnerability DB at {path}", remedy="`seawall db update` to download one")
    failed: list[Attempt] = []
    if repos:
        pulled, failed = pull_newest(repos, path)
        if pulled is not None:
            return path
    from seawall.db.build import update_db
    from seawall.feeds import default_feeds

    progress = _FirstBuild(failed)
    with progress.lines:
        report = update_db(path, list(feeds) if feeds is not None else default_feeds(),  # type: ignore[arg-type]
                           http=http, progress=progress.update)
    if not report.installed:
        raise offline_error(failed, report.failed[0].error if report.failed else None)
    progress.done()
    return path


class _FirstBuild:
    """Says that the DB is being built from the feeds once a feed has answered (offline, the one error line says
    it all), then a progress line every few seconds."""

    def __init__(self, failed: Sequence[Attempt]) -> None:
        from seawall.progress import PlainProgress

        self.failed = failed
        self.announced = False
        self.lines = PlainProgress("building the vulnerability DB")

    def update(self, feed: str, phase: str, count: int) -> None:
        # Data arriving, or work still going after a moment: offline, every feed fails within a second.
        if not self.announced and (phase == "loading" or self.lines.clock() - self.lines.started >= 2.0):
            self.announced = True
            why = f"no DB repository answered ({self.failed[0].repository}: {self.failed[0].error}): " \
                if self.failed else ""
            print(f"{why}building the vulnerability DB from the feeds; a first build takes a few minutes "
                  "(`seawall db feeds` lists them)", file=sys.stderr, flush=True)
        self.lines.update(f"{feed}: {phase}" + (f" ({count:,} records)" if count else ""))

    def done(self) -> None:
        self.lines.done("done")


def offline_error(failed: Sequence[Attempt], feed_error: str | None) -> NetworkError:
    """One line for "no DB and nothing to get one from": the first host that did not answer and what to do offline."""
    first = (feed_error or "no feed selected").split(" — try ")[0]  # the outcome carries its own remedy; this gives one
    pulled = f"no DB repository answered ({failed[0].repository}: {failed[0].error}) and " if failed else ""
    return NetworkError(f"cannot build the vulnerability DB: {pulled}{first}",
                        remedy="checking the network; offline, `seawall db import FILE` (a bundle written by "
                               "`seawall db export`), `seawall db update --source NAME=PATH` from local copies "
                               "(`seawall db feeds`), or --db-repository naming a registry you can reach")

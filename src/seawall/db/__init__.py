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
    from seawall.db.published import pull_newest, refresh_due
    from seawall.db.published import repositories as configured

    path = Path(path) if path else db_path()
    repos = configured(repositories) if feeds is None else ()
    if path.is_file():
        with VulnStore.open(path) as store:
            meta = store.meta()
        if auto_update and repos and refresh_due(meta):
            pulled, failed = pull_newest(repos, path)
            if pulled is None:
                print(f"warning: keeping the aged DB at {path}: no DB repository answered ({failed[-1].error})",
                      file=sys.stderr)
        return path
    if not auto_update:
        raise DatabaseError(f"no vulnerability DB at {path}", remedy="`seawall db update` to download one")
    if repos:
        pulled, _ = pull_newest(repos, path)
        if pulled is not None:
            return path
        print("no DB repository answered: building the vulnerability DB from the feeds", file=sys.stderr)
    from seawall.db.build import update_db
    from seawall.feeds import default_feeds

    report = update_db(path, list(feeds) if feeds is not None else default_feeds(), http=http)  # type: ignore[arg-type]
    if not report.installed:
        first = report.failed[0].error if report.failed else "no feed selected"
        first = (first or "").split(" — try ")[0]  # the outcome carries its own remedy; this error gives one
        raise NetworkError(f"cannot build the vulnerability DB: {first}",
                           remedy="checking the network, a DB repository (--db-repository), or "
                                  "`seawall db import FILE` for an offline bundle")
    return path

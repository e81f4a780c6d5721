"""What the DB can judge and how old that data is: the `coverage` table (per namespace and feed: advisories, data
date, fixes only or not) and the dates a feed's data carries when its records carry none."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from seawall.feeds.interface import Workspace

COVERAGE_DDL = """CREATE TABLE IF NOT EXISTS coverage (namespace TEXT NOT NULL, feed TEXT NOT NULL,
  advisories INTEGER NOT NULL, data_date TEXT, fixed_only INTEGER NOT NULL, PRIMARY KEY (namespace, feed)
) WITHOUT ROWID"""
COVERAGE_QUERY = """
SELECT a.namespace, a.feed, count(*),
       nullif(max(max(coalesce(v.published, ''), coalesce(v.modified, ''))), ''),
       sum(a.status NOT IN ('fixed', 'not-affected')) = 0
FROM advisories AS a LEFT JOIN vulnerabilities AS v ON v.id = a.id AND v.feed = a.feed
GROUP BY a.namespace, a.feed"""


def write_coverage(conn: sqlite3.Connection, feeds: Collection[str] | None = None) -> None:
    """Rebuild the `coverage` table: per (namespace, feed), how many advisories, of what date, fixes only or not.

    `feeds`: only those feeds' rows are recomputed (a row depends on its own feed's data alone), so an update that
    changed one feed does not read every advisory again; None, or a table not filled yet: every row.
    """
    conn.execute(COVERAGE_DDL)
    if feeds is not None and conn.execute("SELECT count(*) FROM coverage").fetchone()[0] == 0:
        feeds = None
    feed_dates = dict(conn.execute("SELECT name, data_date FROM feeds"))
    query, params = COVERAGE_QUERY, ()  # type: tuple[str, tuple[str, ...]]
    if feeds is not None:
        if not feeds:
            return
        params = tuple(feeds)
        query = COVERAGE_QUERY.replace("GROUP BY", f"WHERE a.feed IN ({','.join('?' * len(params))})\nGROUP BY")
    rows = [(ns, feed, count, date or feed_dates.get(feed), int(bool(fixed_only)))
            for ns, feed, count, date, fixed_only in conn.execute(query, params)]
    if feeds is None:
        conn.execute("DELETE FROM coverage")
    else:
        conn.execute(f"DELETE FROM coverage WHERE feed IN ({','.join('?' * len(params))})", params)
    conn.executemany("INSERT INTO coverage VALUES (?, ?, ?, ?, ?)", rows)


def changed_date(prev: dict[str, Any] | None, digest: str) -> str:
    """For data that dates nothing itself and came without `Last-Modified`: when its content last changed, as this
    DB saw it. A mirror that stops changing keeps that date and grows stale; a local file's mtime is not used, since a
    copy or a checkout stamps it with the day it was made."""
    if prev is not None and prev.get("digest") == digest and prev.get("data_date"):
        return str(prev["data_date"])
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_date(ws: Workspace) -> str | None:
    """The inputs' own date when the records carry none: the newest `Last-Modified` the server sent."""
    dates: list[datetime] = []
    for validators in ws.new_validators.values():
        with contextlib.suppress(TypeError, ValueError):
            if validators.get("last_modified"):
                dates.append(parsedate_to_datetime(validators["last_modified"]))
    if not dates:
        return None
    newest = max(d if d.tzinfo else d.replace(tzinfo=UTC) for d in dates)
    return newest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

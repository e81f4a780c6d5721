"""The incremental part of a DB update: a feed that names the records that changed since its cursor (OSV's modified
ids, NVD's last-modified window) has only those records' rows replaced, in the update's copy of the DB."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from seawall.db.build import _TABLES, _Batch, _Loaded
from seawall.db.store import advisory_row
from seawall.feeds.interface import Feed, Workspace
from seawall.model.vuln import Advisory, Flagged, VulnerabilityMeta


def newer_date(date: str | None, conn: sqlite3.Connection, feed: Feed, delta: frozenset[str] | None) -> str | None:
    """A delta's data date is the newer of the records it brought and the one the feed had."""
    if delta is None:
        return date
    row = conn.execute("SELECT data_date FROM feeds WHERE name = ?", (feed.name,)).fetchone()
    dates = [d for d in (date, row[0] if row else None) if d]
    return max(dates) if dates else None


def chain_digest(previous: str, changed: frozenset[str]) -> str:
    """The digest of a delta: the previous data's digest and what replaced which records."""
    h = hashlib.sha256(previous.encode())
    for vuln_id in sorted(changed):
        h.update(vuln_id.encode() + b"\0")
    return f"sha256:{h.hexdigest()}"


def load_delta(conn: sqlite3.Connection, feed: Feed, ws: Workspace, changed: frozenset[str],
                prev: dict[str, Any]) -> _Loaded:
    """Replace only the rows of the records `changed` names (a record gone upstream loses its rows)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS delta_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.delta_ids")
    conn.executemany("INSERT OR IGNORE INTO temp.delta_ids VALUES (?)", ((i,) for i in changed))
    removed = conn.execute(
        "SELECT (SELECT count(*) FROM advisories WHERE feed = ?1 AND id IN (SELECT id FROM temp.delta_ids)) + "
        "(SELECT count(*) FROM temp.delta_ids AS d WHERE EXISTS (SELECT 1 FROM vulnerabilities AS v WHERE v.id = d.id "
        "AND v.feed = ?1) OR EXISTS (SELECT 1 FROM cvss AS c WHERE c.id = d.id AND c.feed = ?1))", (feed.name,)
    ).fetchone()[0]
    for table in _TABLES:
        extra = " OR alias IN (SELECT id FROM temp.delta_ids)" if table == "aliases" else ""
        conn.execute(f"DELETE FROM {table} WHERE feed = ? AND (id IN (SELECT id FROM temp.delta_ids){extra})",
                     (feed.name,))
    out = _Loaded()
    batch = _Batch(conn)
    for record in feed.parse_changed(ws, changed):
        if isinstance(record, Advisory):
            batch.advisories.append(advisory_row(record))
        elif isinstance(record, VulnerabilityMeta):
            batch.add_meta(record)
            if record.modified and (out.data_date is None or record.modified > out.data_date):
                out.data_date = record.modified
        elif isinstance(record, Flagged):
            out.flag_reasons[record.reason] += 1
            out.flagged += 1
            continue
        else:
            out.reasons[record.reason] += 1
            out.skipped += record.whole
            continue
        out.records += 1
    batch.flush()
    conn.execute("DELETE FROM temp.delta_ids")
    # Counts carried over: the records replaced are known; their earlier skips and flags are not, so those add up.
    out.records = max(int(prev["records"] or 0) - removed, 0) + out.records
    out.skipped += int(prev.get("skipped") or 0)
    out.flagged += int(prev.get("flagged") or 0)
    return out

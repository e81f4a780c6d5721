"""Updating the DB: fetch every feed first; when none has anything new, leave the file alone (the validators and
cursors of the check go to a small file in each feed's workspace); otherwise copy the current file, replace each
updated feed's rows in its own transaction, and rename the copy into place.

A feed whose fetch names the records that changed (OSV's modified ids, NVD's last-modified window) has only those
records replaced; the others are reloaded whole. A reader never sees half an update (the new file appears whole
through `os.replace`: readers open the file immutable, so it is never written in place, and the price of that is
one kernel-side file copy per update with changes); an interrupted or failed update leaves the previous file
untouched; a feed that fails keeps its previous rows and records its error.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seawall import __version__
from seawall.db.coverage import changed_date, source_date, write_coverage
from seawall.db.store import SCHEMA_VERSION, advisory_row, read_schema_version, schema_sql
from seawall.errors import DatabaseError, ExitCode, SeawallError
from seawall.feeds.http import Http
from seawall.feeds.interface import Feed, FetchResult, Workspace, read_manifest, unusable
from seawall.model.vuln import Advisory, Flagged, Skipped, VulnerabilityMeta

_FLUSH = 20_000
Progress = Callable[[str, str, int], None]  # (feed, phase, records so far)


@dataclass(frozen=True)
class FeedOutcome:
    """How one feed fared in a DB update: updated, unchanged or failed, with record counts and time taken."""

    name: str
    state: str  # updated | unchanged | failed
    records: int = 0
    skipped: int = 0
    error: str | None = None
    seconds: float = 0.0
    flagged: int = 0  # records kept although a range of theirs cannot be evaluated
    exit_code: int = 0  # of the error that failed the feed
    delta: int | None = None  # records replaced by an incremental update (None: the feed was reloaded whole)


@dataclass
class UpdateReport:
    """The result of a DB update: where the DB is, whether a new file was put in place, and each feed's outcome."""

    path: Path
    installed: bool
    outcomes: list[FeedOutcome] = field(default_factory=list)
    current: bool = False  # nothing new anywhere: the existing file was left as it is (`installed` stays False)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.state == "failed"]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def workspace_root(path: Path) -> Path:
    """Where a DB's feed downloads live between updates (next to it, so each DB has its own validators)."""
    return path.parent / f"{path.stem}.feeds"


@contextlib.contextmanager
def update_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f"{path.name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseError(f"another `seawall db update` is writing {path}",
                                remedy="waiting for it to finish") from None
        yield


def temp_path(path: Path) -> Path:
    return path.parent / f".{path.name}.new-{os.getpid()}"


def remove_stale(path: Path) -> None:
    """Left-overs of killed updates (the lock is held, so no live update owns them)."""
    for stale in path.parent.glob(f".{path.name}.new-*"):
        stale.unlink(missing_ok=True)
        Path(f"{stale}-journal").unlink(missing_ok=True)


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(schema_sql())
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.commit()


def open_writable_copy(path: Path, tmp: Path) -> sqlite3.Connection:
    """A writable copy of the current DB at `tmp`, or a new empty DB when there is none (or an older schema)."""
    tmp.unlink(missing_ok=True)
    reuse = False
    if path.is_file():
        try:
            probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                version = read_schema_version(probe, path)
            finally:
                probe.close()
        except DatabaseError:
            version = None  # not a DB we can read: rebuild from scratch
        if version is not None and version > SCHEMA_VERSION:
            raise DatabaseError(f"{path} has DB schema version {version}, newer than this seawall ({SCHEMA_VERSION})",
                                remedy="upgrading seawall, or `--db` to write another file")
        reuse = version == SCHEMA_VERSION
    if reuse:
        shutil.copyfile(path, tmp)  # the current file is never written in place, so a plain copy is consistent
    conn = sqlite3.connect(tmp, isolation_level=None)
    # The copy is private until renamed into place: durability comes from the final fsync, not from a journal on disk.
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("PRAGMA temp_store=MEMORY")
    if not reuse:
        create_schema(conn)
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def install(tmp: Path, path: Path) -> None:
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def update_db(path: Path, feeds: Sequence[Feed], *, http: Http | None = None, workspaces: Path | None = None,
              progress: Progress | None = None) -> UpdateReport:
    """Update `feeds` in the DB at `path` (created when missing). Failures of single feeds are in the report."""
    http = http or Http()
    workspaces = workspaces or workspace_root(path)
    report = UpdateReport(path=path, installed=False)
    with update_lock(path):
        remove_stale(path)
        try:
            update_id, previous = read_previous(path)
            fetched = [_fetch_feed(feed, previous.get(feed.name), update_id, http, workspaces / feed.name, progress)
                       for feed in feeds]
        finally:
            http.close()
        if update_id is not None and all(f.nothing_new for f in fetched):
            for f in fetched:
                f.remember(update_id)
            report.outcomes = [f.outcome() for f in fetched]
            report.current = True
            return report
        tmp = temp_path(path)
        existed = path.is_file()
        conn = open_writable_copy(path, tmp)
        try:
            for f in fetched:
                report.outcomes.append(_write_feed(conn, f, progress))
            if not existed and not any(o.state != "failed" for o in report.outcomes):
                return report  # nothing usable and nothing to keep: leave no empty DB behind
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('updated_at', ?), ('seawall_version', ?), "
                         "('update_id', ?)", (now_iso(), __version__, uuid.uuid4().hex))
            # A DB pulled from a repository and then updated from feeds is the feeds' now; the pull stays as its base.
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('origin', 'feeds')")
            write_coverage(conn, [o.name for o in report.outcomes if o.state == "updated"] if existed else None)
            _compact(conn)
            conn.close()
            install(tmp, path)
            report.installed = True
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            tmp.unlink(missing_ok=True)
    return report


CHECKED = "checked.json"  # in a feed's workspace: validators and cursor of a check that found nothing new


def read_previous(path: Path) -> tuple[str | None, dict[str, dict[str, Any]]]:
    """(the DB's update id, each feed's row) of the current file; (None, {}) when there is no current-schema DB."""
    if not path.is_file():
        return None, {}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return None, {}
    try:
        if read_schema_version(conn, path) != SCHEMA_VERSION:
            return None, {}
        row = conn.execute("SELECT value FROM meta WHERE key IN ('update_id', 'updated_at') ORDER BY key"
                           ).fetchone()
        rows = conn.execute("SELECT name, feed_version, validators, state, error, records, digest, data_date, "
                            "flagged, skipped FROM feeds").fetchall()
    except (DatabaseError, sqlite3.Error):
        return None, {}
    finally:
        conn.close()
    return (str(row[0]) if row else ""), {
        str(name): {"feed_version": version, "validators": json.loads(validators or "{}"),
                    "state": json.loads(state or "{}"), "error": error, "records": records, "digest": digest,
                    "data_date": data_date, "flagged": flagged, "skipped": skipped}
        for name, version, validators, state, error, records, digest, data_date, flagged, skipped in rows}


@dataclass
class _Fetched:
    """One feed after its fetch, before any write: what it downloaded, its previous row in the DB, or its error."""

    feed: Feed
    ws: Workspace
    prev: dict[str, Any] | None
    started: float
    result: FetchResult | None = None
    error: str | None = None
    exit_code: int = 0

    @property
    def same_data(self) -> bool:
        """The rows in the DB are this feed version's parse of what the workspace holds."""
        p = self.prev
        return p is not None and p["feed_version"] == self.feed.version and not p["error"] and bool(p["digest"])

    @property
    def nothing_new(self) -> bool:
        if self.error is not None:  # a failure already recorded needs no new file
            return self.prev is not None and self.prev["error"] == self.error
        if self.result is None or not self.same_data:
            return False
        return not self.result.changed or self.result.changed_ids == frozenset()

    def outcome(self) -> FeedOutcome:
        seconds = time.monotonic() - self.started
        if self.error is not None:
            return FeedOutcome(self.feed.name, "failed", error=self.error, seconds=seconds, exit_code=self.exit_code)
        return FeedOutcome(self.feed.name, "unchanged", records=self.prev["records"] if self.prev else 0,
                           seconds=seconds, flagged=self.prev["flagged"] if self.prev else 0)

    def remember(self, update_id: str) -> None:
        """Keep this check's validators and cursor beside the untouched DB, for the next conditional requests."""
        if self.error is not None:
            return
        data = {"db": update_id, "checked_at": now_iso(), "validators": self.ws.new_validators,
                "state": self.ws.new_state}
        part = self.ws.dir / f"{CHECKED}.part"
        part.write_text(json.dumps(data), encoding="utf-8")
        os.replace(part, self.ws.dir / CHECKED)


def _checked(directory: Path, update_id: str | None) -> dict[str, Any] | None:
    """The last no-change check's validators and cursor, when they belong to the DB file in place now."""
    try:
        data = json.loads((directory / CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and update_id and data.get("db") == update_id else None


def _fetch_feed(feed: Feed, prev: dict[str, Any] | None, update_id: str | None, http: Http, directory: Path,
                progress: Progress | None) -> _Fetched:
    started = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    validators, state = (prev["validators"], prev["state"]) if prev else ({}, {})
    checked = _checked(directory, update_id) if prev else None
    if checked is not None:
        validators, state = checked.get("validators") or {}, checked.get("state") or {}
    ws = Workspace(dir=directory, http=http, validators=validators, state=state,
                   progress=(lambda text: progress(feed.name, f"fetching {text}", 0)) if progress else None)
    fetched = _Fetched(feed, ws, prev, started)
    if progress:
        progress(feed.name, "fetching", 0)
    try:
        fetched.result = feed.fetch(ws)
    except SeawallError as err:
        fetched.error, fetched.exit_code = err.one_line().removeprefix("error: "), int(err.exit_code)
    except OSError as err:
        fetched.error = f"cannot write the feed workspace {directory}: {err.strerror}"
        fetched.exit_code = int(ExitCode.INPUT)
    return fetched


def _write_feed(conn: sqlite3.Connection, f: _Fetched, progress: Progress | None) -> FeedOutcome:
    feed, ws, prev, started = f.feed, f.ws, f.prev, f.started
    (ws.dir / CHECKED).unlink(missing_ok=True)
    if f.error is not None or f.result is None:
        return _failed(conn, feed, f.error or "no fetch result", started, f.exit_code)
    fetched = f.result
    if (not fetched.changed or fetched.changed_ids == frozenset()) and f.same_data and prev is not None:
        conn.execute("UPDATE feeds SET fetched_at = ?, validators = ?, state = ? WHERE name = ?",
                     (now_iso(), json.dumps(ws.new_validators), json.dumps(ws.new_state), feed.name))
        return FeedOutcome(feed.name, "unchanged", records=prev["records"], seconds=time.monotonic() - started,
                           flagged=prev["flagged"])
    delta = fetched.changed_ids if f.same_data and prev is not None else None
    from seawall.db.delta import chain_digest, load_delta, newer_date
    if progress:
        progress(feed.name, "loading", 0)
    conn.execute("BEGIN")
    try:
        if delta is not None and prev is not None:
            loaded = load_delta(conn, feed, ws, delta, prev)
            digest = chain_digest(prev["digest"], delta)
        else:
            loaded = _load(conn, feed, ws, progress)
            digest = _digest(ws.dir)
        date = fetched.data_date or loaded.data_date or source_date(ws) or changed_date(prev, digest)
        conn.execute(
            "INSERT OR REPLACE INTO feeds (name, feed_version, data_date, fetched_at, source, digest, records, "
            "skipped, skip_reasons, error, validators, state, flagged, flag_reasons) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            (feed.name, feed.version, newer_date(date, conn, feed, delta), now_iso(), fetched.source, digest,
             loaded.records, loaded.skipped, json.dumps(dict(loaded.reasons)), json.dumps(ws.new_validators),
             json.dumps(ws.new_state), loaded.flagged, json.dumps(dict(loaded.flag_reasons))))
        conn.execute("COMMIT")
    except BaseException as err:
        conn.execute("ROLLBACK")
        if not isinstance(err, Exception):
            raise
        if isinstance(err, SeawallError):
            return _failed(conn, feed, err.one_line().removeprefix("error: "), started, err.exit_code)
        return _failed(conn, feed, f"feed {feed.name}: cannot load its data: {type(err).__name__}: {err}", started,
                       ExitCode.INPUT)
    return FeedOutcome(feed.name, "updated", records=loaded.records, skipped=loaded.skipped,
                       seconds=time.monotonic() - started, flagged=loaded.flagged,
                       delta=len(delta) if delta is not None else None)


def _compact(conn: sqlite3.Connection) -> None:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if pages and free / pages > 0.25:
        conn.execute("VACUUM")


def _failed(conn: sqlite3.Connection, feed: Feed, message: str, started: float, code: int) -> FeedOutcome:
    conn.execute("INSERT INTO feeds (name, feed_version, error) VALUES (?, ?, ?) "
                 "ON CONFLICT (name) DO UPDATE SET error = excluded.error", (feed.name, feed.version, message))
    return FeedOutcome(feed.name, "failed", error=message, seconds=time.monotonic() - started, exit_code=int(code))


def _digest(directory: Path) -> str:
    """sha256 over the manifest's inputs (their bytes; folders: every file's path and bytes)."""
    h = hashlib.sha256()
    for item in read_manifest(directory):
        path = Path(item.path) if Path(item.path).is_absolute() else directory / item.path
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            h.update(str(file.relative_to(path) if path.is_dir() else item.url).encode())
            with open(file, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
    return f"sha256:{h.hexdigest()}"


@dataclass
class _Loaded:
    """What one feed's parse put into the DB: records written, skipped and flagged (with reasons), newest date seen."""

    records: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    data_date: str | None = None
    flagged: int = 0
    flag_reasons: Counter[str] = field(default_factory=Counter)


_TABLES = ("advisories", "vulnerabilities", "aliases", "cvss", "refs", "kev", "epss")


def _load(conn: sqlite3.Connection, feed: Feed, ws: Workspace, progress: Progress | None) -> _Loaded:
    for table in _TABLES:
        conn.execute(f"DELETE FROM {table} WHERE feed = ?", (feed.name,))
    out = _Loaded()
    batch = _Batch(conn)
    for record in feed.parse(ws):
        if isinstance(record, Advisory):
            batch.advisories.append(advisory_row(record))
        elif isinstance(record, VulnerabilityMeta):
            batch.add_meta(record)
            for date in (record.modified, record.published,
                         record.epss.date if record.epss else None, record.kev.date_added if record.kev else None):
                if date and (out.data_date is None or date > out.data_date):
                    out.data_date = date
        elif isinstance(record, Skipped):
            out.reasons[record.reason] += 1
            out.skipped += record.whole
            continue
        elif isinstance(record, Flagged):
            out.flag_reasons[record.reason] += 1
            out.flagged += 1
            continue
        out.records += 1
        if batch.size >= _FLUSH:
            batch.flush()
            if progress:
                progress(feed.name, "loading", out.records)
    batch.flush()
    if out.records == 0 and out.skipped:
        reason, count = out.reasons.most_common(1)[0]
        raise unusable(feed.name, f"no usable record ({count} skipped: {reason})")
    return out


class _Batch:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.advisories: list[tuple[object, ...]] = []
        self.vulns: list[tuple[object, ...]] = []
        self.aliases: list[tuple[str, str, str]] = []
        self.cvss: list[tuple[object, ...]] = []
        self.refs: list[tuple[str, str, str]] = []
        self.kev: list[tuple[object, ...]] = []
        self.epss: list[tuple[object, ...]] = []

    @property
    def size(self) -> int:
        return len(self.advisories) + len(self.vulns) + len(self.epss) + len(self.kev)

    def add_meta(self, m: VulnerabilityMeta) -> None:
        if m.summary or m.description or m.published or m.modified:
            self.vulns.append((m.id, m.feed, m.summary, m.description, m.published, m.modified))
        for alias in m.aliases:
            self.aliases.append((m.id, alias, m.feed))
            self.aliases.append((alias, m.id, m.feed))
        self.cvss.extend((m.id, m.feed, c.source, c.version, c.vector, c.score, int(c.primary)) for c in m.cvss)
        self.refs.extend((m.id, m.feed, url) for url in m.references)
        if m.kev:
            k = m.kev
            self.kev.append((m.id, m.feed, k.date_added, int(k.known_ransomware), k.due_date, k.vendor_project,
                             k.product, k.name))
        if m.epss:
            self.epss.append((m.id, m.feed, m.epss.score, m.epss.percentile, m.epss.date))

    def flush(self) -> None:
        c = self.conn
        c.executemany("INSERT INTO advisories VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self.advisories)
        c.executemany("INSERT OR REPLACE INTO vulnerabilities VALUES (?,?,?,?,?,?)", self.vulns)
        c.executemany("INSERT OR IGNORE INTO aliases VALUES (?,?,?)", self.aliases)
        c.executemany("INSERT INTO cvss VALUES (?,?,?,?,?,?,?)", self.cvss)
        c.executemany("INSERT INTO refs VALUES (?,?,?)", self.refs)
        c.executemany("INSERT OR REPLACE INTO kev VALUES (?,?,?,?,?,?,?,?)", self.kev)
        c.executemany("INSERT OR REPLACE INTO epss VALUES (?,?,?,?,?)", self.epss)
        for rows in (self.advisories, self.vulns, self.aliases, self.cvss, self.refs, self.kev, self.epss):
            rows.clear()

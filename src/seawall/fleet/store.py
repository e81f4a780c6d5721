"""The fleet results store (SQLAlchemy Core): a SQLite file by default, PostgreSQL for teams.

One row per run, one per (run, image) with the summary facts and the gzipped inventory, one per finding (tagged with
the match that produced it: 0 for the scan, then each re-match), one per re-match. Each image is committed in its
own transaction, so a killed run loses at most the images in flight."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from seawall.errors import InputError, StoreError
from seawall.fleet.records import FindingRow, ImageResult
from seawall.paths import cache_dir as default_cache_dir

SCHEMA_VERSION = 4
# Each step brings a store of the version before it up to date, in place.
MIGRATIONS = {1: ["ALTER TABLE fleet_results ADD COLUMN size_uncompressed BIGINT"],
              2: ["ALTER TABLE fleet_findings ADD COLUMN aliases TEXT"],
              3: ["ALTER TABLE fleet_results ADD COLUMN covered_packages INTEGER",
                  "ALTER TABLE fleet_results ADD COLUMN uncovered_packages INTEGER",
                  "ALTER TABLE fleet_results ADD COLUMN uncovered_namespaces TEXT",
                  "ALTER TABLE fleet_results ADD COLUMN db_identity VARCHAR(80)"]}
metadata = MetaData()

meta_table = Table("fleet_meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text))
runs_table = Table(
    "fleet_runs", metadata,
    Column("id", String(128), primary_key=True),
    Column("catalog", String(512)), Column("strategy", String(32)), Column("platform", String(64)),
    Column("started_at", String(32)), Column("finished_at", String(32)),
    Column("status", String(16)),  # running | finished
    Column("snapshot", Text),  # JSON: the images selected, so a resumed run scans the same list
    Column("selected", Integer), Column("errors", Integer), Column("db_built_at", String(32)),
    Column("note", Text),
)
results_table = Table(
    "fleet_results", metadata,
    Column("run_id", String(128), primary_key=True), Column("image_key", String(512), primary_key=True),
    Column("repository", String(512)), Column("tag", String(256)), Column("reference", Text),
    Column("variant", String(64)), Column("digest", String(160), index=True), Column("platform", String(64)),
    Column("created", String(40)), Column("hub_last_updated", String(40)), Column("pull_count", BigInteger),
    Column("distro", String(64)), Column("distro_version", String(64)), Column("distro_eol", Boolean),
    Column("eol_date", String(16)), Column("size", BigInteger), Column("size_uncompressed", BigInteger),
    Column("package_count", Integer),
    Column("severities", Text), Column("states", Text),
    Column("findings_total", Integer), Column("fixable", Integer), Column("fixable_critical_high", Integer),
    Column("kev", Integer), Column("max_epss", Float), Column("secrets", Integer), Column("misconfigs", Integer),
    Column("verdict", String(16)), Column("duration", Float), Column("error", Text),
    Column("reused_from", String(128)), Column("alias_of", String(512)), Column("scanned_at", String(32)),
    Column("db_built_at", String(32)),
    Column("match_no", Integer), Column("inventory", LargeBinary),
    # What the DB could judge: counts, the namespaces it had no data for (JSON list), and the DB's identity
    # (`VulnStore.identity`), so a later run copies this result only when it would match against the same data.
    Column("covered_packages", Integer), Column("uncovered_packages", Integer), Column("uncovered_namespaces", Text),
    Column("db_identity", String(80)),
)
findings_table = Table(
    "fleet_findings", metadata,
    Column("run_id", String(128), index=True), Column("image_key", String(512)), Column("match_no", Integer),
    Column("vuln_id", String(128)), Column("package", String(512)), Column("version", String(256)),
    Column("pkg_type", String(32)), Column("severity", String(16)), Column("state", String(16)),
    Column("fixed_version", String(256)), Column("kev", Boolean), Column("epss", Float),
    Column("aliases", Text),  # the finding's other ids, space-separated (a DSA's CVEs)
)
rematches_table = Table(
    "fleet_rematches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True), Column("run_id", String(128)),
    Column("at", String(32)), Column("db_built_at", String(32)), Column("images", Integer),
    Column("changes", Text),  # JSON: [{image, newly_affected: [...], newly_fixed: [...]}]
)

_SIMPLE = ("repository", "tag", "reference", "variant", "digest", "platform", "created", "hub_last_updated",
           "pull_count", "distro", "distro_version", "distro_eol", "eol_date", "size", "size_uncompressed",
           "package_count", "fixable", "fixable_critical_high", "kev", "max_epss", "secrets", "misconfigs", "verdict",
           "duration", "error", "reused_from", "alias_of", "scanned_at", "db_built_at", "match_no",
           "covered_packages", "uncovered_packages", "db_identity")
_FINDING_FIELDS = tuple(f.name for f in fields(FindingRow))


@dataclass
class RunInfo:
    """One fleet run as the store keeps it: catalog, strategy, platform, start and end, status, the DB it used."""

    id: str
    catalog: str
    strategy: str
    platform: str | None
    started_at: str
    status: str = "running"
    finished_at: str | None = None
    snapshot: list[dict[str, Any]] | None = None
    selected: int = 0
    errors: int = 0
    db_built_at: str | None = None
    note: str | None = None


def default_url(cache: str | os.PathLike[str] | None = None) -> str:
    return f"sqlite:///{default_cache_dir(cache) / 'fleet' / 'results.db'}"


def open_engine(url: str, label: str, tables: MetaData, check: Callable[[Engine], None]) -> Engine:
    """An engine on `url` (a SQLite file's folder made, WAL) with `tables` created and `check` run on it (the
    schema version); a refusal is one StoreError line naming the store, a missing driver an InputError."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        tables.create_all(engine)
        check(engine)
        return engine
    except SQLAlchemyError as err:
        raise StoreError(f"{label} {_safe(url)}: {type(err).__name__}: {_first_line(err)}",
                         remedy="checking --store (sqlite:///FILE or postgresql+psycopg://USER@HOST/DB)") from None
    except ModuleNotFoundError as err:
        raise InputError(f"{label} {_safe(url)} needs the {err.name} module",
                         remedy="pip install 'seawall[fleet]'") from None


# Built once: composing a statement costs more than running it, and the runner stores one image at a time.
_DELETE_RESULT = delete(results_table).where(and_(results_table.c.run_id == bindparam("run"),
                                                  results_table.c.image_key == bindparam("key")))
_DELETE_FINDINGS = delete(findings_table).where(and_(findings_table.c.run_id == bindparam("run"),
                                                     findings_table.c.image_key == bindparam("key")))
_INSERT_RESULT = insert(results_table)


class ResultsStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_engine(url, "results store", metadata, self._check_schema)

    @classmethod
    def open(cls, url: str | None = None, cache: str | os.PathLike[str] | None = None) -> ResultsStore:
        return cls(url or default_url(cache))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        with self._errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as err:
            raise StoreError(f"results store {_safe(self.url)}: {type(err).__name__}: {_first_line(err)}",
                             remedy="checking that the store is reachable and writable") from None

    def _check_schema(self, engine: Engine) -> None:
        with engine.begin() as conn:
            row = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(insert(meta_table).values(key="schema_version", value=str(SCHEMA_VERSION)))
                return
            version = int(row[0]) if row[0].isdigit() else -1
            while version in MIGRATIONS and version < SCHEMA_VERSION:
                for statement in MIGRATIONS[version]:
                    conn.execute(text(statement))
                version += 1
                conn.execute(update(meta_table).where(meta_table.c.key == "schema_version")
                             .values(value=str(version)))
            if version != SCHEMA_VERSION:
                raise StoreError(f"results store {_safe(self.url)} has schema {row[0]}, this seawall uses "
                                 f"{SCHEMA_VERSION}", remedy="a seawall release matching the store, or a new store")
            _add_columns(conn)

    # -- runs ------------------------------------------------------------------------------------------------

    def create_run(self, run: RunInfo) -> None:
        values = {**run.__dict__, "snapshot": json.dumps(run.snapshot or [])}
        with self._tx() as conn:
            conn.execute(insert(runs_table).values(**values))

    def _run(self, row: Any) -> RunInfo:
        data = dict(row._mapping)
        data["snapshot"] = json.loads(data["snapshot"] or "[]")
        return RunInfo(**data)

    def get_run(self, run_id: str) -> RunInfo | None:
        with self._conn() as conn:
            row = conn.execute(select(runs_table).where(runs_table.c.id == run_id)).first()
        return self._run(row) if row is not None else None

    def runs(self, since: str | None = None) -> list[RunInfo]:
        query = select(runs_table).order_by(runs_table.c.started_at, runs_table.c.id)
        if since:
            query = query.where(runs_table.c.started_at >= since)
        with self._conn() as conn:
            return [self._run(row) for row in conn.execute(query)]

    def latest_run(self, *, finished: bool | None = None) -> RunInfo | None:
        runs = self.runs()
        if finished is not None:
            runs = [run for run in runs if (run.status == "finished") == finished]
        return runs[-1] if runs else None

    def finish_run(self, run_id: str, finished_at: str) -> None:
        with self._tx() as conn:
            errors = conn.execute(select(func.count()).select_from(results_table).where(
                and_(results_table.c.run_id == run_id, results_table.c.error.is_not(None)))).scalar_one()
            conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(
                status="finished", finished_at=finished_at, errors=errors))

    def reopen_run(self, run_id: str) -> None:
        with self._tx() as conn:
            conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(status="running",
                                                                                  finished_at=None))

    def set_run_db(self, run_id: str, db_built_at: str | None) -> None:
        with self._tx() as conn:
            conn.execute(update(runs_table).where(runs_table.c.id == run_id).values(db_built_at=db_built_at))

    # -- results ---------------------------------------------------------------------------------------------

    def put_result(self, result: ImageResult) -> None:
        """Store one image's result and its findings in one transaction (replacing an earlier one)."""
        self.put_results([result])

    def put_results(self, results: list[ImageResult]) -> None:
        """Several images (a digest and its alias tags) in one transaction."""
        with self._tx() as conn:
            for result in results:
                row = {name: getattr(result, name) for name in _SIMPLE}
                row.update(run_id=result.run_id, image_key=result.key, severities=json.dumps(result.severities),
                           states=json.dumps(result.states), findings_total=result.total, inventory=result.inventory,
                           uncovered_namespaces=json.dumps(result.uncovered_namespaces))
                same = {"run": result.run_id, "key": result.key}
                conn.execute(_DELETE_RESULT, same)
                conn.execute(_DELETE_FINDINGS, same)
                conn.execute(_INSERT_RESULT, row)
                self._insert_findings(conn, result.run_id, result.key, result.match_no, result.findings)

    @staticmethod
    def _insert_findings(conn: Any, run_id: str, key: str, match_no: int, rows: list[FindingRow]) -> None:
        if rows:
            conn.execute(insert(findings_table), [
                {"run_id": run_id, "image_key": key, "match_no": match_no, **row.__dict__} for row in rows])

    def update_match(self, result: ImageResult) -> None:
        """A re-match's counts on the image's row, and its findings kept beside the earlier matches'."""
        values = {name: getattr(result, name) for name in ("fixable", "fixable_critical_high", "kev", "max_epss",
                                                           "db_built_at", "match_no", "covered_packages",
                                                           "uncovered_packages", "db_identity")}
        values.update(severities=json.dumps(result.severities), states=json.dumps(result.states),
                      findings_total=result.total, uncovered_namespaces=json.dumps(result.uncovered_namespaces))
        with self._tx() as conn:
            conn.execute(update(results_table).where(and_(results_table.c.run_id == result.run_id,
                                                          results_table.c.image_key == result.key)).values(**values))
            self._insert_findings(conn, result.run_id, result.key, result.match_no, result.findings)

    def done_keys(self, run_id: str, *, with_errors: bool = True) -> set[str]:
        """Keys of the images of `run_id` already stored (without those stored as errors, unless asked)."""
        query = select(results_table.c.image_key).where(results_table.c.run_id == run_id)
        if not with_errors:
            query = query.where(results_table.c.error.is_(None))
        with self._conn() as conn:
            return {row[0] for row in conn.execute(query)}

    def _result(self, row: Any) -> ImageResult:
        data = dict(row._mapping)
        result = ImageResult(run_id=data["run_id"], key=data["image_key"],
                             **{name: data[name] for name in _SIMPLE if name in data})
        result.severities = json.loads(data.get("severities") or "{}")
        result.states = json.loads(data.get("states") or "{}")
        result.uncovered_namespaces = json.loads(data.get("uncovered_namespaces") or "[]")
        result.inventory = data.get("inventory")
        result.match_no = data.get("match_no") or 0
        return result

    def results(self, run_id: str, *, with_inventory: bool = False, with_findings: bool = False,
                ) -> list[ImageResult]:
        columns = [c for c in results_table.c if with_inventory or c.name != "inventory"]
        query = select(*columns).where(results_table.c.run_id == run_id).order_by(results_table.c.image_key)
        with self._conn() as conn:
            results = [self._result(row) for row in conn.execute(query)]
        if with_findings:
            by_key = self.findings(run_id)
            for result in results:
                result.findings = by_key.get((result.key, result.match_no), [])
        return results

    def iter_results(self, run_id: str) -> Iterator[ImageResult]:
        """Results with inventories, one at a time (inventories can be large)."""
        for key in sorted(self.done_keys(run_id)):
            with self._conn() as conn:
                row = conn.execute(select(results_table).where(and_(
                    results_table.c.run_id == run_id, results_table.c.image_key == key))).first()
            if row is not None:
                yield self._result(row)

    def findings(self, run_id: str) -> dict[tuple[str, int], list[FindingRow]]:
        found: dict[tuple[str, int], list[FindingRow]] = {}
        query = select(findings_table).where(findings_table.c.run_id == run_id)
        with self._conn() as conn:
            for row in conn.execute(query):
                data = row._mapping
                found.setdefault((data["image_key"], data["match_no"] or 0), []).append(
                    FindingRow(**{name: data[name] for name in _FINDING_FIELDS}))
        return found

    def reusable(self, digest: str, platform: str | None) -> ImageResult | None:
        """The latest error-free result for a manifest digest from any run, with inventory and findings."""
        query = select(results_table).where(and_(results_table.c.digest == digest, results_table.c.error.is_(None)))
        if platform:
            query = query.where(results_table.c.platform == platform)
        with self._conn() as conn:
            rows = list(conn.execute(query.order_by(results_table.c.scanned_at.desc()).limit(1)))
        if not rows:
            return None
        result = self._result(rows[0])
        result.findings = self.findings(result.run_id).get((result.key, result.match_no), [])
        return result

    def known_digests(self) -> set[str]:
        """Digests some run scanned without error (a run re-uses them instead of pulling)."""
        query = select(results_table.c.digest).where(and_(results_table.c.error.is_(None),
                                                          results_table.c.digest.is_not(None))).distinct()
        with self._conn() as conn:
            return {row[0] for row in conn.execute(query)}

    def repository_sizes(self) -> dict[str, int]:
        """The latest known compressed size per repository (estimates what a new tag of it weighs)."""
        query = select(results_table.c.repository, results_table.c.size).where(
            results_table.c.size.is_not(None)).order_by(results_table.c.scanned_at)
        with self._conn() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def scan_durations(self, limit: int = 500) -> list[float]:
        """Durations of the latest real scans (not re-used), for time estimates."""
        query = select(results_table.c.duration).where(and_(
            results_table.c.duration.is_not(None), results_table.c.reused_from.is_(None),
            results_table.c.alias_of.is_(None), results_table.c.error.is_(None)))
        query = query.order_by(results_table.c.scanned_at.desc()).limit(limit)
        with self._conn() as conn:
            return [float(row[0]) for row in conn.execute(query)]

    # -- re-matches ------------------------------------------------------------------------------------------

    def put_rematch(self, run_id: str, at: str, db_built_at: str | None, images: int,
                    changes: list[dict[str, Any]]) -> int:
        with self._tx() as conn:
            inserted = conn.execute(insert(rematches_table).values(
                run_id=run_id, at=at, db_built_at=db_built_at, images=images, changes=json.dumps(changes)))
            key = inserted.inserted_primary_key
            assert key is not None
            return int(key[0])

    def rematches(self, run_id: str | None = None) -> list[dict[str, Any]]:
        query = select(rematches_table).order_by(rematches_table.c.id)
        if run_id:
            query = query.where(rematches_table.c.run_id == run_id)
        with self._conn() as conn:
            return [{**row._mapping, "changes": json.loads(row._mapping["changes"] or "[]")}
                    for row in conn.execute(query)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL with synchronous=NORMAL: a commit no longer waits for the disk (a run commits every image), and a
    killed process still loses nothing committed; only a power cut may take back the last commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _add_columns(conn: Any) -> None:
    """Columns added since the store was created (nullable, so old rows read as unknown): additions need no
    schema version, only a column here and in the table."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable and not column.primary_key:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        creds, _, host = rest.rpartition("@")
        return f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return url

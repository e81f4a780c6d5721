"""Read API of the vulnerability DB: advisories per package, metadata per vulnerability id, feed provenance.

The DB file is never modified in place (updates build a new file and rename it over the old one), so readers open it
`immutable`: no locks, no journal files, and a reader that opened the previous file keeps a consistent view of it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path

from seawall.errors import DatabaseError
from seawall.model.vuln import (
    CVSS,
    Advisory,
    AffectedRange,
    EpssScore,
    FeedProvenance,
    KevEntry,
    RangeEvent,
    Severity,
    Status,
    VulnerabilityMeta,
)

SCHEMA_VERSION = 1
_BATCH = 500  # names per IN (…) query, under SQLite's default host-parameter limit
# Which feed's text wins when several describe one id: curated advisories first, then NVD, then distributions.
_TEXT_PREFERENCE = ("osv", "nvd", "debian", "debian-advisories", "alpine")
_ALIAS_LIMIT = 64
# Advisories that bundle several vulnerabilities: listed as aliases, never walked through (DSA-1 {CVE-A CVE-B} must
# not make CVE-A an alias of CVE-B).
_BUNDLES = ("DSA-", "DLA-", "DTSA-", "USN-", "RHSA-", "RHBA-", "RHEA-", "ALSA-", "RLSA-", "ELSA-", "ALAS")


def schema_sql() -> str:
    return resources.files("seawall.db").joinpath("schema.sql").read_text(encoding="utf-8")


def _dumps(value: object) -> str | None:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if value else None


def advisory_row(adv: Advisory) -> tuple[object, ...]:
    """The `advisories` table row of an advisory (the column order of the table)."""
    return (
        adv.id,
        adv.namespace,
        adv.package,
        adv.status.value,
        adv.feed,
        _dumps([[r.type, [list(e) for e in r.events]] for r in adv.ranges]),
        _dumps(list(adv.versions)),
        _dumps(list(adv.fixed_versions)),
        adv.severity.value if adv.severity else None,
        adv.severity_source,
        int(adv.severity_provisional),
        _dumps([list(p) for p in adv.repositories]),
        _dumps([list(p) for p in adv.vendor_data]),
    )


_ADVISORY_COLUMNS = (
    "id, namespace, package, status, feed, ranges, versions, fixed, severity, severity_source, provisional, "
    "repositories, vendor"
)


def advisory_from_row(row: Sequence[object]) -> Advisory:
    (id_, namespace, package, status, feed, ranges, versions, fixed, severity, severity_source, provisional,
     repositories, vendor) = row
    return Advisory(
        id=str(id_),
        namespace=str(namespace),
        package=str(package),
        status=Status(status),
        feed=str(feed),
        ranges=tuple(
            AffectedRange(type=t, events=tuple(RangeEvent(k, v) for k, v in events))
            for t, events in (json.loads(ranges) if ranges else ())  # type: ignore[arg-type]
        ),
        versions=tuple(json.loads(versions)) if versions else (),  # type: ignore[arg-type]
        fixed_versions=tuple(json.loads(fixed)) if fixed else (),  # type: ignore[arg-type]
        severity=Severity(severity) if severity else None,
        severity_source=str(severity_source) if severity_source else None,
        severity_provisional=bool(provisional),
        repositories=tuple((k, v) for k, v in json.loads(repositories)) if repositories else (),  # type: ignore[arg-type]
        vendor_data=tuple((k, v) for k, v in json.loads(vendor)) if vendor else (),  # type: ignore[arg-type]
    )


def read_schema_version(conn: sqlite3.Connection, path: Path) -> int:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as err:
        raise DatabaseError(f"{path} is not a seawall vulnerability DB ({err})",
                            remedy="`seawall db update` to build a new one") from err
    if row is None:
        raise DatabaseError(f"{path} has no schema version", remedy="`seawall db update` to build a new one")
    try:
        return int(row[0])
    except ValueError as err:
        raise DatabaseError(f"{path} has a malformed schema version {row[0]!r}",
                            remedy="`seawall db update` to build a new one") from err


def check_schema_version(version: int, path: Path) -> None:
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise DatabaseError(
            f"{path} has DB schema version {version}, this seawall reads version {SCHEMA_VERSION}",
            remedy="upgrading seawall" if newer else "`seawall db update` to rebuild it",
        )


def connect_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise DatabaseError(f"no vulnerability DB at {path}", remedy="`seawall db update` to download one")
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    except sqlite3.Error as err:
        raise DatabaseError(f"cannot open the vulnerability DB {path}: {err}",
                            remedy="`seawall db update` to rebuild it") from err


class VulnStore:
    """Read-only view of one DB file. Thread-safe for reads; cheap to open."""

    def __init__(self, conn: sqlite3.Connection, path: Path, schema_version: int) -> None:
        self._conn = conn
        self.path = path
        self.schema_version = schema_version

    @classmethod
    def open(cls, path: str | Path) -> VulnStore:
        path = Path(path)
        conn = connect_readonly(path)
        try:
            version = read_schema_version(conn, path)
            check_schema_version(version, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, version)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> VulnStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as err:
            raise DatabaseError(f"the vulnerability DB {self.path} is unreadable: {err}",
                                remedy="`seawall db update` to rebuild it") from err

    # advisories ------------------------------------------------------------------------------------------------

    def advisories_for(self, namespace: str, package_names: Iterable[str]) -> dict[str, list[Advisory]]:
        """Every advisory of `namespace` naming one of `package_names`; names without any are absent from the result."""
        names = sorted(set(package_names))
        result: dict[str, list[Advisory]] = {}
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE namespace = ? AND package IN ({marks})",
                (namespace, *chunk),
            )
            for row in rows:
                adv = advisory_from_row(row)
                result.setdefault(adv.package, []).append(adv)
        return result

    def advisories_by_id(self, vuln_id: str) -> list[Advisory]:
        rows = self._query(f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE id = ?", (vuln_id,))
        return [advisory_from_row(r) for r in rows]

    def namespaces(self) -> dict[str, int]:
        return {str(ns): int(n) for ns, n in  # type: ignore[call-overload]
                self._query("SELECT namespace, count(*) FROM advisories GROUP BY namespace")}

    # vulnerabilities -------------------------------------------------------------------------------------------

    def aliases(self, vuln_id: str) -> set[str]:
        """Every id known to name the same vulnerability (GHSA ↔ CVE ↔ PYSEC, transitively, both directions), and the
        advisories (DSA, DLA, USN…) that cover it; without `vuln_id` itself."""
        seen = {vuln_id}
        frontier = [vuln_id]
        while frontier and len(seen) < _ALIAS_LIMIT:
            marks = ",".join("?" * len(frontier))
            rows = self._query(f"SELECT DISTINCT alias FROM aliases WHERE id IN ({marks})", frontier)
            found = [str(r[0]) for r in rows if r[0] not in seen]
            seen.update(found)
            frontier = [i for i in found if not i.startswith(_BUNDLES)]
        seen.discard(vuln_id)
        return seen

    def vulnerability(self, vuln_id: str) -> VulnerabilityMeta | None:
        """Everything known about one id, merged across feeds; None when no feed mentions it."""
        texts = self._query(
            "SELECT feed, summary, description, published, modified FROM vulnerabilities WHERE id = ?", (vuln_id,))
        cvss = self._query(
            "SELECT source, version, vector, score, is_primary FROM cvss WHERE id = ? ORDER BY is_primary DESC, "
            "version DESC, source", (vuln_id,))
        refs = self._query("SELECT DISTINCT url FROM refs WHERE id = ? ORDER BY url", (vuln_id,))
        kev = self._query(
            "SELECT date_added, ransomware, due_date, vendor_project, product, name FROM kev WHERE id = ?", (vuln_id,))
        epss = self._query("SELECT score, percentile, date FROM epss WHERE id = ?", (vuln_id,))
        aliases = self.aliases(vuln_id)
        if not (texts or cvss or kev or epss or aliases):
            return None
        texts.sort(key=lambda r: _TEXT_PREFERENCE.index(str(r[0])) if r[0] in _TEXT_PREFERENCE else 99)

        def first(col: int) -> str | None:
            return next((str(r[col]) for r in texts if r[col]), None)

        published = sorted(str(r[3]) for r in texts if r[3])
        modified = sorted(str(r[4]) for r in texts if r[4])
        return VulnerabilityMeta(
            id=vuln_id,
            feed=",".join(sorted({str(r[0]) for r in texts})),
            aliases=tuple(sorted(aliases)),
            summary=first(1),
            description=first(2),
            cvss=tuple(CVSS(source=str(s), version=str(v), vector=str(vec), score=sc, primary=bool(p))  # type: ignore[arg-type]
                       for s, v, vec, sc, p in cvss),
            published=published[0] if published else None,
            modified=modified[-1] if modified else None,
            references=tuple(str(r[0]) for r in refs),
            kev=KevEntry(date_added=str(kev[0][0]), known_ransomware=bool(kev[0][1]), due_date=kev[0][2],  # type: ignore[arg-type]
                         vendor_project=kev[0][3], product=kev[0][4], name=kev[0][5]) if kev else None,  # type: ignore[arg-type]
            epss=EpssScore(score=float(epss[0][0]), percentile=float(epss[0][1]), date=epss[0][2])  # type: ignore[arg-type]
            if epss else None,
        )

    # provenance ------------------------------------------------------------------------------------------------

    def feeds(self) -> list[FeedProvenance]:
        return list(_provenance_rows(self._query(
            "SELECT name, feed_version, data_date, fetched_at, source, digest, records, skipped, skip_reasons, error "
            "FROM feeds ORDER BY name")))

    def meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._query("SELECT key, value FROM meta")}


def _provenance_rows(rows: Iterable[Sequence[object]]) -> Iterator[FeedProvenance]:
    for name, version, data_date, fetched_at, source, digest, records, skipped, reasons, error in rows:
        counts = json.loads(str(reasons or "{}"))
        yield FeedProvenance(
            name=str(name), feed_version=int(version), data_date=data_date, fetched_at=fetched_at,  # type: ignore[arg-type,call-overload]
            source=str(source), digest=digest, records=int(records), skipped=int(skipped),  # type: ignore[arg-type,call-overload]
            skip_reasons=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), error=error,  # type: ignore[arg-type]
        )

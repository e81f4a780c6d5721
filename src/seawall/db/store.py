"""Read API of the vulnerability DB: advisories per package, metadata per vulnerability id, feed provenance.

The DB file is never modified in place (updates build a new file and rename it over the old one), so readers open it
`immutable`: no locks, no journal files, and a reader that opened the previous file keeps a consistent view of it.
"""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=1 << 16)
def _ranges(text: str) -> tuple[AffectedRange, ...]:
    return tuple(AffectedRange(type=t, events=tuple(RangeEvent(k, v) for k, v in events))
                 for t, events in json.loads(text))


@functools.lru_cache(maxsize=1 << 16)
def _strings(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@functools.lru_cache(maxsize=1 << 16)
def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in json.loads(text))


def advisory_from_row(row: Sequence[object]) -> Advisory:
    # The same JSON texts recur across a package's advisories (its suites' versions, its ranges): decode each once.
    (id_, namespace, package, status, feed, ranges, versions, fixed, severity, severity_source, provisional,
     repositories, vendor) = row
    return Advisory(
        id=str(id_),
        namespace=str(namespace),
        package=str(package),
        status=Status(status),
        feed=str(feed),
        ranges=_ranges(ranges) if ranges else (),  # type: ignore[arg-type]
        versions=_strings(versions) if versions else (),  # type: ignore[arg-type]
        fixed_versions=_strings(fixed) if fixed else (),  # type: ignore[arg-type]
        severity=Severity(severity) if severity else None,
        severity_source=str(severity_source) if severity_source else None,
        severity_provisional=bool(provisional),
        repositories=_pairs(repositories) if repositories else (),  # type: ignore[arg-type]
        vendor_data=_pairs(vendor) if vendor else (),  # type: ignore[arg-type]
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
        return self.aliases_many([vuln_id])[vuln_id]

    def aliases_many(self, vuln_ids: Iterable[str]) -> dict[str, set[str]]:
        """`aliases` for many ids with one query per hop rather than per id."""
        wanted = list(dict.fromkeys(vuln_ids))
        edges: dict[str, set[str]] = {}
        frontier = list(wanted)  # a bundle asked about is expanded once; reached ones are not
        for i in wanted:
            edges.setdefault(i, set())
        hops = 0
        while frontier and hops < _ALIAS_LIMIT:
            hops += 1
            found: set[str] = set()
            for chunk in _chunks(frontier):
                marks = ",".join("?" * len(chunk))
                for source, alias in self._query(f"SELECT DISTINCT id, alias FROM aliases WHERE id IN ({marks})",
                                                 chunk):
                    edges.setdefault(str(source), set()).add(str(alias))
                    found.add(str(alias))
            frontier = [i for i in found if i not in edges and not i.startswith(_BUNDLES)]
            for i in frontier:
                edges[i] = set()
        result: dict[str, set[str]] = {}
        for vuln_id in wanted:
            seen = {vuln_id}
            stack = [vuln_id]
            while stack and len(seen) < _ALIAS_LIMIT:
                current = stack.pop()
                if current != vuln_id and current.startswith(_BUNDLES):
                    continue  # a bundle is listed, never walked through
                for alias in edges.get(current, ()):
                    if alias not in seen:
                        seen.add(alias)
                        stack.append(alias)
            seen.discard(vuln_id)
            result[vuln_id] = seen
        return result

    def vulnerability(self, vuln_id: str) -> VulnerabilityMeta | None:
        """Everything known about one id, merged across feeds; None when no feed mentions it."""
        return self.vulnerabilities([vuln_id]).get(vuln_id)

    def vulnerabilities(self, vuln_ids: Iterable[str]) -> dict[str, VulnerabilityMeta]:
        """`vulnerability` for many ids, batched: a scan enriches thousands of findings with a handful of queries."""
        wanted = list(dict.fromkeys(vuln_ids))
        texts: dict[str, list[tuple[object, ...]]] = {}
        cvss: dict[str, list[tuple[object, ...]]] = {}
        refs: dict[str, list[str]] = {}
        kev: dict[str, tuple[object, ...]] = {}
        epss: dict[str, tuple[object, ...]] = {}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            for row in self._query(f"SELECT id, feed, summary, description, published, modified FROM vulnerabilities "
                                   f"WHERE id IN ({marks})", chunk):
                texts.setdefault(str(row[0]), []).append(row[1:])
            for row in self._query(f"SELECT id, source, version, vector, score, is_primary FROM cvss WHERE id IN "
                                   f"({marks}) ORDER BY is_primary DESC, version DESC, source", chunk):
                cvss.setdefault(str(row[0]), []).append(row[1:])
            for row in self._query(f"SELECT DISTINCT id, url FROM refs WHERE id IN ({marks}) ORDER BY url", chunk):
                refs.setdefault(str(row[0]), []).append(str(row[1]))
            for row in self._query(f"SELECT id, date_added, ransomware, due_date, vendor_project, product, name "
                                   f"FROM kev WHERE id IN ({marks})", chunk):
                kev[str(row[0])] = row[1:]
            for row in self._query(f"SELECT id, score, percentile, date FROM epss WHERE id IN ({marks})", chunk):
                epss[str(row[0])] = row[1:]
        aliases = self.aliases_many(wanted)
        out: dict[str, VulnerabilityMeta] = {}
        for vuln_id in wanted:
            meta = _meta(vuln_id, texts.get(vuln_id, []), cvss.get(vuln_id, []), refs.get(vuln_id, []),
                         kev.get(vuln_id), epss.get(vuln_id), aliases.get(vuln_id, set()))
            if meta is not None:
                out[vuln_id] = meta
        return out

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


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield list(items[start:start + _BATCH])


def _meta(vuln_id: str, texts: list[tuple[object, ...]], cvss: list[tuple[object, ...]], refs: list[str],
          kev: tuple[object, ...] | None, epss: tuple[object, ...] | None,
          aliases: set[str]) -> VulnerabilityMeta | None:
    if not (texts or cvss or kev or epss or aliases):
        return None
    texts = sorted(texts, key=lambda r: _TEXT_PREFERENCE.index(str(r[0])) if r[0] in _TEXT_PREFERENCE else 99)

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
        references=tuple(refs),
        kev=KevEntry(date_added=str(kev[0]), known_ransomware=bool(kev[1]), due_date=kev[2],  # type: ignore[arg-type]
                     vendor_project=kev[3], product=kev[4], name=kev[5]) if kev else None,  # type: ignore[arg-type]
        epss=EpssScore(score=float(epss[0]), percentile=float(epss[1]), date=epss[2])  # type: ignore[arg-type]
        if epss else None,
    )

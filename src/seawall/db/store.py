"""Read API of the vulnerability DB: advisories per package, metadata per vulnerability id, feed provenance.

The DB file is never modified in place (updates build a new file and rename it over the old one), so readers open it
`immutable`: no locks, no journal files, and a reader that opened the previous file keeps a consistent view of it.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

from seawall.db.sortkey import encode_version, namespace_scheme
from seawall.errors import DatabaseError
from seawall.model.coverage import DbCoverage
from seawall.model.records import frozen
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

SCHEMA_VERSION = 3
_T = TypeVar("_T")
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
        fixed_bound(adv),
    )


def fixed_bound(adv: Advisory) -> bytes | None:
    """The encoded fixed version (`sortkey`) of an advisory affecting exactly the versions below it (one range
    "introduced 0, fixed X", no explicit versions), in its namespace's scheme; None for every other advisory."""
    if adv.versions or len(adv.ranges) != 1 or len(adv.ranges[0].events) != 2:
        return None
    bounds = dict(adv.ranges[0].events)
    fixed = bounds.get("fixed")
    if bounds.get("introduced") != "0" or not fixed or fixed == "0":
        return None
    scheme = namespace_scheme(adv.namespace)
    return encode_version(scheme, fixed) if scheme else None


_ADVISORY_COLUMNS = (
    "id, namespace, package, status, feed, ranges, versions, fixed, severity, severity_source, provisional, "
    "repositories, vendor"
)
_JOINED_COLUMNS = ", ".join(f"a.{column.strip()}" for column in _ADVISORY_COLUMNS.split(","))


_STATUS = {s.value: s for s in Status}  # a dict lookup: Enum's own __call__ costs microseconds per row
_SEVERITY = {s.value: s for s in Severity}


@functools.lru_cache(maxsize=1 << 16)
def decode_ranges(text: str) -> tuple[AffectedRange, ...]:
    return tuple(AffectedRange(type=t, events=tuple(RangeEvent(k, v) for k, v in events))
                 for t, events in json.loads(text))


@functools.lru_cache(maxsize=1 << 16)
def decode_strings(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@functools.lru_cache(maxsize=1 << 16)
def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in json.loads(text))


def advisory_from_row(row: Sequence[object]) -> Advisory:
    # The same JSON texts recur across a package's advisories (its suites' versions, its ranges): decode each once.
    (id_, namespace, package, status, feed, ranges, versions, fixed, severity, severity_source, provisional,
     repositories, vendor) = row
    return frozen(Advisory, {
        "id": str(id_),
        "namespace": str(namespace),
        "package": str(package),
        "status": _STATUS[status],  # type: ignore[index]
        "feed": str(feed),
        "ranges": decode_ranges(ranges) if ranges else (),  # type: ignore[arg-type]
        "versions": decode_strings(versions) if versions else (),  # type: ignore[arg-type]
        "fixed_versions": decode_strings(fixed) if fixed else (),  # type: ignore[arg-type]
        "severity": _SEVERITY[severity] if severity else None,  # type: ignore[index]
        "severity_source": str(severity_source) if severity_source else None,
        "severity_provisional": bool(provisional),
        "repositories": _pairs(repositories) if repositories else (),  # type: ignore[arg-type]
        "vendor_data": _pairs(vendor) if vendor else (),  # type: ignore[arg-type]
    })


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
        return {name: [advisory_from_row(r) for r in rows]
                for name, rows in self._advisory_rows(namespace, package_names).items()}

    def candidate_rows(self, namespace: str, lowest: Mapping[str, bytes | None]) -> dict[str, list[tuple[object, ...]]]:
        """The `advisories` rows of `namespace` that may affect the packages named by `lowest`'s keys, undecoded (the
        first 13 columns of `advisory_row`): every row but not-affected verdicts and, where `lowest` gives the
        package's lowest installed version encoded (`sortkey.encode_version`), the rows fixed at or below it.

        The matcher judges the version columns of each row and decodes (`advisory_from_row`) only those that match.
        """
        result: dict[str, list[tuple[object, ...]]] = {}
        names = sorted(lowest)
        for start in range(0, len(names), _BATCH // 2):
            chunk = names[start:start + _BATCH // 2]
            params: list[object] = [namespace]
            for name in chunk:
                floor = lowest[name]
                params += (name, floor, floor[:floor.index(0) + 1] if floor else None)
            # A bound of another scheme sorts below its prefix or above the installed key: never left out.
            self._collect(result, self._query(
                f"WITH wanted(package, floor, scheme) AS (VALUES {','.join(['(?,?,?)'] * len(chunk))}) "
                f"SELECT {_JOINED_COLUMNS} FROM wanted CROSS JOIN advisories AS a "
                f"WHERE a.namespace = ? AND a.package = wanted.package AND a.status != 'not-affected' "
                f"AND (a.bound IS NULL OR floor IS NULL OR a.bound > floor OR a.bound < wanted.scheme)",
                (*params[1:], namespace)))
        return result

    def _advisory_rows(self, namespace: str, package_names: Iterable[str]) -> dict[str, list[tuple[object, ...]]]:
        names = sorted(set(package_names))
        result: dict[str, list[tuple[object, ...]]] = {}
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            marks = ",".join("?" * len(chunk))
            self._collect(result, self._query(
                f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE namespace = ? AND package IN ({marks})",
                (namespace, *chunk),
            ))
        return result

    @staticmethod
    def _collect(result: dict[str, list[tuple[object, ...]]], rows: list[tuple[object, ...]]) -> None:
        for row in rows:
            found = result.get(row[2])  # type: ignore[call-overload]
            if found is None:
                result[row[2]] = [row]  # type: ignore[index]
            else:
                found.append(row)

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
        edges = self._alias_edges(wanted)
        return {vuln_id: _alias_closure(vuln_id, edges) for vuln_id in wanted}

    def _alias_edges(self, wanted: list[str]) -> dict[str, set[str]]:
        """The alias graph around `wanted`, read hop by hop until nothing new turns up."""
        edges: dict[str, set[str]] = {i: set() for i in wanted}
        frontier = wanted  # a bundle asked about is expanded once; reached ones are not
        hops = 0
        while frontier and hops < _ALIAS_LIMIT:
            hops += 1
            found: set[str] = set()
            for chunk in _chunks(frontier):
                marks = ",".join("?" * len(chunk))
                for source, alias in self._query(f"SELECT DISTINCT id, alias FROM aliases WHERE id IN ({marks})",
                                                 chunk):
                    edges.setdefault(source, set()).add(alias)  # type: ignore[arg-type]
                    found.add(alias)  # type: ignore[arg-type]
            frontier = [i for i in found if i not in edges and not i.startswith(_BUNDLES)]
            for i in frontier:
                edges[i] = set()
        return edges

    def vulnerability(self, vuln_id: str) -> VulnerabilityMeta | None:
        """Everything known about one id, merged across feeds; None when no feed mentions it."""
        return self.vulnerabilities([vuln_id]).get(vuln_id)

    def vulnerabilities(self, vuln_ids: Iterable[str],
                        aliases: dict[str, set[str]] | None = None) -> dict[str, VulnerabilityMeta]:
        """`vulnerability` for many ids, batched: a scan enriches thousands of findings with a handful of queries.

        `aliases`, when the caller already holds `aliases_many` of every one of the ids, saves reading them again.
        """
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
        if aliases is None:
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
            "SELECT name, feed_version, data_date, fetched_at, source, digest, records, skipped, skip_reasons, error, "
            "flagged, flag_reasons FROM feeds ORDER BY name")))

    def coverage(self) -> list[DbCoverage]:
        """Per (namespace, feed): advisories, data date, fixes only; derived from `advisories` in a DB written
        before the `coverage` table existed."""
        try:
            rows = self._conn.execute("SELECT namespace, feed, advisories, data_date, fixed_only FROM coverage "
                                      "ORDER BY namespace, feed").fetchall()
        except sqlite3.OperationalError:
            from seawall.db.coverage import COVERAGE_QUERY

            dates = {str(name): date for name, date in self._query("SELECT name, data_date FROM feeds")}
            rows = sorted((ns, feed, n, date or dates.get(str(feed)), fixed)
                          for ns, feed, n, date, fixed in self._query(COVERAGE_QUERY))
        except sqlite3.DatabaseError as err:
            raise DatabaseError(f"the vulnerability DB {self.path} is unreadable: {err}",
                                remedy="`seawall db update` to rebuild it") from err
        return [DbCoverage(namespace=str(ns), feed=str(feed), advisories=int(n), data_date=str(date) if date else None,
                           fixed_only=bool(fixed)) for ns, feed, n, date, fixed in rows]

    def identity(self) -> str:
        """What matching depends on: the schema, the seawall that built it, every feed's version and data digest.
        Two DBs of one identity give the same findings for the same inventory, whenever each was refreshed."""
        parts = [self.meta().get("seawall_version", ""), str(self.schema_version)]
        parts += [f"{f.name}={f.feed_version}:{f.digest or ''}" for f in self.feeds()]
        import hashlib

        return "sha256:" + hashlib.sha256("|".join(parts).encode()).hexdigest()

    def meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._query("SELECT key, value FROM meta")}


def _provenance_rows(rows: Iterable[Sequence[object]]) -> Iterator[FeedProvenance]:
    for (name, version, data_date, fetched_at, source, digest, records, skipped, reasons, error, flagged,
         flag_reasons) in rows:
        counts = json.loads(str(reasons or "{}"))
        flag_counts = json.loads(str(flag_reasons or "{}"))
        yield FeedProvenance(
            name=str(name), feed_version=int(version), data_date=data_date, fetched_at=fetched_at,  # type: ignore[arg-type,call-overload]
            source=str(source), digest=digest, records=int(records), skipped=int(skipped),  # type: ignore[arg-type,call-overload]
            skip_reasons=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), error=error,  # type: ignore[arg-type]
            flagged=int(flagged or 0),  # type: ignore[call-overload]
            flag_reasons=tuple(sorted(flag_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


def _alias_closure(vuln_id: str, edges: dict[str, set[str]]) -> set[str]:
    direct = edges.get(vuln_id)
    if not direct:
        return set()
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
    return seen


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield list(items[start:start + _BATCH])


def _meta(vuln_id: str, texts: list[tuple[object, ...]], cvss: list[tuple[object, ...]], refs: list[str],
          kev: tuple[object, ...] | None, epss: tuple[object, ...] | None,
          aliases: set[str]) -> VulnerabilityMeta | None:
    if not (texts or cvss or kev or epss or aliases):
        return None
    if len(texts) == 1:  # the common case, without the merging below
        feed, summary, description, published, modified = texts[0]
        feeds = str(feed)
        summary = str(summary) if summary else None
        description = str(description) if description else None
        published = str(published) if published else None
        modified = str(modified) if modified else None
    else:
        texts = sorted(texts, key=lambda r: _TEXT_PREFERENCE.index(str(r[0])) if r[0] in _TEXT_PREFERENCE else 99)
        feeds = ",".join(sorted({str(r[0]) for r in texts}))
        summary = next((str(r[1]) for r in texts if r[1]), None)
        description = next((str(r[2]) for r in texts if r[2]), None)
        published = min((str(r[3]) for r in texts if r[3]), default=None)
        modified = max((str(r[4]) for r in texts if r[4]), default=None)
    return frozen(VulnerabilityMeta, {
        "id": vuln_id,
        "feed": feeds,
        "aliases": tuple(sorted(aliases)) if aliases else (),
        "summary": summary,
        "description": description,
        "cvss": tuple(CVSS(source=str(s), version=str(v), vector=str(vec), score=sc,  # type: ignore[arg-type]
                           primary=bool(p)) for s, v, vec, sc, p in cvss) if cvss else (),
        "published": published,
        "modified": modified,
        "references": tuple(refs),
        "kev": KevEntry(date_added=str(kev[0]), known_ransomware=bool(kev[1]), due_date=kev[2],  # type: ignore[arg-type]
                        vendor_project=kev[3], product=kev[4], name=kev[5]) if kev else None,  # type: ignore[arg-type]
        "epss": EpssScore(score=float(epss[0]), percentile=float(epss[1]), date=epss[2])  # type: ignore[arg-type]
        if epss else None,
    })

"""SBOM × vulnerability DB → raw matches: every (package, advisory) whose verdict says the package is affected."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from seawall.db.sortkey import encode_version
from seawall.db.store import VulnStore, advisory_from_row, decode_ranges, decode_strings
from seawall.match.ranges import (
    NO_VERSIONS,
    CompiledRange,
    CompiledVersions,
    compile_ranges,
    compile_versions,
    verdict_of,
)
from seawall.match.targets import Target, target_for
from seawall.model.finding import MatchDetail
from seawall.model.records import frozen
from seawall.model.sbom import SBOM, Package
from seawall.model.vuln import Advisory, Status
from seawall.versions import InvalidVersion, VersionScheme


@dataclass(frozen=True)
class RawMatch:
    """One advisory that says one package is affected, with how it matched; findings are built from these."""

    package: Package
    advisory: Advisory
    detail: MatchDetail


def raw_matches(sbom: SBOM, store: VulnStore) -> list[RawMatch]:
    targets: list[tuple[Package, Target]] = []
    # namespace → name → the lowest installed version of that name, encoded; None when one does not encode
    lowest: dict[str, dict[str, bytes | None]] = defaultdict(dict)
    for package in sbom.packages:
        target = target_for(package, sbom.distro)
        if target is None:
            continue
        targets.append((package, target))
        floors = lowest[target.namespace]
        encoded = _encoded(target.scheme, target.version)
        if target.name not in floors:
            floors[target.name] = encoded
        elif (floor := floors[target.name]) is not None:
            # Two schemes under one name (a deb and an rpm of one source) compare nothing: read every row.
            same_scheme = encoded is not None and encoded[:encoded.index(0)] == floor[:floor.index(0)]
            floors[target.name] = min(floor, encoded) if same_scheme else None  # type: ignore[type-var]
    found = {namespace: store.candidate_rows(namespace, floors) for namespace, floors in lowest.items()}
    out: list[RawMatch] = []
    # Binary packages built from one source share its verdicts: judge each (source, version) once.
    judged: dict[tuple[str, str, str, str], list[tuple[Advisory, MatchDetail]]] = {}
    # Most rows do not match: judge their undecoded columns and decode each matching row once.
    decoded: dict[int, Advisory] = {}
    for package, target in targets:
        key = (target.matcher, target.namespace, target.name, target.version)
        hits = judged.get(key)
        if hits is None:
            hits = judged[key] = []
            for row in found[target.namespace].get(target.name, ()):
                found_row = _row_verdict(target, row)
                if found_row is None:
                    continue
                advisory = decoded.get(id(row))
                if advisory is None:
                    advisory = decoded[id(row)] = advisory_from_row(row)
                hits.append((advisory, _detail(target, advisory, *found_row)))
        for advisory, detail in hits:
            out.append(frozen(RawMatch, {"package": package, "advisory": advisory, "detail": detail}))
    return out


def _row_verdict(target: Target, row: Sequence[object]) -> tuple[bool, bool, str] | None:
    """`verdict` over an undecoded `advisories` row (not a not-affected one)."""
    ranges_text, versions_text, fixed_text = row[5], row[6], row[7]
    scheme = target.scheme
    ranges = _compiled_ranges(scheme, ranges_text) if ranges_text else ()  # type: ignore[arg-type]
    # Only a distribution's advisory without ranges is judged by its fixed versions: decode them only then.
    by_fix = target.matcher == "distro-source" and not ranges and fixed_text
    return verdict(target, ranges,
                   _compiled_versions(scheme, versions_text) if versions_text else NO_VERSIONS,  # type: ignore[arg-type]
                   decode_strings(fixed_text) if by_fix else ())  # type: ignore[arg-type]


def verdict(target: Target, ranges: tuple[CompiledRange, ...], versions: CompiledVersions,
            fixed: Sequence[str]) -> tuple[bool, bool, str] | None:
    """The one matching verdict, for scanning and for `compare`: (version unknown, range unparseable, constraint)
    when an advisory with these ranges, explicit versions and fixed versions affects the target; None when it does
    not. The advisory's status is not looked at (a not-affected advisory never gets here).

    A distribution's advisory with no ranges but fixed versions affects every version below its lowest fix; one with
    neither affects every version ("no fixed version in this release")."""
    if target.matcher == "distro-source" and not ranges and fixed:
        affected, unknown, constraint = _below_fix(target, fixed)
        return (unknown, False, constraint) if affected else None
    affected, unknown, unparseable, constraint = verdict_of(target.scheme, target.version, ranges, versions)
    if not affected:
        return None
    if target.matcher == "distro-source" and not ranges and not versions[0]:
        constraint = "no fixed version in this release"
    return unknown, unparseable, constraint


@functools.lru_cache(maxsize=1 << 14)
def _encoded(scheme: VersionScheme, version: str) -> bytes | None:
    return encode_version(scheme, version)


@functools.lru_cache(maxsize=1 << 16)
def _compiled_ranges(scheme: VersionScheme, text: str) -> tuple[CompiledRange, ...]:
    # Keyed by the column text: a str caches its hash, a tuple of ranges hashes every event on every lookup.
    return compile_ranges(scheme, decode_ranges(text))


@functools.lru_cache(maxsize=1 << 14)
def _compiled_versions(scheme: VersionScheme, text: str) -> CompiledVersions:
    return compile_versions(scheme, decode_strings(text))


def _detail(target: Target, advisory: Advisory, unknown: bool, unparseable: bool, constraint: str) -> MatchDetail:
    return frozen(MatchDetail, {
        "matcher": target.matcher,
        "feed": advisory.feed,
        "advisory_id": advisory.id,
        "namespace": target.namespace,
        "searched_name": target.name,
        "installed_version": target.version,
        "constraint": constraint,
        "status": advisory.status,
        "version_unknown": unknown,
        "range_unparseable": unparseable,
    })


def judge(target: Target, advisory: Advisory) -> MatchDetail | None:
    """The match detail when `advisory` affects the target's version, else None."""
    if advisory.status is Status.NOT_AFFECTED:
        return None
    scheme = target.scheme
    ranges = compile_ranges(scheme, advisory.ranges) if advisory.ranges else ()
    found = verdict(target, ranges, compile_versions(scheme, advisory.versions) if advisory.versions else NO_VERSIONS,
                    advisory.fixed_versions)
    return None if found is None else _detail(target, advisory, *found)


def _below_fix(target: Target, fixed: Iterable[str]) -> tuple[bool, bool, str]:
    fixes = list(fixed)
    try:
        lowest = min(fixes, key=target.scheme.key)
        return target.scheme.compare(target.version, lowest) < 0, False, f"< {lowest}"
    except InvalidVersion:
        return True, True, f"< {', '.join(fixes)} (versions not comparable)"

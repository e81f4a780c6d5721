"""OSV range semantics over any version scheme: introduced / fixed / last_affected / limit, and explicit lists.

Each range is evaluated on its own, as the OSV schema's `IncludedInRanges` does: its events sorted by version, the
last one at or below the installed version decides, `limit` events bound the whole range, and a version is
affected when any range or the explicit list says so. The schema leaves events at one version unordered; seawall
reads an opening and a closing event at the same version as leaving the state below them unchanged, so that
`introduced X` after `fixed X` continues the range (touching ranges) and `introduced X, fixed X` stays empty.

A range with a bound the scheme cannot order is undecidable: a version inside it is reported as affected and
flagged `range unparseable`, unless the range provably leaves it out (below every `introduced`, or at or above
every `limit`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from seawall.model.vuln import AffectedRange
from seawall.versions import InvalidVersion, VersionScheme

_FLOOR = (0,)  # sorts below every parsed key (1, …): OSV's introduced "0"
_TOP = (2,)  # sorts above every parsed key: OSV's limit "*"
_EVENT_KINDS = frozenset({"introduced", "fixed", "last_affected", "limit"})
_RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER", "dpkg", "apk", "rpm"})  # ordered by the namespace's scheme


class Group(NamedTuple):
    """The events of one range at one version: whether it opens, closes at (fixed), or closes after it."""

    key: Any
    opens: bool
    closes: bool  # fixed: versions >= key are outside
    closes_after: bool  # last_affected: versions > key are outside


class CompiledRange(NamedTuple):
    """One range ready to compare. `groups` is None when a bound does not parse (the range is undecidable)."""

    groups: tuple[Group, ...] | None
    limits: tuple[Any, ...]  # keys of the limit events; empty means no limit
    floor: Any  # the lowest introduced key, or None when an introduced does not parse
    description: str


# Explicit versions: (version, key or None) in the advisory's order, and the first version per key when keys hash.
CompiledVersions = tuple[tuple[tuple[str, Any], ...], dict[Any, str] | None]
NO_VERSIONS: CompiledVersions = ((), {})


@dataclass(frozen=True)
class Verdict:
    """Whether a version is affected by one advisory, the constraint that decided, and what could not be parsed."""

    affected: bool
    unknown: bool = False  # the installed version could not be parsed: reported as affected, flagged
    constraint: str = ""
    range_unparseable: bool = False  # an advisory bound could not be parsed: reported as affected, flagged


def describe(rng: AffectedRange) -> str:
    return ", ".join(f"{e.kind} {e.version}" for e in rng.events)


def _key(scheme: VersionScheme, version: str) -> Any:
    return _FLOOR if version == "0" else (1, scheme.key(version))


def _compile_range(scheme: VersionScheme, rng: AffectedRange) -> CompiledRange:
    description = describe(rng)
    undecidable = rng.type not in _RANGE_TYPES
    floor: Any = None
    introduced: list[Any] = []
    limits: list[Any] = []
    points: list[tuple[Any, int]] = []
    for kind, version in rng.events:
        if kind not in _EVENT_KINDS:
            undecidable = True
            continue
        if kind == "limit" and "*" in version:
            limits.append(_TOP)
            continue
        try:
            key = _key(scheme, version)
        except InvalidVersion:
            undecidable = True
            if kind == "introduced":
                introduced.append(None)
            continue
        if kind == "introduced":
            introduced.append(key)
        if kind == "limit":
            limits.append(key)
            continue
        points.append((key, ("introduced", "fixed", "last_affected").index(kind)))  # 0, 1, 2
    if introduced and None not in introduced:
        floor = min(introduced)
    if undecidable or not introduced:
        # No introduced at all is not a range the schema allows: nothing can be said about it.
        return CompiledRange(None, tuple(limits), floor, description)
    groups: list[Group] = []
    for key, index in sorted(points, key=lambda point: point[0]):
        if groups and groups[-1].key == key:
            last = groups[-1]
            groups[-1] = Group(key, last.opens or index == 0, last.closes or index == 1,
                               last.closes_after or index == 2)
        else:
            groups.append(Group(key, index == 0, index == 1, index == 2))
    return CompiledRange(tuple(groups), tuple(limits), floor, description)


def _inside(key: Any, rng: CompiledRange) -> bool | None:
    """True / False when the range decides, None when it cannot (a bound does not parse)."""
    if rng.limits and not any(key < limit for limit in rng.limits):
        return False
    if rng.groups is None:
        return False if rng.floor is not None and key < rng.floor else None
    affected = False
    for group in rng.groups:
        if key < group.key:
            break
        closes = group.closes or (group.closes_after and key > group.key)
        if group.opens and not closes:
            affected = True
        elif closes and not group.opens:
            affected = False
    return affected


def in_range(scheme: VersionScheme, installed_key: Any, rng: AffectedRange) -> bool:
    """Whether the installed version (already a key) falls inside one OSV range; raises when it cannot be told."""
    inside = _inside((1, installed_key), _compile_range(scheme, rng))
    if inside is None:
        raise InvalidVersion(scheme.name, describe(rng), "a bound of the range does not parse")
    return inside


@functools.lru_cache(maxsize=1 << 16)
def compile_ranges(scheme: VersionScheme, ranges: tuple[AffectedRange, ...]) -> tuple[CompiledRange, ...]:
    """The ranges with their bounds parsed and grouped once, for `verdict_of`."""
    return tuple(_compile_range(scheme, rng) for rng in ranges)


@functools.lru_cache(maxsize=1 << 14)
def compile_versions(scheme: VersionScheme, versions: tuple[str, ...]) -> CompiledVersions:
    """Explicit affected versions by key, the first listed one per key (where every key hashes), for `verdict_of`."""
    compiled = []
    for version in versions:
        try:
            compiled.append((version, scheme.key(version)))
        except InvalidVersion:
            compiled.append((version, None))
    by_key: dict[Any, str] | None = {}
    try:
        for version, key in compiled:
            if key is not None:
                by_key.setdefault(key, version)  # type: ignore[union-attr]
    except TypeError:
        by_key = None
    return tuple(compiled), by_key


def evaluate(scheme: VersionScheme, installed: str, ranges: Sequence[AffectedRange],
             versions: Sequence[str] = ()) -> Verdict:
    """Whether `installed` is affected by an advisory with these ranges and explicit versions.

    No ranges and no versions means every version is affected (a distribution's open issue).
    """
    compiled = compile_ranges(scheme, tuple(ranges)) if ranges else ()
    affected, unknown, unparseable, constraint = verdict_of(
        scheme, installed, compiled, compile_versions(scheme, tuple(versions)) if versions else NO_VERSIONS)
    if not affected:
        constraint = "; ".join(rng.description for rng in compiled)
    return Verdict(affected, unknown, constraint, unparseable)


def verdict_of(scheme: VersionScheme, installed: str, ranges: tuple[CompiledRange, ...],
               versions: CompiledVersions) -> tuple[bool, bool, bool, str]:
    """`evaluate` over compiled ranges and versions, as (affected, version unknown, range unparseable, constraint);
    the constraint only when affected."""
    listed, by_key = versions
    if not ranges and not listed:
        return True, False, False, "all versions"
    try:
        key = (1, scheme.key(installed))
    except InvalidVersion:
        if any(version == installed for version, _ in listed):
            return True, False, False, f"listed version {installed}"
        return True, True, False, f"{installed} is not a valid {scheme.name} version"
    undecided: list[str] = []
    for rng in ranges:
        inside = _inside(key, rng)
        if inside:
            return True, False, False, rng.description
        if inside is None:
            undecided.append(rng.description)
    if by_key is not None:
        # The installed version parses, so a listed version equal as text is equal as key too.
        version = by_key.get(key[1])
        if version is not None:
            return True, False, False, f"listed version {version}"
    else:
        for version, version_key in listed:
            if version == installed or (version_key is not None and version_key == key[1]):
                return True, False, False, f"listed version {version}"
    if undecided:
        return True, False, True, "; ".join(undecided) + " (a bound does not parse)"
    return False, False, False, ""

"""OSV range semantics over any version scheme: introduced / fixed / last_affected / limit, and explicit lists."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seawall.model.vuln import AffectedRange
from seawall.versions import InvalidVersion, VersionScheme

_FLOOR = (0,)  # sorts below every parsed key (1, …): OSV's introduced "0"
_INTRODUCED, _UPPER, _LAST = 0, 1, 2  # introduced; fixed or limit; last_affected
_KINDS = {"introduced": _INTRODUCED, "fixed": _UPPER, "limit": _UPPER, "last_affected": _LAST}
# One range ready to compare: its events as (key, kind) in evaluation order, or None when a bound does not parse.
CompiledRange = tuple[tuple[tuple[Any, int], ...] | None, str]
# Explicit versions: (version, key or None) in the advisory's order, and the first version per key when keys hash.
CompiledVersions = tuple[tuple[tuple[str, Any], ...], dict[Any, str] | None]
NO_VERSIONS: CompiledVersions = ((), {})


@dataclass(frozen=True)
class Verdict:
    affected: bool
    unknown: bool = False  # a version could not be parsed: reported as affected, flagged
    constraint: str = ""


def describe(rng: AffectedRange) -> str:
    return ", ".join(f"{e.kind} {e.version}" for e in rng.events)


def _key(scheme: VersionScheme, version: str) -> Any:
    return _FLOOR if version == "0" else (1, scheme.key(version))


def in_range(scheme: VersionScheme, installed_key: Any, rng: AffectedRange) -> bool:
    """Whether the installed version (already a key) falls inside one OSV range."""
    events = _compile_range(scheme, rng)[0]
    if events is None:
        raise InvalidVersion(scheme.name, describe(rng), "a bound of the range does not parse")
    return _inside(installed_key, events)


def _inside(installed_key: Any, events: tuple[tuple[Any, int], ...]) -> bool:
    affected = False
    for key, kind in events:
        if kind == _INTRODUCED:
            if installed_key >= key:
                affected = True
        elif kind == _UPPER:
            if installed_key >= key:
                affected = False
        elif kind == _LAST and installed_key > key:
            affected = False
    return affected


def _compile_range(scheme: VersionScheme, rng: AffectedRange) -> CompiledRange:
    try:
        events = sorted(rng.events, key=lambda e: (_key(scheme, e.version), e.kind != "introduced"))
        compiled = tuple((_key(scheme, e.version), _KINDS.get(e.kind, -1)) for e in events)
    except InvalidVersion:
        return None, describe(rng)
    return compiled, describe(rng)


@functools.lru_cache(maxsize=1 << 16)
def compile_ranges(scheme: VersionScheme, ranges: tuple[AffectedRange, ...]) -> tuple[CompiledRange, ...]:
    """The ranges with their bounds parsed and sorted once, for `verdict_of`."""
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
    affected, unknown, constraint = verdict_of(scheme, installed, compiled,
                                               compile_versions(scheme, tuple(versions)) if versions else NO_VERSIONS)
    if not affected:
        constraint = "; ".join(description for _, description in compiled)
    return Verdict(affected, unknown, constraint)


def verdict_of(scheme: VersionScheme, installed: str, ranges: tuple[CompiledRange, ...],
               versions: CompiledVersions) -> tuple[bool, bool, str]:
    """`evaluate` over compiled ranges and versions, as (affected, unknown, constraint); the constraint only when
    affected."""
    listed, by_key = versions
    if not ranges and not listed:
        return True, False, "all versions"
    try:
        key = (1, scheme.key(installed))
    except InvalidVersion:
        if any(version == installed for version, _ in listed):
            return True, False, f"listed version {installed}"
        return True, True, f"{installed} is not a valid {scheme.name} version"
    unknown = False
    for events, description in ranges:
        if events is None:
            unknown = True  # the advisory's own bound does not parse: affected, flagged
        elif _inside(key, events):
            return True, False, description
    if by_key is not None:
        # The installed version parses, so a listed version equal as text is equal as key too.
        version = by_key.get(key[1])
        if version is not None:
            return True, False, f"listed version {version}"
    else:
        for version, version_key in listed:
            if version == installed or (version_key is not None and version_key == key[1]):
                return True, False, f"listed version {version}"
    if unknown:
        return True, True, "; ".join(description for _, description in ranges)
    return False, False, ""

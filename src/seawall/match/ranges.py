"""OSV range semantics over any version scheme: introduced / fixed / last_affected / limit, and explicit lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seawall.model.vuln import AffectedRange
from seawall.versions import InvalidVersion, VersionScheme

_FLOOR = (0,)  # sorts below every parsed key (1, …): OSV's introduced "0"


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
    events = sorted(rng.events, key=lambda e: (_key(scheme, e.version), e.kind != "introduced"))
    affected = False
    for event in events:
        key = _key(scheme, event.version)
        if event.kind == "introduced":
            if installed_key >= key:
                affected = True
        elif event.kind in ("fixed", "limit"):
            if installed_key >= key:
                affected = False
        elif event.kind == "last_affected" and installed_key > key:
            affected = False
    return affected


def evaluate(scheme: VersionScheme, installed: str, ranges: Sequence[AffectedRange],
             versions: Sequence[str] = ()) -> Verdict:
    """Whether `installed` is affected by an advisory with these ranges and explicit versions.

    No ranges and no versions means every version is affected (a distribution's open issue).
    """
    if not ranges and not versions:
        return Verdict(True, constraint="all versions")
    try:
        key = (1, scheme.key(installed))
    except InvalidVersion:
        if installed in versions:
            return Verdict(True, constraint=f"listed version {installed}")
        return Verdict(True, unknown=True, constraint=f"{installed} is not a valid {scheme.name} version")
    unknown = False
    for rng in ranges:
        try:
            if in_range(scheme, key, rng):
                return Verdict(True, constraint=describe(rng))
        except InvalidVersion:
            unknown = True  # the advisory's own bound does not parse: affected, flagged
    for version in versions:
        try:
            if version == installed or scheme.key(version) == key[1]:
                return Verdict(True, constraint=f"listed version {version}")
        except InvalidVersion:
            continue
    if unknown:
        return Verdict(True, unknown=True, constraint="; ".join(describe(r) for r in ranges))
    return Verdict(False, constraint="; ".join(describe(r) for r in ranges))

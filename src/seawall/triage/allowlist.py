"""Allowlist files: reviewed decisions that a finding does not count, each with a reason, an owner and an expiry.

Applying an allowlist marks findings suppressed (the rule, the reason, the expiry); it never deletes one, and an
expired entry suppresses nothing. Schema: docs/allowlist.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from seawall.errors import InputError
from seawall.model.finding import Finding, ScanReport, Suppression
from seawall.model.sbom import Package
from seawall.triage.targets import image_matches, image_names, parse_purl, purl_matches, source_of
from seawall.triage.yamlsrc import LDict, LList, Problems, load_located, type_name

JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
ENTRY_KEYS = ("id", "package", "purl", "source", "scope", "justification", "statement", "owner", "created",
              "expires", "reference")
TOP_KEYS = ("version", "groups", "entries")
GROUP_KEYS = ("group", "images")
_GLOB_CHARS = set("*?/.:")


class AllowlistError(InputError):
    """An allowlist file that does not follow the schema."""


@dataclass(frozen=True)
class AllowlistEntry:
    """One reviewed decision that a vulnerability does not count: where, for which packages, why, whose, until when."""

    id: str
    expires: date
    file: str
    line: int
    package: str | None = None
    purl: str | None = None
    source: str | None = None
    scope: tuple[str, ...] = ()  # image globs, groups already expanded
    scope_written: tuple[str, ...] = ()  # as written (globs and group names)
    justification: str | None = None
    statement: str | None = None
    owner: str | None = None
    created: date | None = None
    reference: tuple[str, ...] = ()

    @property
    def locator(self) -> str:
        return f"{self.file}:{self.line}"

    def expired(self, today: date) -> bool:
        return self.expires < today  # valid through the day it names

    def applies_to_image(self, names: tuple[str, ...]) -> bool:
        if not self.scope:
            return True
        return any(image_matches(glob, names) for glob in self.scope)

    @property
    def names_package(self) -> bool:
        return self.package is not None or self.source is not None or self.purl is not None

    def matches_package(self, pkg: Package) -> bool:
        """Every package selector the entry states holds for `pkg` (an entry without any matches every package)."""
        if self.package is not None and self.package != pkg.name:
            return False
        if self.source is not None and self.source != source_of(pkg):
            return False
        return self.purl is None or purl_matches(self.purl, pkg)

    def matches(self, finding: Finding) -> bool:
        """Same vulnerability (any of its ids) and every package selector the entry states."""
        if self.id.upper() not in {i.upper() for i in finding.ids}:
            return False
        return self.matches_package(finding.package)

    def reason(self) -> str:
        parts = [p for p in (self.justification, self.statement) if p]
        return ": ".join(parts) if parts else "allowlisted without a statement"

    def suppression(self) -> Suppression:
        return Suppression(kind="allowlist", rule=self.locator, reason=self.reason(), source=self.file,
                           owner=self.owner, expires=self.expires.isoformat(), justification=self.justification)


@dataclass(frozen=True)
class Allowlist:
    """One allowlist file as read: its entries, with image groups already expanded into their scopes."""

    path: str
    entries: tuple[AllowlistEntry, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class ApplyResult:
    """What applying allowlists did: entries that suppressed something, and expired entries that would have."""

    used: dict[str, int] = field(default_factory=dict)  # locator → findings suppressed
    expired: dict[str, AllowlistEntry] = field(default_factory=dict)  # locator → entry that matched but expired

    def notes(self) -> list[str]:
        return [f"allowlist entry {loc} ({entry.id}) expired on {entry.expires.isoformat()} and suppresses nothing"
                for loc, entry in sorted(self.expired.items())]


# -- loading ---------------------------------------------------------------------------------------------------

def load_allowlists(paths: Iterable[str | os.PathLike[str]]) -> list[Allowlist]:
    return [load_allowlist(p) for p in paths]


def load_allowlist(path: str | os.PathLike[str]) -> Allowlist:
    doc = load_located(path, "allowlist", AllowlistError)
    problems = Problems(path, "allowlist")
    if doc is None:
        return Allowlist(str(path), ())
    if not isinstance(doc, LDict):
        problems.add(getattr(doc, "line", 1), f"expected a mapping with `entries:`, found {type_name(doc)}")
        problems.raise_if_any(AllowlistError, "see docs/allowlist.md for the schema")
    for key in doc:
        if key not in TOP_KEYS:
            problems.add(doc.line_of(key), f"unknown key {key!r} (expected one of: {', '.join(TOP_KEYS)})")
    if "version" in doc and doc["version"] != 1:
        problems.add(doc.line_of("version"), f"unsupported version {doc['version']!r} (this seawall reads 1)")
    groups = _groups(doc.get("groups"), doc.line_of("groups"), problems)
    entries: list[AllowlistEntry] = []
    raw_entries = doc.get("entries")
    if raw_entries is None:
        problems.add(doc.line, "missing `entries:` (a list of allowlist entries)")
    elif not isinstance(raw_entries, LList):
        problems.add(doc.line_of("entries"), f"`entries` must be a list, found {type_name(raw_entries)}")
    else:
        for index, raw in enumerate(raw_entries):
            entry = _entry(raw, raw_entries.line_of(index), str(path), groups, problems)
            if entry is not None:
                entries.append(entry)
    problems.raise_if_any(AllowlistError, "fix those lines (schema: docs/allowlist.md)")
    return Allowlist(str(path), tuple(entries), groups)


def _groups(raw: Any, line: int, problems: Problems) -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {}
    if raw is None:
        return groups
    if not isinstance(raw, LList):
        problems.add(line, f"`groups` must be a list of {{group, images}} mappings, found {type_name(raw)}")
        return groups
    for index, item in enumerate(raw):
        item_line = raw.line_of(index)
        if not isinstance(item, LDict):
            problems.add(item_line, f"a group must be a mapping with `group` and `images`, found {type_name(item)}")
            continue
        for key in item:
            if key not in GROUP_KEYS:
                problems.add(item.line_of(key), f"unknown key {key!r} in a group (expected: group, images)")
        name, images = item.get("group"), item.get("images")
        if not isinstance(name, str) or not name:
            problems.add(item.line_of("group"), "a group needs a `group:` name (a string)")
            continue
        if not isinstance(images, list) or not images or not all(isinstance(i, str) and i for i in images):
            problems.add(item.line_of("images"), f"group {name!r} needs `images:`, a list of image name globs")
            continue
        if name in groups:
            problems.add(item.line_of("group"), f"group {name!r} is declared twice")
        groups[name] = tuple(images)
    return groups


def _entry(raw: Any, line: int, path: str, groups: dict[str, tuple[str, ...]],
           problems: Problems) -> AllowlistEntry | None:
    if not isinstance(raw, LDict):
        problems.add(line, f"an entry must be a mapping, found {type_name(raw)}")
        return None
    before = len(problems.items)
    for key in raw:
        if key not in ENTRY_KEYS:
            problems.add(raw.line_of(key), f"unknown key {key!r} (expected one of: {', '.join(ENTRY_KEYS)})")

    def text(key: str, required: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                problems.add(raw.line, f"entry is missing `{key}`")
            return None
        if not isinstance(value, str) or isinstance(value, bool) or not value.strip():
            problems.add(raw.line_of(key), f"`{key}` must be a non-empty string, found {type_name(value)}")
            return None
        return value.strip()

    vuln_id = text("id", required=True)
    package, source, statement, owner = text("package"), text("source"), text("statement"), text("owner")
    purl = text("purl")
    if purl is not None and parse_purl(purl) is None:
        problems.add(raw.line_of("purl"), f"`purl` {purl!r} is not a valid package URL (pkg:TYPE/NAME…)")
    justification = text("justification")
    if justification is not None and justification not in JUSTIFICATIONS:
        problems.add(raw.line_of("justification"),
                     f"unknown justification {justification!r} (expected one of: {', '.join(JUSTIFICATIONS)})")
    expires = _date(raw, "expires", problems, required=True)
    created = _date(raw, "created", problems)
    if expires and created and expires < created:
        problems.add(raw.line_of("expires"), f"`expires` {expires} is before `created` {created}")
    scope_written = _strings(raw, "scope", problems)
    scope: list[str] = []
    for item in scope_written:
        if item in groups:
            scope.extend(groups[item])
        elif _GLOB_CHARS.isdisjoint(item):
            problems.add(raw.line_of("scope"),
                         f"scope {item!r} is neither a declared group nor an image name glob (declared groups: "
                         f"{', '.join(sorted(groups)) or 'none'})")
        else:
            scope.append(item)
    reference = _strings(raw, "reference", problems)
    if len(problems.items) > before or vuln_id is None or expires is None:
        return None
    return AllowlistEntry(id=vuln_id, expires=expires, file=path, line=raw.line, package=package, purl=purl,
                          source=source, scope=tuple(scope), scope_written=scope_written,
                          justification=justification, statement=statement, owner=owner, created=created,
                          reference=reference)


def _date(raw: LDict, key: str, problems: Problems, required: bool = False) -> date | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.add(raw.line, f"entry is missing `{key}` (an ISO date, e.g. 2025-06-30): every entry expires")
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.add(raw.line_of(key), f"`{key}` must be an ISO date (YYYY-MM-DD), found {value!r}")
    return None


def _strings(raw: LDict, key: str, problems: Problems) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    problems.add(raw.line_of(key), f"`{key}` must be a string or a list of strings, found {type_name(value)}")
    return ()


# -- applying --------------------------------------------------------------------------------------------------

def today_utc(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def entries_for(report: ScanReport, allowlists: Sequence[Allowlist]) -> list[AllowlistEntry]:
    names = image_names(report)
    return [e for allowlist in allowlists for e in allowlist.entries if e.applies_to_image(names)]


def apply_allowlists(report: ScanReport, allowlists: Sequence[Allowlist], *,
                     now: datetime | None = None) -> tuple[ScanReport, ApplyResult]:
    """Mark every finding an unexpired entry covers as suppressed; the findings all stay in the report."""
    today = today_utc(now)
    result = ApplyResult()
    entries = entries_for(report, allowlists)
    if not entries:
        return report, result
    findings: list[Finding] = []
    for finding in report.findings:
        added: list[Suppression] = []
        for entry in entries:
            if not entry.matches(finding):
                continue
            if entry.expired(today):
                result.expired[entry.locator] = entry
                continue
            result.used[entry.locator] = result.used.get(entry.locator, 0) + 1
            added.append(entry.suppression())
        findings.append(dataclasses.replace(finding, suppressions=finding.suppressions + tuple(added))
                        if added else finding)
    return dataclasses.replace(report, findings=tuple(findings)), result

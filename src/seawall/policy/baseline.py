"""The baseline: what the last promoted image of a repository already had, so a gate can fail only on what is new.

A finding is *known* when the baseline holds the same vulnerability (any id or alias) in the same source package;
the repository is the baseline's own key. Baselines live under the cache dir (`baselines/`), or in a file the user
names, or in the registry: under the production repository's `seawall-baseline` tag (baseline_registry.py) and
inside the scan artifact promotion attaches to the image.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from seawall.errors import UndecidedError
from seawall.model.finding import Finding, ScanReport
from seawall.outfile import output_file
from seawall.paths import cache_dir
from seawall.triage.targets import source_of

FORMAT = "seawall-baseline"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Admission:
    """How a finding entered the baseline: unsuppressed, or under an allowlist entry or VEX statement."""

    by: str = "unsuppressed"  # unsuppressed | allowlist | vex
    rule: str | None = None  # the allowlist entry's FILE:LINE, or the VEX statement's id
    until: str | None = None  # the allowlist entry's expiry (YYYY-MM-DD)

    @property
    def suppressed(self) -> bool:
        return self.by != "unsuppressed"

    def describe(self) -> str:
        if not self.suppressed:
            return "unsuppressed"
        what = "allowlist entry" if self.by == "allowlist" else "VEX statement"
        return f"suppressed by {what} {self.rule}" + (f" until {self.until}" if self.until else "")

    def to_data(self) -> dict[str, str]:
        return {k: v for k, v in (("by", self.by), ("rule", self.rule), ("until", self.until)) if v}


UNSUPPRESSED = Admission()


@dataclass(frozen=True)
class BaselineEntry:
    """One vulnerability the baseline holds, by every id it goes by, in one source package, and how it was admitted."""

    ids: tuple[str, ...]
    source: str  # source package (or the package, outside distributions)
    admitted: Admission = UNSUPPRESSED


@dataclass(frozen=True)
class Baseline:
    """What one repository's last promoted image already had: the findings a gate with `new_only` does not count."""

    repository: str
    entries: tuple[BaselineEntry, ...]
    image_digest: str | None = None
    created_at: str | None = None
    origin: str = ""  # where it was read from
    _index: dict[str, list[tuple[frozenset[str], BaselineEntry]]] = field(
        default_factory=dict, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._index.setdefault(entry.source, []).append((frozenset(i.upper() for i in entry.ids), entry))

    def matching(self, finding: Finding) -> list[BaselineEntry]:
        ids = {i.upper() for i in finding.ids}
        return [entry for known, entry in self._index.get(source_of(finding.package), ()) if ids & known]

    def knows(self, finding: Finding) -> bool:
        """Known: in the baseline, admitted unsuppressed — or admitted under a suppression that still holds.

        A finding that came in under an allowlist entry or VEX statement is new again once that suppression
        expires or is removed: the baseline must not turn a temporary exception into a permanent one.
        """
        return any(not e.admitted.suppressed or finding.suppressed for e in self.matching(finding))

    def lapsed(self, finding: Finding) -> BaselineEntry | None:
        """The entry that would have made `finding` known, had its suppression not lapsed."""
        if finding.suppressed:
            return None
        entries = self.matching(finding)
        if not entries or any(not e.admitted.suppressed for e in entries):
            return None
        return entries[0]

    def to_data(self) -> dict[str, object]:
        return {"format": FORMAT, "version": VERSION, "repository": self.repository,
                "image_digest": self.image_digest, "created_at": self.created_at,
                "entries": [{"ids": list(e.ids), "source": e.source, "admitted": e.admitted.to_data()}
                            for e in self.entries]}


def admission_of(finding: Finding) -> Admission:
    """How `finding` is let through now: unsuppressed, or under its (first-expiring) allowlist entry or VEX."""
    if not finding.suppressed:
        return UNSUPPRESSED
    # The suppression that lapses first decides when the finding must be looked at again.
    first = min(finding.suppressions, key=lambda s: (s.kind != "allowlist", s.expires or "9999-12-31"))
    return Admission(by="allowlist" if first.kind == "allowlist" else "vex", rule=first.rule,
                     until=first.expires)


def baseline_from_reports(reports: Sequence[ScanReport], repository: str, *, image_digest: str | None = None,
                          created_at: str | None = None, previous: Baseline | None = None) -> Baseline:
    """Every finding of the reports (one per platform), with how it was admitted.

    A finding the previous baseline already knew unsuppressed stays unsuppressed: putting an allowlist entry on
    something production already ran does not make it expire out of the baseline.
    """
    seen: dict[tuple[str, str], BaselineEntry] = {}
    for report in reports:
        for finding in report.findings:
            key = (finding.id, source_of(finding.package))
            admitted = admission_of(finding)
            if admitted.suppressed and previous is not None and any(
                    not e.admitted.suppressed for e in previous.matching(finding)):
                admitted = UNSUPPRESSED
            old = seen.get(key)
            if old is None or (old.admitted.suppressed and not admitted.suppressed):
                seen[key] = BaselineEntry(tuple(finding.ids), key[1], admitted)
    first = reports[0] if reports else None
    digest = image_digest or (first.sbom.image.index_digest or first.sbom.image.digest if first else None)
    return Baseline(repository=repository, entries=tuple(sorted(seen.values(), key=lambda e: (e.source, e.ids))),
                    image_digest=digest, created_at=created_at or (first.scanned_at if first else None))


def baseline_from_report(report: ScanReport, repository: str, created_at: str | None = None,
                         previous: Baseline | None = None) -> Baseline:
    return baseline_from_reports([report], repository, image_digest=report.sbom.image.digest,
                                 created_at=created_at, previous=previous)


def baseline_from_data(data: object, origin: str) -> Baseline:
    def bad(why: str) -> UndecidedError:
        return UndecidedError(f"baseline {origin} is unreadable: {why}",
                              remedy="promoting the repository again to write a new baseline, or naming another one")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not a {FORMAT} document")
    if data.get("version") != VERSION:
        raise bad(f"unknown version {data.get('version')!r}")
    entries = []
    for item in data.get("entries") or ():
        if not (isinstance(item, dict) and isinstance(item.get("source"), str) and isinstance(item.get("ids"), list)
                and item["ids"] and all(isinstance(i, str) for i in item["ids"])):
            raise bad(f"malformed entry {item!r}")
        entries.append(BaselineEntry(tuple(item["ids"]), item["source"], _admission(item.get("admitted"), bad)))
    repository = data.get("repository")
    if not isinstance(repository, str):
        raise bad("no repository")
    return Baseline(repository=repository, entries=tuple(entries), image_digest=data.get("image_digest"),
                    created_at=data.get("created_at"), origin=origin)


def _admission(data: object, bad: Callable[[str], UndecidedError]) -> Admission:
    if data is None:  # written before admissions were recorded
        return UNSUPPRESSED
    if not isinstance(data, dict) or data.get("by") not in ("unsuppressed", "allowlist", "vex") or \
            not all(isinstance(data.get(k), str | None) for k in ("rule", "until")):
        raise bad(f"malformed admission {data!r}")
    if data["by"] != "unsuppressed" and not data.get("rule"):
        raise bad(f"admission {data!r} names no allowlist entry or VEX statement")
    return Admission(by=data["by"], rule=data.get("rule"), until=data.get("until"))


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """A baseline file; anything wrong with it is UNDECIDED, never an empty baseline."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UndecidedError(f"baseline {path} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UndecidedError(f"baseline {path} does not exist",
                             remedy="checking the path, or leaving out --baseline to use the last promotion's") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UndecidedError(f"baseline {path} is unreadable: {err}",
                             remedy="promoting the repository again to write a new baseline") from err
    return baseline_from_data(data, str(path))


def local_baseline_path(repository: str, cache: str | os.PathLike[str] | None = None) -> Path:
    return cache_dir(cache) / "baselines" / f"{quote(repository, safe='')}.json"


def find_local_baseline(repository: str, cache: str | os.PathLike[str] | None = None) -> Baseline | None:
    """The last promoted result of `repository` from the cache; None when it was never promoted from here."""
    path = local_baseline_path(repository, cache)
    if not path.exists():
        return None
    return load_baseline(path)


def save_baseline(baseline: Baseline, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a gate reading concurrently sees the old baseline or the new one, never half."""
    path = Path(path)
    with output_file(path, what="baseline", mkdirs=True) as handle:
        json.dump(baseline.to_data(), handle, indent=1, sort_keys=True)
    return path


def new_findings(findings: Iterable[Finding], baseline: Baseline | None) -> list[Finding]:
    return [f for f in findings if baseline is None or not baseline.knows(f)]

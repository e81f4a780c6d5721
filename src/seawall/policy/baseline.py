"""The baseline: what the last promoted image of a repository already had, so a gate can fail only on what is new.

A finding is *known* when the baseline holds the same vulnerability (any id or alias) in the same source package;
the repository is the baseline's own key. Baselines live under the cache dir (`baselines/`), or in a file the user
names, or in the registry: under the production repository's `seawall-baseline` tag (baseline_registry.py) and
inside the scan artifact promotion attaches to the image.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
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
class BaselineEntry:
    ids: tuple[str, ...]
    source: str  # source package (or the package, outside distributions)


@dataclass(frozen=True)
class Baseline:
    repository: str
    entries: tuple[BaselineEntry, ...]
    image_digest: str | None = None
    created_at: str | None = None
    origin: str = ""  # where it was read from
    _index: dict[str, list[frozenset[str]]] = field(default_factory=dict, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._index.setdefault(entry.source, []).append(frozenset(i.upper() for i in entry.ids))

    def knows(self, finding: Finding) -> bool:
        ids = {i.upper() for i in finding.ids}
        return any(ids & known for known in self._index.get(source_of(finding.package), ()))

    def to_data(self) -> dict[str, object]:
        return {"format": FORMAT, "version": VERSION, "repository": self.repository,
                "image_digest": self.image_digest, "created_at": self.created_at,
                "entries": [{"ids": list(e.ids), "source": e.source} for e in self.entries]}


def baseline_from_report(report: ScanReport, repository: str, created_at: str | None = None) -> Baseline:
    """Every finding of the report, suppressed or not: an allowlisted finding is still a known one."""
    seen: dict[tuple[str, str], BaselineEntry] = {}
    for finding in report.findings:
        key = (finding.id, source_of(finding.package))
        if key not in seen:
            seen[key] = BaselineEntry(tuple(finding.ids), key[1])
    return Baseline(repository=repository, entries=tuple(sorted(seen.values(), key=lambda e: (e.source, e.ids))),
                    image_digest=report.sbom.image.digest, created_at=created_at or report.scanned_at)


def baseline_from_data(data: object, origin: str) -> Baseline:
    def bad(why: str) -> UndecidedError:
        return UndecidedError(f"baseline {origin} is unreadable: {why}",
                              remedy="promote the repository again to write a new baseline, or name another one")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not a {FORMAT} document")
    if data.get("version") != VERSION:
        raise bad(f"unknown version {data.get('version')!r}")
    entries = []
    for item in data.get("entries") or ():
        if not (isinstance(item, dict) and isinstance(item.get("source"), str) and isinstance(item.get("ids"), list)
                and item["ids"] and all(isinstance(i, str) for i in item["ids"])):
            raise bad(f"malformed entry {item!r}")
        entries.append(BaselineEntry(tuple(item["ids"]), item["source"]))
    repository = data.get("repository")
    if not isinstance(repository, str):
        raise bad("no repository")
    return Baseline(repository=repository, entries=tuple(entries), image_digest=data.get("image_digest"),
                    created_at=data.get("created_at"), origin=origin)


def load_baseline(path: str | os.PathLike[str]) -> Baseline:
    """A baseline file; anything wrong with it is UNDECIDED, never an empty baseline."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UndecidedError(f"baseline {path} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise UndecidedError(f"baseline {path} does not exist",
                             remedy="check the path, or leave out --baseline to use the last promotion's") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UndecidedError(f"baseline {path} is unreadable: {err}",
                             remedy="promote the repository again to write a new baseline") from err
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

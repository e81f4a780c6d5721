"""The Feed interface: `fetch` only downloads into a workspace, `parse` turns the workspace into records, purely.

A workspace is a per-feed folder in the cache that survives between updates, so a conditional GET answered with
304 still leaves the previous download to parse. `fetch` writes a manifest naming every input; `parse` reads only
what the manifest names.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from seawall.errors import InputError, SeawallError
from seawall.feeds.http import Http, local_path
from seawall.model.vuln import Advisory, Flagged, Skipped, VulnerabilityMeta

Record = Advisory | VulnerabilityMeta | Skipped | Flagged
MANIFEST = "manifest.json"


class FeedError(InputError):
    """A feed's input is unusable as a whole (not one bad record): only that feed fails."""


@dataclass(frozen=True)
class Input:
    """One downloaded (or local) input of a feed, as the manifest lists it."""

    path: str  # absolute, or relative to the workspace
    url: str
    key: str = ""  # what the feed needs to know about it: an ecosystem, a branch, a release…


@dataclass
class Workspace:
    """A feed's folder in the cache, with the validators and cursor of the previous update and those this fetch sets."""

    dir: Path
    http: Http
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # previous, from the DB
    state: dict[str, Any] = field(default_factory=dict)  # previous incremental cursor, from the DB
    new_validators: dict[str, dict[str, str]] = field(default_factory=dict)
    new_state: dict[str, Any] = field(default_factory=dict)
    changed: bool = False  # set by `download` when any input is new
    progress: Callable[[str], None] | None = None  # what a long fetch is doing now ("window 2/3, 4,000/12,000")

    def report(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def download(self, url: str, name: str, *, expect: str | None = None) -> Path:
        """`url` into `<workspace>/<name>` (conditional GET, atomic), or the local file/folder itself; its path.

        `expect` ("json", "zip", "gzip", "yaml", "text") rejects an answer of the wrong kind (an HTML error page).
        """
        local = local_path(url)
        if local is not None and local.is_dir():
            if expect is not None:  # this input is one file: say so rather than fail on a path inside the workspace
                raise InputError(f"--source {self.dir.name}={url} is a folder, but the {self.dir.name} feed reads "
                                 f"one {expect.upper()} file there",
                                 remedy="naming the file itself (`seawall db feeds` shows what each --source "
                                        "accepts)")
            self.changed = True  # a folder has no cheap validator; parse it every time
            return local
        dest = self.dir / name
        previous = self.validators.get(url) if dest.exists() else None
        result = self.http.download(url, dest, validators=previous, expect=expect)
        self.new_validators[url] = result.validators
        if result.changed:
            self.changed = True
        return dest

    def write_manifest(self, inputs: list[Input]) -> None:
        data = [{"path": i.path, "url": i.url, "key": i.key} for i in inputs]
        (self.dir / MANIFEST).write_text(json.dumps(data, indent=1), encoding="utf-8")

    def inputs(self) -> list[Input]:
        return read_manifest(self.dir)

    def resolve(self, item: Input) -> Path:
        path = Path(item.path)
        return path if path.is_absolute() else self.dir / path


def read_manifest(directory: Path) -> list[Input]:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FeedError(f"the feed workspace {directory} has no readable manifest ({err})",
                        remedy="`seawall db update` to download the feed again") from err
    return [Input(path=d["path"], url=d["url"], key=d.get("key", "")) for d in data]


@dataclass(frozen=True)
class FetchResult:
    """What a feed's fetch reports: whether anything is new, where the data came from, and which records changed."""

    changed: bool  # False: every input answered 304 / was unchanged
    source: str  # human summary of where the data came from (first URL, "+N more")
    data_date: str | None = None
    # The ids of exactly the records that changed since the cursor (a deleted or withdrawn one included), when the
    # feed knows them: the update then replaces only those records' rows through `parse_changed`. None: reload whole.
    changed_ids: frozenset[str] | None = None


class Feed(ABC):
    """An upstream source of advisories. Subclasses set `name`, `version`, `config_type` and implement the two steps."""

    name: ClassVar[str]
    version: ClassVar[int]  # bump when parse output changes: the DB re-parses this feed on the next update
    default: ClassVar[bool] = True  # part of `seawall db update` without --feed
    config_type: ClassVar[type]
    about: ClassVar[str] = ""  # what the feed holds and why it is (or is not) a default; `seawall db feeds` shows it
    accepts: ClassVar[str] = ""  # what `--source NAME=…` takes, and the layout of a local copy

    @classmethod
    def default_source(cls) -> str:
        """Where the feed reads from unless told otherwise: the URLs of its default config."""
        from dataclasses import fields

        config = cls.config_type()
        urls = [str(getattr(config, f.name)) for f in fields(config)
                if isinstance(getattr(config, f.name), str) and "://" in str(getattr(config, f.name))]
        return summarise_sources(urls)

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.config_type()

    @abstractmethod
    def fetch(self, ws: Workspace) -> FetchResult:
        """Download the inputs into `ws.dir` and write the manifest. Network and file I/O only."""

    @abstractmethod
    def parse(self, ws: Workspace) -> Iterator[Record]:
        """Read the manifest's inputs; yield advisories, metadata and skipped records."""

    def parse_changed(self, ws: Workspace, ids: frozenset[str]) -> Iterator[Record]:
        """The current records of `ids` only (a fetch that set `changed_ids` promises this can be read)."""
        raise NotImplementedError(f"feed {self.name} has no incremental parse")

    def with_source(self, key: str | None, url: str) -> Feed:
        """A copy whose input `key` (None: the main one) comes from `url` (a mirror, an air-gapped copy, a test)."""
        return type(self)(self.config.with_source(key, url))


def summarise_sources(urls: list[str]) -> str:
    if not urls:
        return ""
    return urls[0] if len(urls) == 1 else f"{urls[0]} (+{len(urls) - 1} more)"


def unusable(feed: str, reason: str, error: SeawallError | Exception | None = None) -> FeedError:
    detail = f": {error}" if error else ""
    return FeedError(f"feed {feed}: {reason}{detail}", remedy="checking the feed URL, or `--source` for a mirror")

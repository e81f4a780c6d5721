"""OSV records (ossf.github.io/osv-schema): per-ecosystem `<ECOSYSTEM>/all.zip` from the OSV bucket, kept current
through `<ECOSYSTEM>/modified_id.csv` ("<modified>,<ID>" lines, newest first) and `<ECOSYSTEM>/<ID>.json`, plus any
local zip, folder of JSON/YAML records (pypa/advisory-database), or single record.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from seawall.errors import NetworkError
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.feeds.osv_record import parse_record
from seawall.model.ecosystem import DISTRIBUTIONS, ECOSYSTEMS

DEFAULT_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
# Each distribution is downloaded from one source: Debian and Alpine come from their own feeds (the tracker JSON and
# secdb hold the vendor's verdicts), so OSV carries the language ecosystems (from the ecosystem table) and the
# distributions the table gives to this feed (Ubuntu, AlmaLinux, Rocky Linux).
DEFAULT_ECOSYSTEMS = (*(row.osv for row in ECOSYSTEMS if row.osv),
                      *(row.osv for row in DISTRIBUTIONS if row.feed == "osv" and row.osv))
MAX_RECORD_BYTES = 64 * 1024 * 1024
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CURSOR_MARGIN_S = 3600  # re-read records modified shortly before the zip was written, in case of clock skew


@dataclass(frozen=True)
class OsvConfig:
    """Where the OSV feed reads: the bucket and its ecosystems, extra zips or folders, when to fetch all.zip again."""

    base_url: str = DEFAULT_BASE
    ecosystems: tuple[str, ...] = DEFAULT_ECOSYSTEMS
    locations: tuple[str, ...] = ()  # extra zips, folders or records (local paths or URLs of zips)
    max_delta: int = 2000  # more changed records than this: download all.zip again instead

    def with_source(self, key: str | None, url: str) -> OsvConfig:
        """`osv=PATH_OR_URL` loads only that zip/folder; `osv.base=URL` swaps the bucket; `osv.add=…` adds one."""
        if key == "base":
            return replace(self, base_url=url)
        if key == "add":
            return replace(self, locations=(*self.locations, url))
        return replace(self, ecosystems=(), locations=(url,))


class OsvFeed(Feed):
    name = "osv"
    about = (
        'OSV records of the language ecosystems (PyPI, npm, Go, Maven, crates.io, RubyGems, Packagist, NuGet)'
        " and of the distributions whose vendors publish OSV (Ubuntu's USNs and per-CVE records; AlmaLinux's ALSAs,"
        " Rocky Linux's RLSAs and SUSE's and openSUSE's updates, which list fixes only, by binary rpm), kept current"
        " through each ecosystem's modified_id.csv."
    )
    accepts = (
        '`osv=PATH_OR_URL` loads only that zip, folder of OSV JSON/YAML records (e.g. pypa/advisory-'
        "database's vulns/) or single record; `osv.base=URL` replaces the bucket "
        '(<base>/<ECOSYSTEM>/all.zip); `osv.add=PATH_OR_URL` adds one'
    )
    version = 1
    config_type = OsvConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        cfg = self.config
        inputs: list[Input] = []
        base = cfg.base_url.rstrip("/")
        delta: set[str] | None = set()
        for eco in cfg.ecosystems:
            before = ws.changed
            ws.changed = False
            eco_inputs, eco_delta = self._fetch_ecosystem(ws, base, eco)
            inputs.extend(eco_inputs)
            if ws.changed and delta is not None:
                delta = delta | eco_delta if eco_delta is not None else None
            ws.changed = ws.changed or before
        for n, location in enumerate(cfg.locations):
            is_zip = location.endswith(".zip")
            before = ws.changed
            ws.changed = False
            path = ws.download(location, f"location-{n}{'.zip' if is_zip else '.json'}",
                               expect="zip" if is_zip else None)
            if ws.changed:
                delta = None  # a zip or folder says nothing of which records changed
            ws.changed = ws.changed or before
            inputs.append(Input(path=str(path), url=location))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]),
                           changed_ids=frozenset(delta) if delta is not None else None)

    def parse_changed(self, ws: Workspace, ids: frozenset[str]) -> Iterator[Record]:
        for vuln_id in sorted(ids):
            for eco in self.config.ecosystems:
                path = ws.dir / eco / "delta" / f"{vuln_id}.json"
                if path.is_file():
                    origin, record = _load_file(path, f"{eco}/delta/{path.name}")
                    if isinstance(record, str):
                        yield from parse_record(None, self.name, origin=origin, unreadable=record)
                    else:
                        yield from parse_record(record, self.name, origin=origin)
                    break

    def _fetch_ecosystem(self, ws: Workspace, base: str, eco: str) -> tuple[list[Input], set[str] | None]:
        """The ecosystem's inputs, and the ids of the records fetched one by one (None: all.zip was downloaded)."""
        folder = ws.dir / eco
        zip_url = f"{base}/{quote(eco)}/all.zip"
        delta = folder / "delta"
        cursor = ws.state.get(eco)
        if cursor and (folder / "all.zip").exists():
            changed = self._changed_ids(ws, base, eco, cursor)
            if changed is not None and len(changed) <= self.config.max_delta:
                delta.mkdir(parents=True, exist_ok=True)
                for vuln_id, _ in changed:
                    ws.download(f"{base}/{quote(eco)}/{quote(vuln_id)}.json", f"{eco}/delta/{vuln_id}.json",
                                expect="json")
                ws.new_validators.setdefault(zip_url, ws.validators.get(zip_url, {}))
                ws.new_state[eco] = max([cursor, *(m for _, m in changed)])
                return self._inputs(ws, eco, zip_url), {vuln_id for vuln_id, _ in changed}
        before = ws.changed
        ws.changed = False
        ws.download(zip_url, f"{eco}/all.zip", expect="zip")
        if ws.changed:
            shutil.rmtree(delta, ignore_errors=True)
        ws.changed = ws.changed or before
        written = ws.new_validators.get(zip_url, {}).get("last_modified")
        ws.new_state[eco] = _cursor_from(written) or (cursor if not ws.changed else None)
        return self._inputs(ws, eco, zip_url), None

    @staticmethod
    def _inputs(ws: Workspace, eco: str, zip_url: str) -> list[Input]:
        # The delta folder comes first: a record there replaces the one of the same id in all.zip.
        inputs = []
        if (ws.dir / eco / "delta").is_dir():
            inputs.append(Input(path=f"{eco}/delta", url=zip_url.replace("all.zip", "<id>.json"), key=eco))
        inputs.append(Input(path=f"{eco}/all.zip", url=zip_url, key=eco))
        return inputs

    @staticmethod
    def _changed_ids(ws: Workspace, base: str, eco: str, cursor: str) -> list[tuple[str, str]] | None:
        try:
            path = ws.download(f"{base}/{quote(eco)}/modified_id.csv", f"{eco}/modified_id.csv", expect="text")
        except NetworkError:
            return None  # no index here (a plain mirror): fall back to the zip
        changed = []
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                modified, _, vuln_id = line.strip().partition(",")
                if not vuln_id or modified == "modified":
                    continue
                if modified <= cursor:
                    break  # newest first: the rest is older than what we hold
                changed.append((vuln_id.rpartition("/")[2], modified))
        return changed

    def parse(self, ws: Workspace) -> Iterator[Record]:
        seen: set[str] = set()
        for item in ws.inputs():
            path = ws.resolve(item)
            for origin, record in _documents(path, item.url, self.name):
                if isinstance(record, str):  # an unreadable document: its reason
                    yield from parse_record(None, self.name, origin=origin, unreadable=record)
                    continue
                vuln_id = record.get("id") if isinstance(record, dict) else None
                if isinstance(vuln_id, str):
                    if vuln_id in seen:
                        continue
                    seen.add(vuln_id)
                yield from parse_record(record, self.name, origin=origin)


def _cursor_from(last_modified: str | None) -> str | None:
    if not last_modified:
        return None
    try:
        when = parsedate_to_datetime(last_modified).timestamp() - _CURSOR_MARGIN_S
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _documents(path: Path, url: str, feed: str) -> Iterator[tuple[str, Any]]:
    """(origin, parsed record or the reason it is unreadable) for every record at `path`."""
    if path.is_dir():
        yield from _folder(path)
    elif path.suffix == ".zip":
        yield from _zip(path, url, feed)
    else:
        yield _load_file(path)


def _folder(root: Path) -> Iterator[tuple[str, Any]]:
    files: Iterable[Path] = sorted(p for p in root.rglob("*") if p.suffix in (".json", ".yaml", ".yml") and p.is_file())
    for path in files:
        yield _load_file(path, f"{root.name}/{path.relative_to(root)}")  # stable across machines and checkouts


def _load_file(path: Path, label: str | None = None) -> tuple[str, Any]:
    origin = label or path.name
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return origin, "record larger than the size bound"
        with open(path, "rb") as fh:
            if path.suffix == ".json":
                return origin, json.load(fh)
            return origin, yaml.load(fh, Loader=_YAML_LOADER)
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as err:
        return origin, f"unreadable record ({type(err).__name__})"


def _zip(path: Path, url: str, feed: str) -> Iterator[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise unusable(feed, f"{url} is not a readable zip", err) from err
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            origin = f"{url}!{info.filename}"
            if info.file_size > MAX_RECORD_BYTES:
                yield origin, "record larger than the size bound"
                continue
            try:
                yield origin, json.loads(archive.read(info))
            except (OSError, ValueError, RecursionError, zipfile.BadZipFile, EOFError) as err:
                yield origin, f"unreadable record ({type(err).__name__})"

"""Wolfi and Chainguard advisories: the secdb JSON each publishes (packages.wolfi.dev/os/security.json,
packages.cgr.dev/chainguard/security.json), or the advisories YAML it is built from (wolfi-dev/advisories):

    package: {name: openssl}
    advisories:
      - id: CGA-3mrr-589r-46qj
        aliases: [CVE-2024-5535, GHSA-4fc7-mvrr-wv2c]
        events:
          - {timestamp: 2024-06-28T16:10:54Z, type: detection, data: {type: manual}}
          - {timestamp: 2024-06-28T16:12:19Z, type: fixed, data: {fixed-version: 3.3.1-r3}}

Both key advisories by the origin (source) package, with apk versions. The secdb has the Alpine shape (fix versions,
"0" for not affected) and so keeps fixes and false positives only; the YAML keeps every state, decided by the latest
event: `fixed`, `false-positive-determination` (not affected, with its reason), `fix-not-planned` (will not fix),
`pending-upstream-fix` and `true-positive-determination` (affected, no fix yet), `detection` (undetermined).
trivy-db's `wolfi` and `chainguard` sources and grype-db read the secdb; the latest-event rule is the one the
advisories repository's own tooling (wolfictl) documents in docs/event_types.md. Neither carries a severity.
Images are rolling: every Wolfi image is judged in `wolfi:rolling`, every Chainguard image in `chainguard:rolling`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml

from seawall.feeds.alpine import parse_secdb
from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Skipped, Status, VulnerabilityMeta

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 16 * 1024 * 1024
_STATES = {
    "fixed": Status.FIXED,
    "false-positive-determination": Status.NOT_AFFECTED,
    "fix-not-planned": Status.WILL_NOT_FIX,
    "pending-upstream-fix": Status.AFFECTED,
    "true-positive-determination": Status.AFFECTED,
    "detection": Status.UNDETERMINED,
}


@dataclass(frozen=True)
class WolfiConfig:
    """Where the Wolfi feed reads its secdb JSON (or the advisories YAML): its URL, or a local copy."""

    url: str = "https://packages.wolfi.dev/os/security.json"

    def with_source(self, key: str | None, url: str) -> WolfiConfig:
        return replace(self, url=url)


@dataclass(frozen=True)
class ChainguardConfig(WolfiConfig):
    """Where the Chainguard feed reads its secdb: the Wolfi feed's format, Chainguard's URL."""

    url: str = "https://packages.cgr.dev/chainguard/security.json"


class WolfiFeed(Feed):
    name = "wolfi"
    distro: ClassVar[str] = "wolfi"
    about = ("Wolfi's security data, keyed by origin package: the published secdb (fixes and false positives) by "
             "default, or the advisories YAML with every state (affected, will not fix, not affected with its "
             "reason). The one default source for Wolfi images.")
    accepts = ("a URL or path of a secdb JSON (packages.wolfi.dev/os/security.json), or a folder of "
               "<package>.advisories.yaml files (a checkout of the advisories repository)")
    version = 1
    config_type = WolfiConfig

    @property
    def namespace(self) -> str:
        return f"{self.distro}:rolling"

    def fetch(self, ws: Workspace) -> FetchResult:
        url = self.config.url
        local = local_path(url)
        if local is not None and local.is_dir():
            ws.changed = True
            inputs = [Input(path=str(local.resolve()), url=url, key="yaml")]
        else:
            ws.download(url, "security.json", expect="json")
            inputs = [Input(path="security.json", url=url, key="secdb")]
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            if path.is_dir():
                files = sorted(path.glob("*.advisories.yaml"))
                if not files:
                    raise unusable(self.name, f"{path} holds no <package>.advisories.yaml file")
                for file in files:
                    yield from self._yaml_file(file)
                continue
            try:
                data = json.loads(path.read_bytes())
            except (OSError, ValueError) as err:
                raise unusable(self.name, f"{item.url} is not a readable secdb file", err) from err
            for record in parse_secdb(data, "rolling", self.name):
                yield replace(record, namespace=self.namespace) if isinstance(record, Advisory) else record

    def _yaml_file(self, path: Path) -> Iterator[Record]:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                yield Skipped("advisories file larger than the size bound", path.name)
                return
            data = yaml.load(path.read_bytes(), Loader=_YAML_LOADER)
        except (OSError, yaml.YAMLError) as err:
            yield Skipped(f"unreadable advisories file ({type(err).__name__})", path.name)
            return
        package = (data.get("package") or {}).get("name") if isinstance(data, dict) else None
        if not isinstance(package, str) or not package:
            yield Skipped("advisories file without package.name", path.name)
            return
        advisories = data.get("advisories")
        yield from each(advisories if isinstance(advisories, list) else [], lambda e: self._advisory(package, e),
                        lambda e: f"{package}/{e.get('id') if isinstance(e, dict) else '?'}")

    def _advisory(self, package: str, entry: Any) -> Iterator[Record]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            yield Skipped("advisory without an id", package)
            return
        events = [e for e in entry.get("events") or () if isinstance(e, dict) and e.get("type") in _STATES]
        if not events:
            yield Skipped("advisory without a known event", f"{package}/{entry['id']}")
            return
        latest = max(events, key=lambda e: _when(e.get("timestamp")))
        status = _STATES[latest["type"]]
        data: dict[str, Any] = latest["data"] if isinstance(latest.get("data"), dict) else {}
        vuln_id = entry["id"]
        aliases = tuple(str(a) for a in entry.get("aliases") or () if a)
        yield VulnerabilityMeta(id=vuln_id, feed=self.name, aliases=aliases)
        vendor: list[tuple[str, str]] = [("event", str(latest["type"]))]
        if data.get("type"):
            vendor.append(("reason", str(data["type"])))
        if data.get("note"):
            vendor.append(("note", str(data["note"])[:2000]))
        if status is Status.FIXED:
            fixed = str(data.get("fixed-version") or "").strip()
            if not fixed:
                yield Skipped("fixed event without a fixed-version", f"{package}/{vuln_id}")
                return
            yield Advisory(
                id=vuln_id, namespace=self.namespace, package=package, status=status, feed=self.name,
                ranges=(AffectedRange("apk", (RangeEvent("introduced", "0"), RangeEvent("fixed", fixed))),),
                fixed_versions=(fixed,), vendor_data=tuple(sorted(vendor)))
            return
        yield Advisory(id=vuln_id, namespace=self.namespace, package=package, status=status, feed=self.name,
                       vendor_data=tuple(sorted(vendor)))


class ChainguardFeed(WolfiFeed):
    name = "chainguard"
    distro = "chainguard"
    about = ("Chainguard's security data for Chainguard OS images, in Wolfi's formats (secdb by default, or the "
             "advisories YAML). The one default source for Chainguard images.")
    accepts = ("a URL or path of a secdb JSON (packages.cgr.dev/chainguard/security.json), or a folder of "
               "<package>.advisories.yaml files")
    config_type = ChainguardConfig


def _when(value: Any) -> str:
    if isinstance(value, datetime):  # YAML timestamps load as datetimes
        return value.isoformat()
    return str(value or "")

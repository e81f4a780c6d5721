"""VMware Photon OS CVE data: one JSON array per release, packages.vmware.com/photon/photon_cve_metadata/
cve_data_photon<release>.json, each object

    {"cve_id": "CVE-2023-5363", "pkg": "openssl", "cve_score": 7.5,
     "aff_ver": "all versions before 3.0.9-7.ph5 are vulnerable", "res_ver": "3.0.9-7.ph5"}

`pkg` is the spec (source) package; `res_ver` the fixed version-release, without epoch. `aff_ver` and `res_ver` both
"NA" mean the release is not affected; a "NA" fix with affected versions means no fix yet. The only rating is the
CVSS base score, banded as CVSS bands it. trivy-db's `photon` source reads the same fields (through vuln-list, which
splits the arrays into photon/<release>/<pkg>/<cve>.json and adds `os_version`); that layout is read too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Skipped, Status, rating_of

DEFAULT_BASE = "https://packages.vmware.com/photon/photon_cve_metadata"
DEFAULT_RELEASES = ("3.0", "4.0", "5.0")
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class PhotonConfig:
    """Where the Photon feed reads the per-release CVE files, and which Photon OS releases it reads."""

    base_url: str = DEFAULT_BASE
    releases: tuple[str, ...] = DEFAULT_RELEASES

    def with_source(self, key: str | None, url: str) -> PhotonConfig:
        return replace(self, base_url=url)


class PhotonFeed(Feed):
    name = "photon"
    about = ("VMware Photon OS CVE data per release, keyed by spec (source) package: fixed, not affected, and "
             "affected without a fix, rated by CVSS score. The one default source for Photon OS.")
    accepts = ("a base URL or folder holding cve_data_photon<release>.json, or a folder laid out as vuln-list's "
               "photon/<release>/<pkg>/<cve>.json")
    version = 1
    config_type = PhotonConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        cfg = self.config
        local = local_path(cfg.base_url)
        inputs: list[Input] = []
        if local is not None and local.is_dir():
            ws.changed = True
            inputs.append(Input(path=str(local.resolve()), url=cfg.base_url))
        else:
            base = cfg.base_url.rstrip("/")
            for release in cfg.releases:
                name = f"cve_data_photon{release}.json"
                ws.download(f"{base}/{name}", name, expect="json")
                inputs.append(Input(path=name, url=f"{base}/{name}", key=release))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            if path.is_dir():
                yield from self._folder(path)
                continue
            data = _load(path)
            if not isinstance(data, list):
                raise unusable(self.name, f"{item.url} is not a JSON array of Photon CVE objects")
            yield from each(data, partial(_record, release=item.key, feed=self.name), _origin)

    def _folder(self, root: Path) -> Iterator[Record]:
        arrays = sorted(root.glob("cve_data_photon*.json"))
        for path in arrays:
            data = _load(path)
            release = path.stem.removeprefix("cve_data_photon")
            yield from each(data if isinstance(data, list) else [], partial(_record, release=release, feed=self.name),
                            _origin)
        singles = sorted(p for p in root.rglob("*.json") if p not in arrays)
        if not arrays and not singles:
            raise unusable(self.name, f"{root} holds no Photon CVE data")
        for path in singles:
            try:
                entry = _load(path)
            except Exception as err:
                yield Skipped(f"unreadable record ({type(err).__name__})", path.name)
                continue
            yield from each([entry], partial(_record, release="", feed=self.name), _origin)


def _origin(entry: Any) -> str:
    return str(entry.get("cve_id")) if isinstance(entry, dict) else "Photon entry"


def _load(path: Path) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise unusable("photon", f"{path} is larger than the size bound")
    try:
        return json.loads(path.read_bytes())
    except ValueError as err:
        raise unusable("photon", f"{path} is not JSON", err) from err


def _record(entry: Any, release: str, feed: str) -> Iterator[Record]:
    named = isinstance(entry, dict) and all(isinstance(entry.get(key), str) and entry[key] for key in ("cve_id", "pkg"))
    if not named:
        yield Skipped("Photon entry without a cve_id and pkg string", str(entry)[:80])
        return
    if not all(isinstance(entry.get(key, "NA"), str) for key in ("aff_ver", "res_ver", "os_version")):
        yield Skipped("Photon entry whose versions are not strings", str(entry["cve_id"]))
        return
    vuln_id, package = entry["cve_id"], entry["pkg"]
    release = str(entry.get("os_version") or release)
    if not release:
        yield Skipped("Photon entry without a release", vuln_id)
        return
    namespace = f"photon:{release}"
    affected, fixed = str(entry.get("aff_ver") or "NA").strip(), str(entry.get("res_ver") or "NA").strip()
    score = entry.get("cve_score")
    severity = rating_of(float(score)) if isinstance(score, (int, float)) and not isinstance(score, bool) else None
    source = "photon" if severity else None
    if fixed == "NA" and affected == "NA":
        yield Advisory(id=vuln_id, namespace=namespace, package=package, status=Status.NOT_AFFECTED, feed=feed)
    elif fixed == "NA":
        yield Advisory(id=vuln_id, namespace=namespace, package=package, status=Status.AFFECTED, feed=feed,
                       vendor_data=(("affected", affected[:500]),), severity=severity, severity_source=source)
    else:
        yield Advisory(
            id=vuln_id, namespace=namespace, package=package, status=Status.FIXED, feed=feed,
            ranges=(AffectedRange("rpm", (RangeEvent("introduced", "0"), RangeEvent("fixed", fixed))),),
            fixed_versions=(fixed,), severity=severity, severity_source=source)

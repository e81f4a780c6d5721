"""Alpine secdb (secdb.alpinelinux.org/<branch>/<repo>.json, and the older YAML form of the same shape):

    {"distroversion": "v3.19", "reponame": "main", "packages": [{"pkg": {"name": "openssl",
      "secfixes": {"3.1.4-r1": ["CVE-2023-5678"], "0": ["CVE-2022-1234"]}}}]}

`name` is the origin (source) package. A fix version "0" means the package was never affected. One advisory per
(id, fix version): a second fix of the same id is a regression fix, and versions between the two stay affected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Skipped, Status

DEFAULT_BASE = "https://secdb.alpinelinux.org"
DEFAULT_BRANCHES = ("v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge")
_ID = re.compile(r"(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|wnpa-sec-\d{4}-\d+|[A-Z][A-Z0-9]*-[0-9][0-9A-Za-z.-]*)")
_CVE_TYPO = re.compile(r"\bCVE[_ ](\d{4})-(\d{4,})\b")  # "CVE_2019-2426", "CVE 2018-16859" appear in real files
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # every scalar a string: "1.10" must not become 1.1


@dataclass(frozen=True)
class AlpineConfig:
    """Where the Alpine feed reads the secdb: base URL, branches and repositories, JSON or the older YAML form."""

    base_url: str = DEFAULT_BASE
    branches: tuple[str, ...] = DEFAULT_BRANCHES
    repos: tuple[str, ...] = ("main", "community")
    format: str = "json"  # json | yaml

    def with_source(self, key: str | None, url: str) -> AlpineConfig:
        """A bare URL replaces the base (a local folder is scanned for <branch>/<repo>.{json,yaml})."""
        if key in ("yaml", "json"):
            return replace(self, base_url=url, format=key)
        return replace(self, base_url=url)


def namespace_of(distroversion: str) -> str:
    version = distroversion.strip().lstrip("v")
    return f"alpine:{version}"


class AlpineSecdbFeed(Feed):
    name = "alpine"
    about = (
        "Alpine's secdb: the fixed vulnerabilities of every origin package per branch (fixes only: Alpine "
        'publishes no unfixed ones). The one default source for Alpine.'
    )
    accepts = (
        'a URL or local folder laid out as <branch>/<repo>.json (secdb.alpinelinux.org) or '
        '<branch>/<repo>.yaml (the older alpine-secdb repository); `alpine.yaml=DIR` for the YAML form'
    )
    version = 1
    config_type = AlpineConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        cfg = self.config
        local = local_path(cfg.base_url)
        inputs: list[Input] = []
        if local is not None and local.is_dir():
            for path in sorted(local.glob("*/*")):
                if path.suffix in (".json", ".yaml", ".yml") and path.stem in cfg.repos:
                    inputs.append(Input(path=str(path.resolve()), url=str(path), key=path.parent.name))
            if not inputs:
                raise unusable(self.name, f"{local} holds no <branch>/<repo>.json or .yaml files")
            ws.changed = True
        else:
            base = cfg.base_url.rstrip("/")
            for branch in cfg.branches:
                for repo in cfg.repos:
                    url = f"{base}/{branch}/{repo}.{cfg.format}"
                    name = f"{branch}-{repo}.{cfg.format}"
                    ws.download(url, name, expect="json" if cfg.format == "json" else "text")
                    inputs.append(Input(path=name, url=url, key=branch))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            try:
                data = load_secdb(path)
            except (OSError, ValueError, RecursionError, yaml.YAMLError) as err:
                raise unusable(self.name, f"{item.url} is not a readable secdb file", err) from err
            yield from parse_secdb(data, item.key, self.name)


def load_secdb(path: Path) -> Any:
    with open(path, "rb") as fh:
        if path.suffix == ".json":
            return json.load(fh)
        return yaml.load(fh, Loader=_YAML_LOADER)


def parse_secdb(data: Any, branch: str = "", feed: str = "alpine") -> Iterator[Record]:
    if not isinstance(data, dict) or not isinstance(data.get("packages") or [], list):
        yield Skipped("secdb document is not an object with a packages list", branch)
        return
    yield from each(data.get("packages") or [], lambda entry: _parse_secdb({**data, "packages": [entry]}, branch, feed),
                    lambda entry: branch)


def _parse_secdb(data: dict[str, Any], branch: str, feed: str) -> Iterator[Record]:
    namespace = namespace_of(str(data.get("distroversion") or branch))
    for entry in data.get("packages") or []:
        pkg = entry.get("pkg") if isinstance(entry, dict) else None
        if not isinstance(pkg, dict) or not pkg.get("name"):
            yield Skipped("package entry without pkg.name", namespace)
            continue
        name = str(pkg["name"])
        secfixes = pkg.get("secfixes") or {}
        if not isinstance(secfixes, dict):
            yield Skipped("secfixes is not a mapping", f"{namespace}/{name}")
            continue
        for version, lines in secfixes.items():
            version = str(version).strip()
            for line in lines or ():
                ids = _ID.findall(_CVE_TYPO.sub(r"CVE-\1-\2", str(line)))
                if not ids:
                    yield Skipped("secfix line names no vulnerability id", f"{namespace}/{name}: {line}")
                    continue
                for vuln_id in dict.fromkeys(ids):
                    yield _advisory(vuln_id, namespace, name, version, feed)


def _advisory(vuln_id: str, namespace: str, package: str, version: str, feed: str) -> Advisory:
    if version == "0":
        return Advisory(id=vuln_id, namespace=namespace, package=package, status=Status.NOT_AFFECTED, feed=feed)
    return Advisory(
        id=vuln_id, namespace=namespace, package=package, status=Status.FIXED, feed=feed,
        ranges=(AffectedRange("apk", (RangeEvent("introduced", "0"), RangeEvent("fixed", version))),),
        fixed_versions=(version,),
    )

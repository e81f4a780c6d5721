"""Amazon Linux ALAS advisories, from each release's yum `updateinfo.xml` (the repository metadata `dnf` reads):

    <update type="security"><id>ALAS2023-2023-001</id><severity>medium</severity>
      <references><reference id="CVE-2022-24903" type="cve" href="…"/></references>
      <pkglist><collection><package name="rsyslog" epoch="0" version="8.2204.0" release="3.amzn2023.0.2" arch="x86_64">

The repository is found as dnf finds it: `mirror.list` names the current mirror, its `repodata/repomd.xml` names the
updateinfo file. This is the path trivy's vuln-list-update (`amazon`) takes; vunnel's `amazon` provider reads the
ALAS RSS and pages instead. Packages are binary rpm names with separate epoch, version and release; the severity
(low, medium, important, critical) is Amazon's rating. Amazon publishes fixes only.
"""

from __future__ import annotations

import bz2
import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, cast

from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Severity, Skipped, Status, VulnerabilityMeta

DEFAULT_MIRRORS = {
    "2": "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list",
    "2023": "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list",
}
_SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM,
             "important": Severity.HIGH, "critical": Severity.CRITICAL}
_NS = re.compile(r"^\{[^}]*\}")
_UPDATEINFO = ("updateinfo.xml", "updateinfo.xml.gz", "updateinfo.xml.bz2")


@dataclass(frozen=True)
class AmazonConfig:
    """Where the Amazon feed finds each Amazon Linux release's updateinfo.xml: a mirror.list URL or a local file."""

    # release → its repository's mirror.list, or a local updateinfo.xml[.gz|.bz2]
    mirrors: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MIRRORS))

    def with_source(self, key: str | None, url: str) -> AmazonConfig:
        """`amazon.2023=URL` replaces one release's source; a bare URL is a folder of <release>/updateinfo.xml."""
        if key:
            return replace(self, mirrors={**self.mirrors, key: url})
        return replace(self, mirrors={"": url})


class AmazonAlasFeed(Feed):
    name = "amazon"
    about = ("Amazon Linux 2 and 2023 ALAS advisories from each release's repository updateinfo.xml: fixed binary "
             "rpms with Amazon's rating (fixes only). The one default source for Amazon Linux.")
    accepts = ("`amazon.<release>=URL` a mirror.list URL or a local updateinfo.xml(.gz/.bz2) for one release "
               "(2, 2023); `amazon=DIR` a folder laid out as <release>/updateinfo.xml(.gz/.bz2)")
    version = 1
    config_type = AmazonConfig

    @classmethod
    def default_source(cls) -> str:
        return summarise_sources(list(DEFAULT_MIRRORS.values()))

    def fetch(self, ws: Workspace) -> FetchResult:
        inputs: list[Input] = []
        for release, url in self.config.mirrors.items():
            local = local_path(url)
            if local is not None and local.is_dir():
                for path in sorted(local.glob("*/updateinfo.xml*")):
                    if path.name in _UPDATEINFO:
                        inputs.append(Input(path=str(path.resolve()), url=str(path), key=path.parent.name))
                if not inputs:
                    raise unusable(self.name, f"{local} holds no <release>/updateinfo.xml")
                ws.changed = True
            elif local is not None or not url.endswith("mirror.list"):
                name = f"{release}-{url.rsplit('/', 1)[-1]}"
                ws.download(url, name)
                inputs.append(Input(path=name, url=url, key=release))
            else:
                inputs.append(self._from_mirror(ws, release, url))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def _from_mirror(self, ws: Workspace, release: str, url: str) -> Input:
        listing = ws.download(url, f"{release}-mirror.list", expect="text").read_text(errors="replace")
        mirror = next((line.strip() for line in listing.splitlines() if line.strip().startswith("http")), None)
        if mirror is None:
            raise unusable(self.name, f"{url} names no mirror")
        repomd_url = f"{mirror.rstrip('/')}/repodata/repomd.xml"
        repomd = ws.download(repomd_url, f"{release}-repomd.xml")
        try:
            root = ET.parse(repomd).getroot()
        except ET.ParseError as err:
            raise unusable(self.name, f"{repomd_url} is not readable repository metadata", err) from err
        href = next((loc.get("href") for data in root if _local(data.tag) == "data" and data.get("type") == "updateinfo"
                     for loc in data if _local(loc.tag) == "location"), None)
        if not href or ".." in href:
            raise unusable(self.name, f"{repomd_url} names no updateinfo")
        info_url = f"{mirror.rstrip('/')}/{href}"
        name = f"{release}-{href.rsplit('/', 1)[-1]}"
        ws.download(info_url, name)
        return Input(path=name, url=info_url, key=release)

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            try:
                with _open(path) as stream:
                    yield from _updates(stream, item.key, self.name)
            except (OSError, ET.ParseError, EOFError) as err:
                raise unusable(self.name, f"{item.url} is not a readable updateinfo.xml", err) from err


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as fh:
        head = fh.read(3)
    if head[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if head == b"BZh":
        return cast(IO[bytes], bz2.open(path, "rb"))
    return open(path, "rb")


def _local(tag: str) -> str:
    return _NS.sub("", tag)


def _updates(stream: IO[bytes], release: str, feed: str) -> Iterator[Record]:
    # updateinfo is tens of MB: one <update> at a time, each dropped once read.
    for _, element in ET.iterparse(stream, events=("end",)):
        if _local(element.tag) != "update":
            continue
        yield from each([element], lambda e: _update(e, release, feed), lambda e: release or "update")
        element.clear()


def _update(element: ET.Element, release: str, feed: str) -> Iterator[Record]:
    def text(tag: str) -> str:
        found = next((e for e in element if _local(e.tag) == tag), None)
        return (found.text or "").strip() if found is not None else ""

    alas = text("id")
    if not alas:
        yield Skipped("update without an id", release)
        return
    if element.get("type", "security") != "security":
        return  # bugfix and enhancement updates fix no vulnerability
    release = release or _release_of(alas)
    if not release:
        yield Skipped("update of an unknown Amazon Linux release", alas)
        return
    cves = tuple(dict.fromkeys(r.get("id") or "" for r in element.iter() if _local(r.tag) == "reference"
                               and r.get("type") == "cve" and r.get("id")))
    fixes: dict[str, str] = {}
    for pkg in element.iter():
        if _local(pkg.tag) != "package" or not pkg.get("name") or not pkg.get("version"):
            continue
        evr = f"{pkg.get('version')}-{pkg.get('release')}" if pkg.get("release") else str(pkg.get("version"))
        epoch = pkg.get("epoch") or "0"
        fixes.setdefault(str(pkg.get("name")), f"{epoch}:{evr}" if epoch != "0" else evr)
    if not fixes:
        yield Skipped("update without packages", alas)
        return
    issued = next((e.get("date") for e in element if _local(e.tag) == "issued"), None)
    yield VulnerabilityMeta(id=alas, feed=feed, aliases=cves, summary=text("title") or None,
                            description=text("description")[:20000] or None,
                            published=_iso(issued), references=tuple(
                                r.get("href") or "" for r in element.iter() if _local(r.tag) == "reference"
                                and r.get("href")))
    level = _SEVERITY.get(text("severity").lower())
    namespace = f"amzn:{release}"
    for name, version in sorted(fixes.items()):
        yield Advisory(
            id=alas, namespace=namespace, package=name, status=Status.FIXED, feed=feed,
            ranges=(AffectedRange("rpm", (RangeEvent("introduced", "0"), RangeEvent("fixed", version))),),
            fixed_versions=(version,), severity=level, severity_source="amazon" if level else None)


def _release_of(alas: str) -> str:
    """ALAS2023-… → 2023, ALAS2-… → 2, ALAS-… (the first Amazon Linux) → 2018."""
    match = re.match(r"ALAS(\d*)-", alas)
    if not match:
        return ""
    return match.group(1) or "2018"


def _iso(value: str | None) -> str | None:
    if not value or not re.match(r"\d{4}-\d{2}-\d{2}", value):
        return None
    return f"{value[:10]}T{value[11:19] or '00:00:00'}Z" if len(value) >= 19 else f"{value[:10]}T00:00:00Z"

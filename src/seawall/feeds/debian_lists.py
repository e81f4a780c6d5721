"""The Debian security tracker's advisory lists (data/DSA/list, data/DLA/list):

    [29 Mar 2023] DSA-5380-1 xorg-server - security update
        {CVE-2023-1393}
        [bullseye] - xorg-server 2:1.20.11-1+deb11u6
        [sarge] - mozilla <not-affected> (reason)
        NOTE: free text

Each advisory becomes metadata (its CVEs as aliases, date, title) and one advisory per release line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from seawall.feeds.debian import namespace_of, urgency
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Skipped, Status, VulnerabilityMeta

DEFAULT_BASE = "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data"

_HEADER = re.compile(r"^\[(?P<date>\d{1,2} \w{3} \d{4})\] (?P<id>D[SL]A-\d+(?:-\d+)?) (?P<rest>.*)$")
_RELEASE = re.compile(
    r"^\[(?P<release>[a-z-]+)\]\s+-\s+(?P<package>\S+)(?:\s+(?P<version>[^\s(]+))?(?:\s+\((?P<note>.*)\))?\s*$")
_URGENCY_WORDS = {"unimportant", "low", "medium", "high"}
_STATES = {"<not-affected>": Status.NOT_AFFECTED, "<end-of-life>": Status.UNSUPPORTED, "<unfixed>": Status.AFFECTED}


@dataclass(frozen=True)
class DebianListsConfig:
    """Where the Debian lists feed reads the DSA and DLA lists: the tracker's files, or local copies."""

    dsa_url: str = f"{DEFAULT_BASE}/DSA/list"
    dla_url: str = f"{DEFAULT_BASE}/DLA/list"

    def with_source(self, key: str | None, url: str) -> DebianListsConfig:
        """`dsa=URL` or `dla=URL` for one list; a bare URL is the tracker's data/ folder holding DSA/ and DLA/."""
        if key == "dsa":
            return replace(self, dsa_url=url)
        if key == "dla":
            return replace(self, dla_url=url)
        base = url.rstrip("/")
        return replace(self, dsa_url=f"{base}/DSA/list", dla_url=f"{base}/DLA/list")


class DebianListsFeed(Feed):
    name = "debian-advisories"
    about = (
        "The tracker's DSA and DLA lists: advisory ids with their CVEs and fixed versions. Opt-in: the "
        'tracker JSON already judges every Debian package; add this for DSA/DLA names on findings or for an '
        'offline mirror of the lists.'
    )
    accepts = (
        "a URL or local folder holding DSA/list and DLA/list (the tracker repository's data/ folder); "
        '`debian-advisories.dsa=FILE` / `.dla=FILE` for one list'
    )
    version = 1
    default = False  # the tracker JSON is Debian's one default source (see `about`)
    config_type = DebianListsConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        inputs = []
        for kind, url in (("DSA", self.config.dsa_url), ("DLA", self.config.dla_url)):
            if url:
                ws.download(url, f"{kind}.list", expect="text")
                inputs.append(Input(path=f"{kind}.list", url=url, key=kind))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            try:
                text = ws.resolve(item).read_text(encoding="utf-8", errors="replace")
            except OSError as err:
                raise unusable(self.name, f"cannot read {item.url}", err) from err
            yield from parse_list(text, self.name)


def _date(text: str) -> str | None:
    try:
        return datetime.strptime(text, "%d %b %Y").date().isoformat()
    except ValueError:
        return None


def parse_list(text: str, feed: str = "debian-advisories") -> Iterator[Record]:
    current: dict[str, object] | None = None
    releases: list[tuple[int, str]] = []

    def finish() -> Iterator[Record]:
        if current is not None:
            yield from _records(current, releases, feed)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        header = _HEADER.match(raw)
        if header:
            yield from finish()
            package, _, title = header["rest"].partition(" - ")
            current = {"id": header["id"], "date": _date(header["date"]), "package": package.strip(),
                       "title": title.strip(), "cves": [], "notes": []}
            releases = []
        elif current is None:
            yield Skipped("line outside an advisory", f"line {number}")
        elif line.startswith("{"):
            current["cves"].extend(t for t in line.strip("{} ").split() if t)  # type: ignore[attr-defined]
        elif line.startswith("NOTE:"):
            current["notes"].append(line[5:].strip())  # type: ignore[attr-defined]
        elif line.startswith("["):
            releases.append((number, line))
        else:
            yield Skipped("unrecognised line", f"line {number}")
    yield from finish()


def _records(adv: dict[str, object], releases: list[tuple[int, str]], feed: str) -> Iterator[Record]:
    adv_id = str(adv["id"])
    cves = tuple(dict.fromkeys(adv["cves"]))  # type: ignore[call-overload]
    title = str(adv["title"])
    yield VulnerabilityMeta(
        id=adv_id, feed=feed, aliases=cves,
        summary=f"{adv['package']} - {title}" if title else str(adv["package"]),
        description="\n".join(adv["notes"]) or None,  # type: ignore[arg-type]
        published=adv["date"],  # type: ignore[arg-type]
    )
    for number, line in releases:
        m = _RELEASE.match(line)
        if not m:
            yield Skipped("unrecognised release line", f"{adv_id} line {number}")
            continue
        namespace = namespace_of(m["release"])
        if namespace is None:
            yield Skipped(f"unknown Debian release {m['release']!r}", f"{adv_id} line {number}")
            continue
        version = m["version"] or ""
        note = m["note"] or ""
        status = _STATES.get(version, Status.FIXED)
        if version.startswith("<") and version not in _STATES:
            yield Skipped(f"unknown release state {version}", f"{adv_id} line {number}")
            continue
        severity, provisional = None, False
        for part in note.split(";"):
            if part.strip().rstrip("*").strip() in _URGENCY_WORDS:
                severity, provisional = urgency(part)
                break
        fixed = (version,) if status is Status.FIXED else ()
        vendor = [("title", title)] if title else []
        if adv["date"]:
            vendor.append(("date", str(adv["date"])))
        if note and not severity:
            vendor.append(("note", note))
        yield Advisory(
            id=adv_id, namespace=namespace, package=m["package"], status=status, feed=feed,
            ranges=(AffectedRange("dpkg", (RangeEvent("introduced", "0"), RangeEvent("fixed", version))),)
            if fixed else (),
            fixed_versions=fixed,
            severity=severity, severity_source="debian" if severity else None, severity_provisional=provisional,
            vendor_data=tuple(sorted(vendor)),
        )

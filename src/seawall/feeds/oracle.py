"""Oracle Linux ELSA advisories, from Oracle's OVAL (linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2).

One OVAL `definition` per ELSA. The packages and their fixes are only in criterion comments:

    <criterion comment="Oracle Linux 9 is installed"/>
    <criterion comment="openssh is earlier than 0:8.7p1-38.0.2.el9_4.1"/>
    <criterion comment="openssh is signed with the Oracle Linux 9 key"/>

Names are binary rpm names; versions always carry the epoch (`0:`). The ELSA's `severity` (LOW, MODERATE, IMPORTANT,
CRITICAL) is Oracle's rating. Oracle publishes fixes only: there is no affected or will-not-fix state.

Read the way vunnel's `ol` provider reads it (the `Oracle Linux (\\d+).*is installed` and `(.*) is earlier than (.*)`
comment patterns), and like it, fixes whose release carries `ksplice` are left out: they fix Ksplice's userspace
flavour (`glibc-…ksplice1.el8`), not the packages an image installs. Kernel errata for the Unbreakable Enterprise
Kernel name their own packages (`kernel-uek`, `kernel-uek-core`), so they need no mapping. Also reads Aqua Security's
vuln-list conversion of the same definitions (`oval/oracle/<year>/ELSA-*.json`: `Title`, `Platform`, `Severity`,
`Cves`, `Criteria` with `Criterions[].Comment`), the layout trivy-db's `oracle-oval` source reads.
"""

from __future__ import annotations

import bz2
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seawall.feeds.cvss_score import score_vector
from seawall.feeds.guard import PARSE_ERRORS, each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import CVSS, Advisory, AffectedRange, RangeEvent, Severity, Skipped, Status, VulnerabilityMeta

DEFAULT_URL = "https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2"
_INSTALLED = re.compile(r"Oracle Linux (\d+).*is installed")
_EARLIER = re.compile(r"^(\S+) is earlier than (\S+)$")
_ELSA = re.compile(r"ELSA-\d{4}-\d+")
_SEVERITY = {"low": Severity.LOW, "moderate": Severity.MEDIUM, "important": Severity.HIGH,
             "critical": Severity.CRITICAL}
_OVAL_TAG = re.compile(r"^\{[^}]*\}")


@dataclass(frozen=True)
class OracleConfig:
    """Where the Oracle feed reads the ELSA OVAL file: its URL, or a local copy."""

    url: str = DEFAULT_URL

    def with_source(self, key: str | None, url: str) -> OracleConfig:
        return replace(self, url=url)


@dataclass(frozen=True)
class Definition:
    """One ELSA as both inputs state it."""

    id: str
    title: str
    severity: str
    issued: str | None
    cves: tuple[tuple[str, str], ...]  # (CVE id, CVSS3 "score/vector" or "")
    references: tuple[str, ...]
    comments: tuple[str, ...]


class OracleOvalFeed(Feed):
    name = "oracle"
    about = ("Oracle Linux ELSA advisories from Oracle's OVAL: the fixed binary rpms of every erratum, with Oracle's "
             "rating (fixes only: Oracle publishes no unfixed vulnerabilities). The one default source for Oracle "
             "Linux.")
    accepts = ("a URL or path of Oracle's OVAL XML (com.oracle.elsa-all.xml.bz2 or one year's "
               "com.oracle.elsa-YYYY.xml.bz2, plain or .bz2), or a folder of vuln-list's "
               "oval/oracle/<year>/ELSA-*.json")
    version = 1
    config_type = OracleConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        url = self.config.url
        local = local_path(url)
        if local is not None and local.is_dir():
            ws.changed = True
            inputs = [Input(path=str(local.resolve()), url=url)]
        else:
            name = "elsa.xml.bz2" if url.endswith(".bz2") else "elsa.xml"
            ws.download(url, name)  # an error page is refused by the parser: it holds no OVAL definition
            inputs = [Input(path=name, url=url)]
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            if path.is_dir():
                definitions: Iterable[Definition | Skipped] = _json_definitions(path)
            else:
                definitions = _xml_definitions(path, item.url, self.name)
            for definition in definitions:
                if isinstance(definition, Skipped):
                    yield definition
                else:
                    yield from each([definition], lambda d: _records(d, self.name), lambda d: d.id)


def _records(definition: Definition, feed: str) -> Iterator[Record]:
    releases = sorted({m.group(1) for c in definition.comments if (m := _INSTALLED.search(c))})
    if len(releases) != 1:
        yield Skipped(f"names {len(releases)} Oracle Linux releases, not one", definition.id)
        return
    namespace = f"ol:{releases[0]}"
    fixes: dict[str, str] = {}
    for comment in definition.comments:
        match = _EARLIER.match(comment.strip())
        if not match:
            continue
        name, version = match.groups()
        if "ksplice" in version:
            yield Skipped("Ksplice userspace fix left out", f"{definition.id}/{name}", whole=False)
            continue
        fixes.setdefault(name, version)  # every architecture lists the same fix
    if not fixes:
        yield Skipped("no package is earlier than a fixed version", definition.id)
        return
    level = _SEVERITY.get(definition.severity.lower())
    cvss = []
    for _, scored in definition.cves:
        vector = scored.partition("/")[2]
        if vector and (result := score_vector(vector)):
            cvss.append(CVSS(source="oracle", version=result[0], vector=vector, score=result[1]))
    yield VulnerabilityMeta(
        id=definition.id, feed=feed, aliases=tuple(dict.fromkeys(c for c, _ in definition.cves)),
        summary=definition.title or None, cvss=tuple(dict.fromkeys(cvss)), published=definition.issued,
        references=definition.references)
    for name, version in sorted(fixes.items()):
        yield Advisory(
            id=definition.id, namespace=namespace, package=name, status=Status.FIXED, feed=feed,
            ranges=(AffectedRange("rpm", (RangeEvent("introduced", "0"), RangeEvent("fixed", version))),),
            fixed_versions=(version,), severity=level, severity_source="oracle" if level else None)


def _json_definitions(root: Path) -> Iterator[Definition | Skipped]:
    for path in sorted(root.rglob("ELSA-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            yield Skipped(f"unreadable ELSA ({type(err).__name__})", path.name)
            continue
        if not isinstance(data, dict):
            yield Skipped("ELSA file is not an object", path.name)
            continue
        try:
            yield _json_definition(data, path.name)
        except PARSE_ERRORS as err:
            yield Skipped(f"malformed record ({type(err).__name__})", path.name)


def _json_definition(data: dict[str, Any], name: str) -> Definition | Skipped:
    refs = [r for r in data.get("References") or () if isinstance(r, dict)]
    elsa = next((str(r.get("ID")) for r in refs if r.get("Source") == "elsa"), None)
    elsa = elsa or (m.group(0) if (m := _ELSA.search(str(data.get("Title", "")))) else None)
    if not elsa:
        return Skipped("definition without an ELSA id", name)
    cves = tuple((str(c.get("ID")), str(c.get("CVSS3") or "")) for c in data.get("Cves") or ()
                 if isinstance(c, dict) and c.get("ID"))
    comments = [f"{p} is installed" for p in data.get("Platform") or ()]
    comments.extend(_json_comments(data.get("Criteria")))
    return Definition(elsa, str(data.get("Title") or "").strip(), str(data.get("Severity") or ""),
                      _iso((data.get("Issued") or {}).get("Date")), cves,
                      tuple(str(r["URI"]) for r in refs if r.get("URI")), tuple(comments))


def _json_comments(criteria: Any, depth: int = 0) -> Iterator[str]:
    if not isinstance(criteria, dict) or depth > 64:
        return
    for criterion in criteria.get("Criterions") or ():
        if isinstance(criterion, dict) and isinstance(criterion.get("Comment"), str):
            yield criterion["Comment"]
    for child in criteria.get("Criterias") or ():
        yield from _json_comments(child, depth + 1)


def _xml_definitions(path: Path, url: str, feed: str) -> Iterator[Definition | Skipped]:
    try:
        with open(path, "rb") as raw:
            head = raw.read(3)
        stream = bz2.open(path, "rb") if head == b"BZh" else open(path, "rb")  # noqa: SIM115 - closed below
        found = 0
        with stream:
            # The whole OVAL is ~100 MB of XML: walk it definition by definition and drop each once read. ElementTree
            # resolves no external entity, and expat (2.4+) bounds entity expansion.
            for _, element in ET.iterparse(stream, events=("end",)):
                if _local(element.tag) != "definition":
                    continue
                found += 1
                yield from each([element], lambda e: [_xml_definition(e)], lambda e: e.get("id") or "definition")
                element.clear()
    except (OSError, ET.ParseError, EOFError) as err:
        raise unusable(feed, f"{url} is not readable OVAL XML", err) from err
    if not found:
        raise unusable(feed, f"{url} holds no OVAL definition")


def _xml_definition(element: ET.Element) -> Definition | Skipped:
    def first(tag: str) -> ET.Element | None:
        return next((e for e in element.iter() if _local(e.tag) == tag), None)

    title_el = first("title")
    title = " ".join((title_el.text or "").split()) if title_el is not None else ""
    refs = [e for e in element.iter() if _local(e.tag) == "reference"]
    elsa = next((e.get("ref_id") for e in refs if e.get("source") == "elsa"), None)
    elsa = elsa or (m.group(0) if (m := _ELSA.search(title)) else None)
    if not elsa:
        return Skipped("definition without an ELSA id", element.get("id") or "?")
    severity_el, issued_el = first("severity"), first("issued")
    cves = tuple(((e.text or "").strip(), e.get("cvss3") or "") for e in element.iter()
                 if _local(e.tag) == "cve" and (e.text or "").strip())
    comments = tuple(e.get("comment") or "" for e in element.iter() if _local(e.tag) == "criterion")
    return Definition(elsa, title, (severity_el.text or "").strip() if severity_el is not None else "",
                      _iso(issued_el.get("date") if issued_el is not None else None), cves,
                      tuple(e.get("ref_url") or "" for e in refs if e.get("ref_url")), comments)


def _local(tag: str) -> str:
    return _OVAL_TAG.sub("", tag)


def _iso(value: Any) -> str | None:
    return f"{value}T00:00:00Z" if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None

"""Red Hat's CSAF VEX files, one per CVE (security.access.redhat.com/data/csaf/v2/vex/<year>/cve-YYYY-NNNN.json),
published together as the archive `archive_latest.txt` names (csaf_vex_<date>.tar.zst); after the first download only
the files `changes.csv` lists as changed since are fetched, until a newer archive is needed.

A file states, per product stream and component, one of `fixed`, `known_affected`, `known_not_affected` or
`under_investigation`; `remediations` say why an affected component stays so (`no_fix_planned`: "Will not fix" or
"Out of support scope"; `none_available`: "Affected" or "Deferred") and which RHSA fixes it (`vendor_fix`). Full
product ids join a stream to a component through `product_tree.relationships`:

    "AppStream-9.3.0.Z.MAIN:openssl-1:3.0.7-25.el9_3.src"  (fixed: the source rpm's epoch:version-release)
    "red_hat_enterprise_linux_9:openssl"                    (unfixed: the component, no version)

The stream's CPE (`cpe:/a:redhat:enterprise_linux:9::appstream`) gives the namespace (rhel:9); extended-support
streams (`rhel_eus`, `rhel_aus`, `rhel_e4s`, `rhel_tus`) have CPEs of their own and do not speak for a container's
release. Unfixed states name source components only (Red Hat's own notes on the format say binary rpms are not listed
for them), so advisories are keyed by source rpm name throughout. The vulnerability's `impact` threat is Red Hat's
rating. What was taken from others: trivy-db's `redhat-csaf` source and vunnel's `rhel` provider read the same
relationships and remediation strings; like both, only rpm components (`pkg:rpm/redhat/…`) are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import zstandard

from seawall.errors import NetworkError
from seawall.feeds.cvss_score import score_vector
from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, summarise_sources, unusable
from seawall.model.vuln import CVSS, Advisory, AffectedRange, RangeEvent, Severity, Skipped, Status, VulnerabilityMeta
from seawall.versions import InvalidVersion, scheme_for

DEFAULT_BASE = "https://security.access.redhat.com/data/csaf/v2/vex"
MAX_FILE_BYTES = 128 * 1024 * 1024
_STREAM_CPE = re.compile(r"^cpe:/[ao]:redhat:enterprise_linux:(\d+)")
_SEVERITY = {"low": Severity.LOW, "moderate": Severity.MEDIUM, "important": Severity.HIGH,
             "critical": Severity.CRITICAL}
_UNFIXED = {("no_fix_planned", "will not fix"): Status.WILL_NOT_FIX,
            ("no_fix_planned", "out of support scope"): Status.UNSUPPORTED,
            ("none_available", "deferred"): Status.FIX_DEFERRED,
            ("none_available", "fix deferred"): Status.FIX_DEFERRED,
            ("none_available", "affected"): Status.AFFECTED}
# When one stream's states disagree for one component: a fix wins, then an unfixed state, then not decided.
_PRECEDENCE = (Status.FIXED, Status.WILL_NOT_FIX, Status.UNSUPPORTED, Status.FIX_DEFERRED, Status.AFFECTED,
               Status.UNDETERMINED, Status.NOT_AFFECTED)
_RPM = scheme_for("rpm")


@dataclass(frozen=True)
class RedHatConfig:
    """Where the Red Hat feed reads the CSAF VEX files, and how many changed files call for a fresh archive."""

    base_url: str = DEFAULT_BASE
    max_delta: int = 5000  # more changed files than this: download the archive again instead

    def with_source(self, key: str | None, url: str) -> RedHatConfig:
        """A base URL (archive_latest.txt and the archive under it), a local archive, or a folder of VEX files."""
        return replace(self, base_url=url)


class RedHatCsafFeed(Feed):
    name = "redhat"
    about = ("Red Hat's CSAF VEX files, one per CVE: per RHEL major release and source rpm, fixed, affected, will "
             "not fix, deferred, out of support or not affected, with Red Hat's rating. The one default source for "
             "Red Hat Enterprise Linux and UBI images. The archive once, then the files changes.csv lists.")
    accepts = ("a base URL serving archive_latest.txt and the csaf_vex_*.tar.zst it names, a local .tar.zst "
               "archive, or a folder of <year>/cve-*.json VEX files")
    version = 1
    config_type = RedHatConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        url = self.config.base_url
        local = local_path(url)
        if local is not None and (local.is_dir() and not (local / "archive_latest.txt").exists()):
            ws.changed = True
            inputs = [Input(path=str(local.resolve()), url=url)]
        elif url.endswith(".tar.zst"):
            ws.download(url, "vex.tar.zst")
            inputs = [Input(path="vex.tar.zst", url=url)]
        else:
            inputs = self._fetch_published(ws, url.rstrip("/"))
        ws.write_manifest(inputs)
        return FetchResult(changed=ws.changed, source=summarise_sources([i.url for i in inputs]))

    def _fetch_published(self, ws: Workspace, base: str) -> list[Input]:
        """The archive once, then only the files changes.csv lists as changed since ("<year>/cve-….json","<when>")."""
        cursor = ws.state.get("cursor")
        archive_input = ws.state.get("archive")
        delta = ws.dir / "delta"
        if cursor and archive_input and (ws.dir / "vex.tar.zst").exists():
            changed = self._changed(ws, base, str(cursor))
            if changed is not None and len(changed) <= self.config.max_delta:
                for name, _ in changed:
                    ws.download(f"{base}/{name}", f"delta/{name}", expect="json")
                ws.new_validators.setdefault(archive_input, ws.validators.get(archive_input, {}))
                ws.new_state.update(cursor=max([str(cursor), *(when for _, when in changed)]), archive=archive_input)
                return [Input(path="delta", url=f"{base}/<year>/<cve>.json"),
                        Input(path="vex.tar.zst", url=archive_input)]
        latest = ws.download(f"{base}/archive_latest.txt", "archive_latest.txt", expect="text")
        lines = latest.read_text(errors="replace").split()
        archive = lines[0] if lines else ""
        if not re.fullmatch(r"[\w.-]+\.tar\.zst", archive):
            raise unusable(self.name, f"{base}/archive_latest.txt names no .tar.zst archive")
        ws.download(f"{base}/{archive}", "vex.tar.zst")
        shutil.rmtree(delta, ignore_errors=True)
        # Files changed on the archive's day may postdate it: the cursor starts at the start of that day.
        dated = re.search(r"\d{4}-\d{2}-\d{2}", archive)
        day = dated.group(0) if dated else None
        ws.new_state.update(cursor=f"{day}T00:00:00" if day else None, archive=f"{base}/{archive}")
        return [Input(path="vex.tar.zst", url=f"{base}/{archive}")]

    @staticmethod
    def _changed(ws: Workspace, base: str, cursor: str) -> list[tuple[str, str]] | None:
        try:
            path = ws.download(f"{base}/changes.csv", "changes.csv", expect="text")
        except NetworkError:
            return None  # a plain mirror without the index: download the archive again
        changed = []
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.reader(fh):
                if len(row) != 2 or not re.fullmatch(r"\d{4}/cve-\d{4}-\d+\.json", row[0]):
                    continue
                if row[1] <= cursor:
                    break  # newest first: the rest is older than what we hold
                changed.append((row[0], row[1]))
        return changed

    def parse(self, ws: Workspace) -> Iterator[Record]:
        seen: set[str] = set()  # a changed file in delta/ replaces the archive's copy
        for item in ws.inputs():
            path = ws.resolve(item)
            documents = _folder(path) if path.is_dir() else _archive(path, item.url, self.name)
            for origin, document in documents:
                name = origin.rsplit("/", 1)[-1]
                if name in seen:
                    continue
                seen.add(name)
                if isinstance(document, str):
                    yield Skipped(document, origin)
                else:
                    yield from each([document], partial(parse_vex, feed=self.name, origin=origin),
                                    partial(_named, origin))


def _named(origin: str, _document: Any) -> str:
    return origin


def _folder(root: Path) -> Iterator[tuple[str, Any]]:
    if not root.exists():
        return
    for path in sorted(root.rglob("cve-*.json")):
        if path.stat().st_size > MAX_FILE_BYTES:
            yield path.name, "VEX file larger than the size bound"
            continue
        try:
            yield path.name, json.loads(path.read_bytes())
        except (OSError, ValueError) as err:
            yield path.name, f"unreadable VEX file ({type(err).__name__})"


def _archive(path: Path, url: str, feed: str) -> Iterator[tuple[str, Any]]:
    try:
        with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream, \
                tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith(".json"):
                    continue
                if member.size > MAX_FILE_BYTES:
                    yield member.name, "VEX file larger than the size bound"
                    continue
                data = tar.extractfile(member)
                try:
                    yield member.name, json.load(io.BytesIO(data.read() if data else b""))
                except ValueError as err:
                    yield member.name, f"unreadable VEX file ({type(err).__name__})"
    except (OSError, tarfile.TarError, zstandard.ZstdError) as err:
        raise unusable(feed, f"{url} is not a readable .tar.zst archive", err) from err


def _products(tree: Any) -> dict[str, dict[str, str]]:
    """product_id → its identification helpers (cpe, purl), from every branch depth."""
    found: dict[str, dict[str, str]] = {}
    stack = [tree] if isinstance(tree, dict) else []
    while stack:
        node = stack.pop()
        product = node.get("product")
        if isinstance(product, dict) and isinstance(product.get("product_id"), str):
            helper = product.get("product_identification_helper") or {}
            found[product["product_id"]] = {k: str(v) for k, v in helper.items() if k in ("cpe", "purl")} \
                if isinstance(helper, dict) else {}
        stack.extend(b for b in node.get("branches") or () if isinstance(b, dict))
    return found


def _component(purl: str) -> tuple[str, str | None] | None:
    """(source rpm name, epoch:version-release or None) of an rpm purl; None for binaries and other ecosystems."""
    if not purl.startswith("pkg:rpm/"):
        return None
    parsed = urlparse(purl)
    qualifiers = parse_qs(parsed.query)
    arch = (qualifiers.get("arch") or [""])[0]
    if arch and arch != "src":
        return None
    name, _, version = unquote(parsed.path).rsplit("/", 1)[-1].partition("@")
    if not version:
        return name, None
    epoch = (qualifiers.get("epoch") or ["0"])[0]
    return name, f"{epoch}:{version}" if epoch not in ("", "0") else version


def parse_vex(document: Any, feed: str = "redhat", origin: str = "") -> Iterator[Record]:
    if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
        yield Skipped("not a CSAF VEX document", origin)
        return
    tree = document.get("product_tree") or {}
    products = _products(tree)
    joins: dict[str, tuple[str, str]] = {}
    for rel in tree.get("relationships") or () if isinstance(tree, dict) else ():
        full = (rel.get("full_product_name") or {}).get("product_id") if isinstance(rel, dict) else None
        if isinstance(full, str):
            joins[full] = (str(rel.get("product_reference")), str(rel.get("relates_to_product_reference")))
    aggregate = ((document.get("document") or {}).get("aggregate_severity") or {}).get("text", "")
    for vuln in document["vulnerabilities"]:
        if isinstance(vuln, dict) and isinstance(vuln.get("cve"), str):
            yield from _vulnerability(vuln, products, joins, str(aggregate), feed)
        else:
            yield Skipped("VEX vulnerability without a cve", origin)


def _vulnerability(vuln: dict[str, Any], products: dict[str, dict[str, str]], joins: dict[str, tuple[str, str]],
                   aggregate: str, feed: str) -> Iterator[Record]:
    cve = vuln["cve"]
    remedies: dict[str, Status] = {}
    fix_urls: dict[str, str] = {}
    for remediation in vuln.get("remediations") or ():
        if not isinstance(remediation, dict):
            continue
        key = (str(remediation.get("category")), str(remediation.get("details", "")).strip().lower())
        for pid in remediation.get("product_ids") or ():
            if key in _UNFIXED:
                remedies[pid] = _UNFIXED[key]
            elif key[0] == "vendor_fix" and remediation.get("url"):
                fix_urls[pid] = str(remediation["url"])
    states: dict[tuple[str, str], tuple[Status, str | None, str | None]] = {}
    status_lists = vuln.get("product_status") or {}
    for list_name, default in (("fixed", Status.FIXED), ("known_affected", Status.AFFECTED),
                               ("under_investigation", Status.UNDETERMINED),
                               ("known_not_affected", Status.NOT_AFFECTED)):
        for pid in status_lists.get(list_name) or ():
            join = joins.get(pid)
            if join is None:
                continue
            stream = _STREAM_CPE.match(products.get(join[1], {}).get("cpe", ""))
            component = _component(products.get(join[0], {}).get("purl", ""))
            if stream is None or component is None:
                continue
            name, version = component
            if default is Status.FIXED and version is None:
                continue
            status = remedies.get(pid, default) if default is Status.AFFECTED else default
            key = (f"rhel:{stream.group(1)}", name)
            state = (status, version, fix_urls.get(pid))
            held = states.get(key)
            if held is None or _better(state, held):
                states[key] = state
    threat = next((str(t.get("details", "")) for t in vuln.get("threats") or ()
                   if isinstance(t, dict) and t.get("category") == "impact"), aggregate)
    level = _SEVERITY.get(threat.strip().lower())
    cvss = []
    for score in vuln.get("scores") or ():
        for kind in ("cvss_v3", "cvss_v4"):
            vector = ((score or {}).get(kind) or {}).get("vectorString") if isinstance(score, dict) else None
            if vector and (scored := score_vector(str(vector))):
                cvss.append(CVSS(source="redhat", version=scored[0], vector=str(vector), score=scored[1]))
    refs = tuple(str(r["url"]) for r in vuln.get("references") or () if isinstance(r, dict) and r.get("url"))
    yield VulnerabilityMeta(id=cve, feed=feed, summary=vuln.get("title") or None, cvss=tuple(dict.fromkeys(cvss)),
                            published=_utc(vuln.get("release_date")), references=refs)
    for (namespace, name), (status, version, url) in sorted(states.items()):
        vendor = (("advisory", url.rsplit("/", 1)[-1]),) if url else ()
        rated = level if status is not Status.NOT_AFFECTED else None
        source = "redhat" if rated else None
        if status is Status.FIXED and version:
            yield Advisory(
                id=cve, namespace=namespace, package=name, status=status, feed=feed,
                ranges=(AffectedRange("rpm", (RangeEvent("introduced", "0"), RangeEvent("fixed", version))),),
                fixed_versions=(version,), vendor_data=vendor, severity=rated, severity_source=source)
        else:
            yield Advisory(id=cve, namespace=namespace, package=name, status=status, feed=feed, severity=rated,
                           severity_source=source)


def _utc(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.replace("+00:00", "Z")


def _better(new: tuple[Status, str | None, str | None], held: tuple[Status, str | None, str | None]) -> bool:
    rank_new, rank_held = _PRECEDENCE.index(new[0]), _PRECEDENCE.index(held[0])
    if rank_new != rank_held:
        return rank_new < rank_held
    if new[0] is Status.FIXED and new[1] and held[1]:
        try:
            return _RPM.compare(new[1], held[1]) > 0  # two fixes in one release: the later one is the release's fix
        except InvalidVersion:
            return False
    return False

"""Debian Security Tracker JSON: {source package: {CVE or TEMP id: {description, scope, debianbug, releases: {codename:
{status, repositories, fixed_version, urgency, nodsa, nodsa_reason}}}}}, one advisory per (id, package, release)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from seawall.feeds.guard import each
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, unusable
from seawall.model.vuln import Advisory, AffectedRange, RangeEvent, Severity, Skipped, Status, VulnerabilityMeta

DEFAULT_URL = "https://security-tracker.debian.org/tracker/data/json"

# Codename → the VERSION_ID that os-release reports, which is what the namespace uses.
RELEASES = {
    "woody": "3.0", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7", "jessie": "8",
    "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
    "duke": "15", "sid": "unstable",
}

_URGENCY = {
    "unimportant": Severity.NEGLIGIBLE,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
}
_NO_RATING = {"not yet assigned", "end-of-life", ""}


def namespace_of(codename: str) -> str | None:
    version = RELEASES.get(codename)
    return f"debian:{version}" if version else None


def urgency(raw: str | None) -> tuple[Severity | None, bool]:
    """Debian urgency → (severity, provisional). A trailing `*` marks a rating not yet assigned by the team."""
    text = (raw or "").strip()
    provisional = text.endswith("*")
    text = text.rstrip("*").strip().lower()
    if text in _NO_RATING:
        return None, provisional
    return _URGENCY.get(text, Severity.UNKNOWN), provisional


def verdict(release: dict[str, Any]) -> tuple[Status, tuple[str, ...]] | None:
    """The tracker's per-release verdict as a Status and fixed versions; None for a status it does not define."""
    status = release.get("status")
    fixed = str(release.get("fixed_version") or "")
    level = str(release.get("urgency") or "").rstrip("*").strip()
    if status == "resolved":
        if fixed == "0":
            return Status.NOT_AFFECTED, ()
        return (Status.FIXED, (fixed,)) if fixed else (Status.UNDETERMINED, ())
    if status == "open":
        if level == "end-of-life":
            return Status.UNSUPPORTED, ()
        if level == "unimportant":
            return Status.NEGLIGIBLE, ()
        reason = release.get("nodsa_reason")
        if reason == "ignored":
            return Status.WILL_NOT_FIX, ()
        if reason == "postponed":
            return Status.FIX_DEFERRED, ()
        if "nodsa" in release or reason == "":
            return Status.MINOR, ()
        return Status.AFFECTED, ()
    if status == "undetermined":
        return Status.UNDETERMINED, ()
    return None


@dataclass(frozen=True)
class DebianConfig:
    """Where the Debian feed reads the security tracker's JSON: its URL, or a local copy."""

    url: str = DEFAULT_URL

    def with_source(self, key: str | None, url: str) -> DebianConfig:
        return replace(self, url=url)


class DebianTrackerFeed(Feed):
    name = "debian"
    about = (
        "Debian's security tracker JSON: every CVE per source package and release with Debian's own verdict "
        '(fixed, open, no-dsa, ignored, postponed, unimportant, end-of-life) and urgency. The one default '
        'source for Debian: it holds every verdict the DSA/DLA lists hold and the unfixed ones they lack.'
    )
    accepts = (
        'a URL or a local copy of the tracker JSON file (as served at /tracker/data/json)'
    )
    version = 1
    config_type = DebianConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        ws.download(self.config.url, "tracker.json", expect="json")
        ws.write_manifest([Input(path="tracker.json", url=self.config.url)])
        return FetchResult(changed=ws.changed, source=self.config.url)

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            path = ws.resolve(item)
            try:
                with open(path, "rb") as fh:
                    data = json.load(fh)
            except (OSError, ValueError, RecursionError) as err:
                raise unusable(self.name, f"{item.url} is not readable JSON", err) from err
            if not isinstance(data, dict):
                raise unusable(self.name, f"{item.url} is not a JSON object of source packages")
            yield from parse_tracker(data, self.name)


def parse_tracker(data: dict[str, Any], feed: str = "debian") -> Iterator[Record]:
    described: set[str] = set()
    yield from each(data.items(), lambda item: _parse_tracker({item[0]: item[1]}, feed, described),
                    lambda item: item[0])


def _parse_tracker(data: dict[str, Any], feed: str, described: set[str]) -> Iterator[Record]:
    for package, issues in data.items():
        if not isinstance(issues, dict):
            yield Skipped("package entry is not an object", package)
            continue
        for vuln_id, issue in issues.items():
            if not isinstance(issue, dict) or not isinstance(issue.get("releases", {}), dict):
                yield Skipped("issue entry is not an object", f"{package}/{vuln_id}")
                continue
            description = issue.get("description")
            if description and vuln_id not in described:
                described.add(vuln_id)
                yield VulnerabilityMeta(id=vuln_id, feed=feed, description=description)
            vendor = tuple((k, str(issue[k])) for k in ("debianbug", "scope") if issue.get(k) not in (None, ""))
            for codename, release in issue.get("releases", {}).items():
                yield _advisory(package, vuln_id, codename, release, vendor, feed)


def _advisory(package: str, vuln_id: str, codename: str, release: Any, vendor: tuple[tuple[str, str], ...],
              feed: str) -> Advisory | Skipped:
    where = f"{package}/{vuln_id}/{codename}"
    namespace = namespace_of(codename)
    if namespace is None:
        return Skipped(f"unknown Debian release {codename!r}", where)
    if not isinstance(release, dict):
        return Skipped("release entry is not an object", where)
    decided = verdict(release)
    if decided is None:
        return Skipped(f"unknown tracker status {release.get('status')!r}", where)
    status, fixed = decided
    severity, provisional = urgency(release.get("urgency"))
    if release.get("nodsa"):
        vendor = (*vendor, ("nodsa", str(release["nodsa"])))
    if release.get("nodsa_reason"):
        vendor = (*vendor, ("nodsa_reason", str(release["nodsa_reason"])))
    repositories = release.get("repositories") or {}
    return Advisory(
        id=vuln_id,
        namespace=namespace,
        package=package,
        status=status,
        feed=feed,
        ranges=(AffectedRange("dpkg", (RangeEvent("introduced", "0"), RangeEvent("fixed", fixed[0]))),)
        if fixed else (),
        fixed_versions=fixed,
        severity=severity,
        severity_source="debian" if severity else None,
        severity_provisional=provisional,
        repositories=tuple(sorted((str(k), str(v)) for k, v in repositories.items())),
        vendor_data=tuple(sorted(vendor)),
    )

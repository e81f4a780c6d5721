"""CISA Known Exploited Vulnerabilities catalogue (known_exploited_vulnerabilities.json):
{"catalogVersion", "dateReleased", "vulnerabilities": [{"cveID", "vendorProject", "product", "vulnerabilityName",
"dateAdded", "dueDate", "knownRansomwareCampaignUse": "Known" | "Unknown", …}]}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from seawall.feeds.guard import each
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, unusable
from seawall.model.vuln import KevEntry, Skipped, VulnerabilityMeta

DEFAULT_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


@dataclass(frozen=True)
class KevConfig:
    """Where the KEV feed reads CISA's Known Exploited Vulnerabilities catalogue: its URL, or a local copy."""

    url: str = DEFAULT_URL

    def with_source(self, key: str | None, url: str) -> KevConfig:
        return replace(self, url=url)


class KevFeed(Feed):
    name = "kev"
    about = (
        "CISA's Known Exploited Vulnerabilities catalogue: marks findings that are exploited in the wild."
    )
    accepts = (
        'a URL or local copy of known_exploited_vulnerabilities.json'
    )
    version = 1
    config_type = KevConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        ws.download(self.config.url, "kev.json", expect="json")
        ws.write_manifest([Input(path="kev.json", url=self.config.url)])
        return FetchResult(changed=ws.changed, source=self.config.url)

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            try:
                with open(ws.resolve(item), "rb") as fh:
                    data = json.load(fh)
            except (OSError, ValueError, RecursionError) as err:
                raise unusable(self.name, f"{item.url} is not readable JSON", err) from err
            if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
                raise unusable(self.name, f"{item.url} has no vulnerabilities list")
            yield from parse_catalog(data, self.name)


def parse_catalog(data: dict[str, Any], feed: str = "kev") -> Iterator[Record]:
    yield from each(data["vulnerabilities"], lambda entry: _parse_catalog({"vulnerabilities": [entry]}, feed),
                    lambda entry: str(entry)[:80])


def _parse_catalog(data: dict[str, Any], feed: str) -> Iterator[Record]:
    for entry in data["vulnerabilities"]:
        if not isinstance(entry, dict) or not entry.get("cveID") or not entry.get("dateAdded"):
            yield Skipped("entry without cveID or dateAdded", str(entry)[:80])
            continue
        yield VulnerabilityMeta(
            id=str(entry["cveID"]).strip(), feed=feed,
            kev=KevEntry(
                date_added=str(entry["dateAdded"]),
                known_ransomware=str(entry.get("knownRansomwareCampaignUse", "")).lower() == "known",
                due_date=entry.get("dueDate"), vendor_project=entry.get("vendorProject"),
                product=entry.get("product"), name=entry.get("vulnerabilityName"),
            ),
        )

"""NVD CVE API 2.0 (services.nvd.nist.gov/rest/json/cves/2.0): paged with startIndex/resultsPerPage, kept current
with lastModStartDate/lastModEndDate. Opt-in: a full download takes ~13 minutes without an API key."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from seawall.feeds.guard import each
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, unusable
from seawall.model.vuln import CVSS, Skipped, VulnerabilityMeta

DEFAULT_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
_MAX_WINDOW = timedelta(days=120)  # the API refuses wider lastMod ranges
_METRICS = (("cvssMetricV40", "4.0"), ("cvssMetricV31", "3.1"), ("cvssMetricV30", "3.0"), ("cvssMetricV2", "2.0"))


class RateLimiter:
    """At most `requests` calls per `window` seconds (NVD: 5 per 30 s without a key, 50 with one)."""

    def __init__(self, requests: int, window: float, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.requests, self.window, self.sleep, self.clock = requests, window, sleep, clock
        self._calls: list[float] = []

    def wait(self) -> None:
        now = self.clock()
        self._calls = [t for t in self._calls if now - t < self.window]
        if len(self._calls) >= self.requests:
            self.sleep(self.window - (now - self._calls[0]))
            now = self.clock()
            self._calls = self._calls[1:]
        self._calls.append(now)


@dataclass(frozen=True)
class NvdConfig:
    url: str = DEFAULT_URL
    api_key: str | None = field(default_factory=lambda: os.environ.get("NVD_API_KEY") or None)
    results_per_page: int = 2000
    limiter: RateLimiter | None = None  # None: NVD's published limits for the key (or its absence)

    def with_source(self, key: str | None, url: str) -> NvdConfig:
        return replace(self, url=url)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class NvdFeed(Feed):
    name = "nvd"
    version = 1
    default = False
    config_type = NvdConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        cfg = self.config
        limiter = cfg.limiter or (RateLimiter(50, 30) if cfg.api_key else RateLimiter(5, 30))
        headers = {"apiKey": cfg.api_key} if cfg.api_key else {}
        started = datetime.now(UTC)
        cursor = ws.state.get("last_modified")
        folders = [str(p) for p in ws.state.get("folders", []) if (ws.dir / p).is_dir()]
        since = datetime.fromisoformat(cursor.replace("Z", "+00:00")) if cursor and folders else None
        params: dict[str, Any] = {"resultsPerPage": cfg.results_per_page}
        if since is not None and started - since < _MAX_WINDOW:
            params |= {"lastModStartDate": _iso(since), "lastModEndDate": _iso(started)}
            folder = f"delta-{started.strftime('%Y%m%dT%H%M%S')}"
        else:
            folder, folders = "full", []
        target = ws.dir / f"{folder}.part"  # renamed when complete: an interrupted download is never parsed
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        start, total, page = 0, None, 0
        while total is None or start < total:
            limiter.wait()
            data = ws.http.get_json(cfg.url, params={**params, "startIndex": start}, headers=headers)
            if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
                raise unusable(self.name, f"{cfg.url} answered without a vulnerabilities list")
            (target / f"page-{page:05d}.json").write_text(json.dumps(data), encoding="utf-8")
            total = int(data.get("totalResults", 0))
            got = len(data["vulnerabilities"])
            if got == 0:
                break
            start += got
            page += 1
        shutil.rmtree(ws.dir / folder, ignore_errors=True)
        target.rename(ws.dir / folder)
        if folder == "full":
            for old in ws.dir.glob("delta-*"):
                shutil.rmtree(old, ignore_errors=True)
        folders = [folder, *folders]  # newest first: the first copy of a CVE wins in parse
        ws.new_state = {"last_modified": _iso(started), "folders": folders}
        ws.write_manifest([Input(path=f, url=cfg.url, key=f) for f in folders])
        return FetchResult(changed=bool(total) or folder == "full", source=cfg.url)

    def parse(self, ws: Workspace) -> Iterator[Record]:
        seen: set[str] = set()
        for item in ws.inputs():
            for page in sorted(ws.resolve(item).glob("page-*.json")):
                try:
                    data = json.loads(page.read_text(encoding="utf-8"))
                except (OSError, ValueError, RecursionError) as err:
                    raise unusable(self.name, f"cannot read the downloaded page {page}", err) from err
                entries = data.get("vulnerabilities") if isinstance(data, dict) else None
                if not isinstance(entries, list):
                    raise unusable(self.name, f"the downloaded page {page} has no vulnerabilities list")
                for entry in entries:
                    record = parse_cve(entry, self.name)
                    if isinstance(record, VulnerabilityMeta):
                        if record.id in seen:
                            continue
                        seen.add(record.id)
                    yield record


def parse_cve(entry: Any, feed: str = "nvd") -> VulnerabilityMeta | Skipped:
    record: VulnerabilityMeta | Skipped = next(each([entry], lambda e: [_parse_cve(e, feed)],
                                                    lambda e: str(e.get("cve", {}).get("id", ""))))
    return record


def _parse_cve(entry: Any, feed: str) -> VulnerabilityMeta | Skipped:
    cve = entry.get("cve") if isinstance(entry, dict) else None
    if not isinstance(cve, dict) or not cve.get("id"):
        return Skipped("entry without cve.id")
    if cve.get("vulnStatus") == "Rejected":
        return Skipped("rejected", cve["id"])
    description = next((d.get("value") for d in cve.get("descriptions", ()) if d.get("lang") == "en"), None)
    scores = []
    for key, version in _METRICS:
        for metric in (cve.get("metrics") or {}).get(key, ()):
            data = metric.get("cvssData") or {}
            if data.get("vectorString"):
                scores.append(CVSS(source=str(metric.get("source", "nvd")), version=str(data.get("version", version)),
                                   vector=str(data["vectorString"]), score=data.get("baseScore"),
                                   primary=metric.get("type", "Primary") == "Primary"))
    return VulnerabilityMeta(
        id=str(cve["id"]), feed=feed, description=description, cvss=tuple(scores),
        published=cve.get("published"), modified=cve.get("lastModified"),
        references=tuple(str(r["url"]) for r in cve.get("references", ()) if r.get("url")),
    )

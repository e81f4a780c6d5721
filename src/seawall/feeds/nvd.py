"""NVD CVE API 2.0 (services.nvd.nist.gov/rest/json/cves/2.0): CVSS ratings for every CVE.

The first sync pages through every CVE (startIndex/resultsPerPage); later ones ask only for what changed since the
last one, in lastModStartDate/lastModEndDate windows of at most 120 days (the API refuses wider ones). Requests are
paced to NVD's published limits (5 per 30 s, 50 with an API key from NVD_API_KEY); a 403, NVD's "slow down", and
5xx answers are retried. Every page is kept as it arrives with the position reached in `sync.json`, so an
interrupted sync resumes where it stopped instead of starting over.

The source may also be a local folder of per-CVE `cve` objects (`CVE-2023-0286.json`, flat or in the
`CVE-YYYY/CVE-YYYY-NNNxx/` folders of the public `fkie-cad/nvd-json-data-feeds` mirror), or one saved API answer.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seawall.feeds.guard import each
from seawall.feeds.http import local_path
from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, unusable
from seawall.model.vuln import CVSS, Skipped, VulnerabilityMeta

DEFAULT_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_WINDOW = timedelta(days=120)  # the API refuses wider lastMod ranges
_METRICS = (("cvssMetricV40", "4.0"), ("cvssMetricV31", "3.1"), ("cvssMetricV30", "3.0"), ("cvssMetricV2", "2.0"))
_PLAN = "sync.json"
_MAX_RECORD_BYTES = 16 * 1024**2  # the largest real CVE record is well under 1 MB
_MAX_TOTAL = 5_000_000  # NVD holds about 300,000 CVEs: a larger count is a broken or hostile answer


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
    """How the NVD feed talks to the CVE API: URL or local folder, API key, page size and request pacing."""

    url: str = DEFAULT_URL
    api_key: str | None = field(default_factory=lambda: os.environ.get("NVD_API_KEY") or None)
    results_per_page: int = 2000  # the API's maximum
    limiter: RateLimiter | None = None  # None: NVD's published limits for the key (or its absence)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), compare=False)

    def with_source(self, key: str | None, url: str) -> NvdConfig:
        return replace(self, url=url)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def windows(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """[since, until] cut into consecutive lastMod windows of at most 120 days."""
    out = []
    start = since
    while start < until:
        end = min(start + MAX_WINDOW, until)
        out.append((iso(start), iso(end)))
        start = end
    return out or [(iso(since), iso(until))]


class NvdFeed(Feed):
    name = "nvd"
    about = (
        "NVD's CVE API 2.0: CVSS ratings and descriptions for every CVE (the severity of findings no vendor "
        'rates). Set NVD_API_KEY for the higher rate limit.'
    )
    accepts = (
        "the API's URL (a mirror of /rest/json/cves/2.0), or a local folder of per-CVE records "
        "(CVE-YYYY-NNNN.json, flat or in the CVE-YYYY/CVE-YYYY-NNNxx/ layout of fkie-cad/nvd-json-data-feeds)"
    )
    version = 2
    config_type = NvdConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        cfg = self.config
        local = local_path(cfg.url)
        if local is not None and local.is_dir():
            ws.write_manifest([Input(path=str(local.resolve()), url=cfg.url, key="records")])
            return FetchResult(changed=True, source=cfg.url)
        limiter = cfg.limiter or (RateLimiter(50, 30) if cfg.api_key else RateLimiter(5, 30))
        headers = {"apiKey": cfg.api_key} if cfg.api_key else {}
        plan = self._plan(ws)
        target = ws.dir / f"{plan['folder']}.part"  # renamed when complete: an unfinished sync is never parsed
        target.mkdir(parents=True, exist_ok=True)
        fetched = 0
        spans: list[tuple[str, str] | None] = [tuple(w) if w else None for w in plan["windows"]]
        while plan["window"] < len(spans):
            span = spans[plan["window"]]
            params: dict[str, Any] = {"resultsPerPage": cfg.results_per_page}
            if span is not None:
                params |= {"lastModStartDate": span[0], "lastModEndDate": span[1]}
            start, total = plan["start"], None
            while total is None or start < total:
                limiter.wait()
                data = ws.http.get_json(cfg.url, params={**params, "startIndex": start}, headers=headers,
                                        slow_down=(403,), slow_down_wait=limiter.window)
                if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
                    raise unusable(self.name, f"{cfg.url} answered without a vulnerabilities list")
                got = len(data["vulnerabilities"])
                try:
                    total = int(data.get("totalResults") or 0)
                except (TypeError, ValueError):
                    total = -1
                if not 0 <= total <= _MAX_TOTAL:
                    raise unusable(self.name, f"{cfg.url} answered totalResults {data.get('totalResults')!r}")
                _write(target / f"w{plan['window']:03d}-p{start:09d}.json", json.dumps(data))
                fetched += got
                start += got
                plan["start"] = start
                _write(ws.dir / _PLAN, json.dumps(plan))
                where = f"window {plan['window'] + 1}/{len(spans)}, " if span is not None else ""
                ws.report(f"{where}{min(start, total):,}/{total:,} CVEs")
                if got == 0 or local is not None:  # a saved answer is the whole of it
                    break
            plan["window"], plan["start"] = plan["window"] + 1, 0
            _write(ws.dir / _PLAN, json.dumps(plan))
        folder = plan["folder"]
        shutil.rmtree(ws.dir / folder, ignore_errors=True)
        folders = [f for f in plan["previous"] if (ws.dir / f).is_dir()] if folder != "full" else []
        changed: frozenset[str] | None = None
        if folder == "full":
            for old in ws.dir.glob("delta-*"):
                shutil.rmtree(old, ignore_errors=True)
        else:
            changed = _page_ids(target)
        if changed == frozenset():  # an empty window: nothing to keep, and no folder to read on every full parse
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.rename(ws.dir / folder)
            folders = [folder, *folders]  # newest first: the first copy of a CVE wins in parse
        ws.new_state = {"last_modified": plan["until"], "folders": folders}
        ws.write_manifest([Input(path=f, url=cfg.url, key=f) for f in folders])
        (ws.dir / _PLAN).unlink(missing_ok=True)
        return FetchResult(changed=bool(changed) or folder == "full", source=cfg.url, changed_ids=changed)

    def parse_changed(self, ws: Workspace, ids: frozenset[str]) -> Iterator[Record]:
        inputs = ws.inputs()
        if not inputs or inputs[0].key == "records":
            return
        seen: set[str] = set()
        for page in sorted(ws.resolve(inputs[0]).glob("*.json"), key=_newest_window_first):
            for entry in _page_entries(page, self.name):
                record = parse_cve(entry, self.name)
                if isinstance(record, VulnerabilityMeta):
                    if record.id in seen or record.id not in ids:
                        continue
                    seen.add(record.id)
                yield record

    def _plan(self, ws: Workspace) -> dict[str, Any]:
        """The sync to run: the one an interruption left unfinished, else a new full or incremental one."""
        try:
            saved = json.loads((ws.dir / _PLAN).read_text(encoding="utf-8"))
            if saved.get("url") == self.config.url and (ws.dir / f"{saved['folder']}.part").is_dir():
                ws.report(f"resuming at window {saved['window'] + 1}/{len(saved['windows'])}, CVE {saved['start']:,}")
                return saved  # type: ignore[no-any-return]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        now = self.config.now()
        cursor = ws.state.get("last_modified")
        previous = [str(p) for p in ws.state.get("folders", []) if (ws.dir / str(p)).is_dir()]
        if cursor and previous:
            spans: list[list[str] | None] = [list(w) for w in windows(_parse_iso(cursor), now)]
            folder = f"delta-{now.strftime('%Y%m%dT%H%M%S')}"
        else:
            spans, folder, previous = [None], "full", []
        for stale in ws.dir.glob("*.part"):
            shutil.rmtree(stale, ignore_errors=True)
        plan = {"url": self.config.url, "folder": folder, "windows": spans, "window": 0, "start": 0,
                "until": iso(now), "previous": previous}
        _write(ws.dir / _PLAN, json.dumps(plan))
        return plan

    def parse(self, ws: Workspace) -> Iterator[Record]:
        seen: set[str] = set()
        for item in ws.inputs():
            if item.key == "records":
                yield from _records_folder(Path(item.path), self.name, seen)
                continue
            # newest window first, so the first copy of a CVE seen is its latest state
            for page in sorted(ws.resolve(item).glob("*.json"), key=_newest_window_first):
                for entry in _page_entries(page, self.name):
                    record = parse_cve(entry, self.name)
                    if isinstance(record, VulnerabilityMeta):
                        if record.id in seen:
                            continue
                        seen.add(record.id)
                    yield record


def _page_entries(page: Path, feed: str) -> list[Any]:
    try:
        data = json.loads(page.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise unusable(feed, f"cannot read the downloaded page {page}", err) from err
    entries = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise unusable(feed, f"the downloaded page {page} has no vulnerabilities list")
    return entries


def _page_ids(folder: Path) -> frozenset[str]:
    """Every CVE id the pages of one sync name (a rejected one too: its rows must go)."""
    ids = set()
    for page in folder.glob("*.json"):
        for entry in _page_entries(page, "nvd"):
            cve = entry.get("cve") if isinstance(entry, dict) else None
            if isinstance(cve, dict) and isinstance(cve.get("id"), str):
                ids.add(cve["id"])
    return frozenset(ids)


def _newest_window_first(page: Path) -> tuple[int, str]:
    window, _, rest = page.stem.partition("-")
    return (-int(window[1:]) if window[1:].isdigit() else 0, rest)


def _write(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".tmp")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def _records_folder(root: Path, feed: str, seen: set[str]) -> Iterator[Record]:
    if not root.is_dir():
        raise unusable(feed, f"{root} is not a folder")
    for path in sorted(root.rglob("CVE-*.json")):
        if path.is_symlink() or not path.is_file():
            yield Skipped("not a regular file", path.name)
            continue
        if path.stat().st_size > _MAX_RECORD_BYTES:
            yield Skipped("record larger than 16 MB", path.name)
            continue
        try:
            cve = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            yield Skipped("unreadable JSON", path.name)
            continue
        record = parse_cve({"cve": cve}, feed)
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
    description = next((d.get("value") for d in cve.get("descriptions") or () if isinstance(d, dict)
                        and d.get("lang") == "en"), None)
    scores = []
    metrics = cve.get("metrics")
    if not isinstance(metrics, dict):
        metrics = {}
    for key, version in _METRICS:
        for metric in metrics.get(key) or ():
            data = metric.get("cvssData") if isinstance(metric, dict) else None
            if isinstance(data, dict) and data.get("vectorString"):
                score = data.get("baseScore")
                scores.append(CVSS(source=str(metric.get("source", "nvd")), version=str(data.get("version", version)),
                                   vector=str(data["vectorString"]),
                                   score=float(score) if isinstance(score, int | float) else None,
                                   primary=metric.get("type", "Primary") == "Primary"))
    return VulnerabilityMeta(
        id=str(cve["id"]), feed=feed, description=description, cvss=tuple(scores),
        published=cve.get("published"), modified=cve.get("lastModified"),
        references=tuple(str(r["url"]) for r in cve.get("references") or () if isinstance(r, dict) and r.get("url")),
    )

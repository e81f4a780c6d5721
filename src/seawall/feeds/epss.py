"""FIRST EPSS daily scores (epss_scores-YYYY-MM-DD.csv.gz): a `#model_version:…,score_date:…` comment line,
then `cve,epss,percentile` rows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from isal import igzip  # several times faster than gzip on the ~10 MB daily file

from seawall.feeds.interface import Feed, FetchResult, Input, Record, Workspace, unusable
from seawall.model.vuln import EpssScore, Skipped, VulnerabilityMeta

DEFAULT_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"


@dataclass(frozen=True)
class EpssConfig:
    """Where the EPSS feed reads FIRST's daily scores file: its URL, or a local copy."""

    url: str = DEFAULT_URL

    def with_source(self, key: str | None, url: str) -> EpssConfig:
        return replace(self, url=url)


class EpssFeed(Feed):
    name = "epss"
    about = (
        "FIRST's EPSS daily scores: the probability of exploitation in the next 30 days, per CVE."
    )
    accepts = (
        'a URL or local copy of epss_scores-*.csv.gz (or the plain CSV)'
    )
    version = 1
    config_type = EpssConfig

    def fetch(self, ws: Workspace) -> FetchResult:
        ws.download(self.config.url, "epss.csv.gz", expect="gzip" if self.config.url.endswith(".gz") else "text")
        ws.write_manifest([Input(path="epss.csv.gz", url=self.config.url)])
        return FetchResult(changed=ws.changed, source=self.config.url)

    def parse(self, ws: Workspace) -> Iterator[Record]:
        for item in ws.inputs():
            try:
                with _open(ws.resolve(item)) as fh:
                    yield from parse_scores(fh, self.name)
            except (OSError, EOFError, UnicodeDecodeError) as err:
                raise unusable(self.name, f"{item.url} is not a readable EPSS file", err) from err


def _open(path: Path) -> IO[str]:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    raw = igzip.open(path, "rb") if gz else open(path, "rb")  # noqa: SIM115 - wrapped and closed by the caller
    return io.TextIOWrapper(raw, encoding="utf-8")


def parse_scores(lines: IO[str], feed: str = "epss") -> Iterator[Record]:
    score_date: str | None = None
    header_seen = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            fields = dict(p.split(":", 1) for p in line[1:].split(",") if ":" in p)
            score_date = (fields.get("score_date") or "")[:10] or None
            continue
        if not header_seen:
            header_seen = True
            if line.lower().startswith("cve,"):
                continue
        cve, _, rest = line.partition(",")
        score, _, percentile = rest.partition(",")
        try:
            yield VulnerabilityMeta(id=cve, feed=feed,
                                    epss=EpssScore(score=float(score), percentile=float(percentile), date=score_date))
        except ValueError:
            yield Skipped("malformed EPSS row", f"line {number}")

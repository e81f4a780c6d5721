"""`seawall fleet plan`: what a run will pull and how long it takes, before pulling anything.

From the catalog and HEAD requests only (Docker Hub counts neither as a pull): the distinct digests, how many the
results store already holds (re-used, not pulled), the manifests and bytes left to pull (bytes from Docker Hub's tag
sizes, else the last stored size of the same repository), and the time at Docker Hub's pull limits; from that, how
many CI shards keep every job under its time limit."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seawall.fleet.catalog import CatalogImage
from seawall.fleet.store import ResultsStore
from seawall.image.registry.ratelimit import RateLimit

# Docker Hub's documented pull limits ("Usage and limits", 2025): per IPv4 address (or IPv6 /64) without an
# account, per account with one. The limit the HEAD responses report, when they report one, is shown beside them.
ANONYMOUS = (10, 3600)
AUTHENTICATED = (100, 3600)
DEFAULT_SCAN_SECONDS = 30.0  # per image, until the store has durations of its own
SHARD_SKEW = 1.3  # shards split by a hash of the digest: the largest is up to ~30% above the mean
MAX_SHARDS = 256  # GitHub's matrix limit


@dataclass
class Limit:
    """A Docker Hub pull limit: so many pulls per window of seconds."""

    name: str
    pulls: int
    window: int  # seconds

    def hours(self, pulls: int) -> float:
        """Time to make `pulls` pulls starting with a full quota: the first `pulls` are free of waiting."""
        if pulls <= self.pulls:
            return 0.0
        return math.ceil((pulls - self.pulls) / self.pulls) * self.window / 3600


@dataclass
class Plan:
    """What `seawall fleet plan` predicts for a run: digests to pull, bytes, hours at each pull limit, shards needed."""

    tags: int
    digests: int
    unresolved: list[str]
    in_store: int
    to_pull: int
    bytes_known: int
    bytes_unknown: int  # digests to pull whose size neither Docker Hub nor the store knows
    scan_seconds: float
    workers: int
    limits: list[Limit] = field(default_factory=list)
    job_minutes: int = 300
    authenticated: bool = False
    shards: int = 1
    fits: bool = True

    @property
    def scan_hours(self) -> float:
        return self.to_pull * self.scan_seconds / max(self.workers, 1) / 3600

    def document(self) -> dict[str, Any]:
        return {"tags": self.tags, "digests": self.digests, "unresolved": self.unresolved,
                "inStore": self.in_store, "toPull": {"manifests": self.to_pull, "bytes": self.bytes_known,
                                                     "digestsOfUnknownSize": self.bytes_unknown},
                "scanHours": round(self.scan_hours, 2), "scanSecondsPerImage": round(self.scan_seconds, 1),
                "pullHours": {limit.name: {"limit": limit.pulls, "windowSeconds": limit.window,
                                           "hours": round(limit.hours(self.to_pull), 2)} for limit in self.limits},
                "jobMinutes": self.job_minutes, "authenticated": self.authenticated, "shards": self.shards,
                "fits": self.fits}


def _shard_hours(plan: Plan, shards: int) -> float:
    pulls = math.ceil(plan.to_pull / shards * SHARD_SKEW)
    scan = pulls * plan.scan_seconds / max(plan.workers, 1) / 3600
    if plan.authenticated:  # one account: every shard draws on the same quota
        account = next(limit for limit in plan.limits if limit.name == "authenticated")
        return scan + account.hours(plan.to_pull)  # the whole catalog's wait, whichever shard waits
    anonymous = next(limit for limit in plan.limits if limit.name == "anonymous")
    return scan + anonymous.hours(pulls)  # each CI job pulls from its own address


def size_shards(plan: Plan) -> None:
    budget = plan.job_minutes / 60
    for shards in range(1, MAX_SHARDS + 1):
        if _shard_hours(plan, shards) <= budget:
            plan.shards, plan.fits = shards, True
            return
    plan.shards, plan.fits = MAX_SHARDS, False


def make_plan(images: Sequence[CatalogImage], store: ResultsStore | None, *, workers: int = 2,
              job_minutes: int = 300, authenticated: bool = False, observed: RateLimit | None = None) -> Plan:
    """The plan for `images` (digests already resolved by HEAD requests)."""
    digests: dict[str, CatalogImage] = {}
    unresolved = []
    for image in images:
        if image.digest is None:
            unresolved.append(image.key)
        else:
            digests.setdefault(image.digest, image)
    known = store.known_digests() if store is not None else set()
    sizes = store.repository_sizes() if store is not None else {}
    durations = store.scan_durations() if store is not None else []
    pending = [image for digest, image in digests.items() if digest not in known]
    bytes_known = bytes_unknown = 0
    for image in pending:
        size = image.size or sizes.get(image.repository)
        if size:
            bytes_known += size
        else:
            bytes_unknown += 1
    to_pull = len(pending) + len(unresolved)  # an unresolved tag is tried again by the run
    limits = [Limit("anonymous", *ANONYMOUS), Limit("authenticated", *AUTHENTICATED)]
    if observed is not None and observed.limit:
        limits.append(Limit("observed", observed.limit, observed.window or 21600))
    plan = Plan(len(images), len(digests), unresolved, len(digests) - len(pending), to_pull, bytes_known,
                bytes_unknown, statistics.median(durations) if durations else DEFAULT_SCAN_SECONDS, workers,
                limits, job_minutes, authenticated)
    size_shards(plan)
    return plan


def render_text(plan: Plan) -> str:
    gib = plan.bytes_known / 1024 ** 3
    lines = [f"{plan.tags} tags, {plan.digests} distinct digests"
             + (f", {len(plan.unresolved)} tags not found by HEAD" if plan.unresolved else ""),
             f"already in the store (re-used, not pulled): {plan.in_store}",
             f"to pull: {plan.to_pull} manifests, {gib:.2f} GiB"
             + (f" + {plan.bytes_unknown} images of unknown size" if plan.bytes_unknown else ""),
             f"scanning: {plan.scan_hours:.1f} h at {plan.scan_seconds:.0f} s per image on {plan.workers} workers"]
    for limit in plan.limits:
        lines.append(f"pull time at the {limit.name} limit ({limit.pulls} per {limit.window // 60} min): "
                     f"{limit.hours(plan.to_pull):.1f} h")
    lines.append(f"CI shards for {plan.job_minutes}-minute jobs "
                 f"({'authenticated' if plan.authenticated else 'anonymous'} pulls): {plan.shards}"
                 + ("" if plan.fits else " — not enough: the pulls alone exceed the job limit"))
    return "\n".join(lines)


def render_github(plan: Plan) -> str:
    """Lines for $GITHUB_OUTPUT: the shard count and the matrix of shard numbers."""
    return f"shards={plan.shards}\nmatrix={list(range(1, plan.shards + 1))}"

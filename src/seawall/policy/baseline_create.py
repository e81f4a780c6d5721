"""A baseline from what production runs today, for repositories that were in production before seawall was:
every finding of the image (every platform of an index), recorded as admitted the way triage lets it through now.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seawall.errors import InputError
from seawall.image.open import LOCAL_TRANSPORTS
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.model.finding import ScanReport
from seawall.policy.baseline import Baseline, baseline_from_reports
from seawall.policy.platforms import scan_every_platform
from seawall.triage import apply_triage
from seawall.triage.allowlist import load_allowlists
from seawall.triage.targets import repository_of
from seawall.triage.vex import load_vex_files


@dataclass
class Created:
    """A baseline made from what production runs today, the platforms it covers, and where it was published."""

    baseline: Baseline
    platforms: list[str]  # the platforms scanned (empty: a single-platform image)
    published: str | None = None  # digest of the artifact under REPOSITORY:seawall-baseline


def create_baseline(target: str, *, repository: str | None = None, allowlists: Sequence[str] = (),
                    vex: Sequence[str] = (), platform: str | None = None, insecure_registries: Sequence[str] = (),
                    cache_dir: str | os.PathLike[str] | None = None, db: str | os.PathLike[str] | None = None,
                    auto_update: bool = True, now: datetime | None = None) -> Created:
    """Scan `target` and make the baseline of `repository` (default: the target's own repository) from it."""
    from seawall.image.options import FetchOptions
    from seawall.policy.gate import with_db_date
    from seawall.scan import scan_target

    now = now or datetime.now(UTC)
    loaded_allow, loaded_vex = load_allowlists(allowlists), load_vex_files(vex)
    options = RegistryOptions(insecure_registries=frozenset(insecure_registries))

    def scan(text: str, plat: str | None) -> ScanReport:
        report = scan_target(text, fetch=FetchOptions.of(plat, insecure_registries, cache_dir),
                             db=Path(db) if db else None, auto_update=auto_update, now=now)
        return apply_triage(with_db_date(report, db), loaded_allow, loaded_vex, now=now)[0]

    transport = target.partition(":")[0]
    if transport in LOCAL_TRANSPORTS or target.startswith("sbom:"):
        reports, digest, platforms = [scan(target, platform)], None, []
    else:
        scanned = scan_every_platform(parse_reference(target), platform, options, scan)
        reports = [r for _, r in scanned.reports]
        digest, platforms = scanned.top.digest, [c.platform for c in scanned.children]
    name = repository or repository_of(reports[0])
    if not name:
        raise InputError(f"{target} names no repository to make the baseline for",
                         remedy="--publish REPOSITORY (or --repository REPOSITORY with -o FILE)")
    if repository:
        name = parse_reference(repository).name
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Created(baseline_from_reports(reports, name, image_digest=digest, created_at=stamp), platforms)


def publish(created: Created, repository: str, insecure_registries: Sequence[str] = ()) -> str:
    from seawall.policy.baseline_registry import publish_baseline

    options = RegistryOptions(insecure_registries=frozenset(insecure_registries))
    with RegistryClient(options) as client:
        created.published = publish_baseline(client, parse_reference(repository), created.baseline,
                                             created.baseline.created_at)
    return created.published

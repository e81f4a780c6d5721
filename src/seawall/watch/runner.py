"""One watch tick: update the DB, read what each production repository holds, judge every promoted image's inventory
again with triage applied, keep what changed, tell the webhook.

Nothing on the way stops the tick: a feed that fails keeps its previous data (the DB update says which), a
repository that cannot be read keeps its images' last judgement, a webhook that refuses keeps its changes pending.
Each is named in the tick's errors, and the next tick tries again.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seawall.errors import SeawallError
from seawall.feeds.interface import Feed
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.model.coverage import Coverage
from seawall.model.finding import ScanReport
from seawall.model.image import ImageRef
from seawall.watch.changes import Change, FindingState, diff, key_of, state_of, states_of
from seawall.watch.notify import ImageLine, batch_document, markdown, post_batch
from seawall.watch.promoted import PromotedImage, read_repository
from seawall.watch.store import WatchedImage, WatchStore


@dataclass
class WatchOptions:
    """What `seawall watch` watches and with what: repositories, DB and feeds, triage files, webhook, cache."""

    repositories: Sequence[str]
    db: Path
    feeds: Callable[[], list[Feed]] | None = None  # None: the DB is not updated by the watch
    allowlists: Sequence[str] = ()
    vex: Sequence[str] = ()
    webhook: str | None = None
    webhook_secret: str | None = None
    cache_dir: str | None = None
    insecure_registries: Sequence[str] = ()
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)


@dataclass
class TickResult:
    """What one watch tick did: the state of the DB update, every image's line, and the errors met on the way."""

    tick_id: int
    at: str
    db_state: str  # updated | current | kept | failed | not-updated
    db_updated_at: str | None
    images: list[ImageLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def needs_action(self) -> bool:
        return any(c.get("needsAction") for image in self.images for c in image.changes)

    def markdown(self) -> str:
        db = f"built {self.db_updated_at or 'never'} ({self.db_state})"
        return markdown(self.at, db, self.images, self.errors)


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_tick(options: WatchOptions, store: WatchStore) -> TickResult:
    now = options.now()
    at = stamp(now)
    tick = TickResult(store.start_tick(at), at, "not-updated", None)
    tick.db_state = _update_db(options, tick.errors)
    try:
        from seawall.triage.allowlist import load_allowlists
        from seawall.triage.vex import load_vex_files

        allowlists, vex = load_allowlists(options.allowlists), load_vex_files(options.vex)
    except SeawallError as err:
        # Judging without the team's triage would report every allowlisted finding as newly open.
        tick.errors.append(err.one_line().removeprefix("error: "))
        _finish(store, tick, options)
        return tick
    try:
        from seawall.db.store import VulnStore

        vulns = VulnStore.open(options.db)
    except SeawallError as err:
        tick.errors.append(err.one_line().removeprefix("error: "))
        _finish(store, tick, options)
        return tick
    with vulns:
        tick.db_updated_at = vulns.meta().get("updated_at")
        registry = RegistryOptions(insecure_registries=frozenset(options.insecure_registries))
        with RegistryClient(registry) as client:
            for name in options.repositories:
                try:
                    repo = read_repository(client, name, options.cache_dir)
                except SeawallError as err:
                    tick.errors.append(f"{name}: {err.one_line().removeprefix('error: ')}")
                    continue
                for image in repo.images:
                    tick.images.append(_judge(image, vulns, allowlists, vex, now, tick, store))
                store.mark_absent(repo.name, {i.digest for i in repo.images})
    _deliver(options, store, tick)
    _finish(store, tick, options)
    return tick


def _finish(store: WatchStore, tick: TickResult, options: WatchOptions) -> None:
    changes = sum(len(i.changes) for i in tick.images)
    store.finish_tick(tick.tick_id, stamp(options.now()), db_updated_at=tick.db_updated_at, db_state=tick.db_state,
                      errors=tick.errors, changes=changes)
    for error in tick.errors:
        options.log(f"watch: {error}")


def _update_db(options: WatchOptions, errors: list[str]) -> str:
    if options.feeds is None:
        return "not-updated"
    from seawall.db.build import update_db

    try:
        report = update_db(options.db, options.feeds())
    except SeawallError as err:
        errors.append(f"DB update: {err.one_line().removeprefix('error: ')}")
        return "kept"
    except OSError as err:
        errors.append(f"DB update: {options.db}: {err.strerror}")
        return "kept"
    errors.extend(f"feed {o.name} (keeps its previous data): {o.error}" for o in report.failed)
    if report.installed:
        return "updated"
    if report.current:
        return "current"
    return "failed" if not options.db.is_file() else "kept"


def _production_report(image: PromotedImage, report: ScanReport) -> ScanReport:
    """The promoted scan as the production image: its name (for allowlist scopes) and digest."""
    ref = parse_reference(image.repository)
    prod = ImageRef(ref.registry, ref.repository, image.tags[0] if image.tags else None, image.digest)
    sbom_image = dataclasses.replace(report.sbom.image, ref=prod)
    return dataclasses.replace(report, sbom=dataclasses.replace(report.sbom, image=sbom_image))


def _judge(image: PromotedImage, vulns: Any, allowlists: Any, vex: Any, now: datetime, tick: TickResult,
           store: WatchStore) -> ImageLine:
    from seawall.match import match_sbom
    from seawall.match.coverage import compute_coverage, mark_covered
    from seawall.triage import apply_triage
    from seawall.triage.allowlist import entries_for

    line = ImageLine(image.repository, image.digest, image.tags, problem=image.problem, platform=image.platform)
    stored = store.image(image.repository, image.digest, image.platform or "")
    record = WatchedImage(
        repository=image.repository, digest=image.digest, platform=image.platform or "", tags=image.tags,
        first_seen=stored.first_seen if stored else tick.at, last_seen=tick.at,
        judged_at=stored.judged_at if stored else None, db_updated_at=stored.db_updated_at if stored else None,
        scan_digest=image.scan_digest, promoted_at=image.report.scanned_at if image.report else None,
        problem=image.problem, distro=None, packages=None, coverage=stored.coverage if stored else None,
        findings=stored.findings if stored else None,
        present=True)
    if image.report is None:
        store.save_image(record, tick.tick_id, tick.at, [])
        return line
    promoted = _production_report(image, image.report)
    sbom = promoted.sbom
    record.distro = f"{sbom.distro.id} {sbom.distro.version_id or ''}".strip() if sbom.distro else None
    record.packages = len(sbom.packages)
    try:
        coverage = compute_coverage(sbom, vulns.coverage())
        sbom = mark_covered(sbom, coverage)
        record.coverage = coverage_text(coverage)
        line.gaps = coverage.statement() or None
        current = dataclasses.replace(promoted, sbom=sbom, findings=tuple(match_sbom(sbom, vulns)),
                                      scanned_at=tick.at, db_built_at=tick.db_updated_at, coverage=coverage)
        current, _ = apply_triage(current, allowlists, vex, now=now)
    except SeawallError as err:
        line.problem = record.problem = f"cannot judge: {err.message}"
        store.save_image(record, tick.tick_id, tick.at, [])
        return line
    states = states_of(current.findings)
    expired_entries = [e for e in entries_for(current, allowlists) if e.expired(now.date())]
    expired: dict[str, str] = {}
    for finding in current.findings:
        entry = next((e for e in expired_entries if not finding.suppressed and e.matches(finding)), None)
        if entry is not None:
            expired[key_of(state_of(finding))] = (f"{entry.locator} ({entry.id}, owner {entry.owner or 'none'}), "
                                                  f"expired {entry.expires.isoformat()}")
    previous: dict[str, FindingState] = record.findings if record.findings is not None else \
        states_of(promoted.findings)
    changes: list[Change] = diff(previous, states, expired)
    record.findings, record.judged_at, record.db_updated_at = states, tick.at, tick.db_updated_at
    store.save_image(record, tick.tick_id, tick.at, changes)
    line.changes = [c.to_data() for c in changes]
    line.open_by_severity = _open_counts(states)
    return line


def coverage_text(coverage: Coverage) -> str:
    """What the DB could check for one image, in words (unknown is never clean: the gaps are named)."""
    dates = sorted(n.data_date for n in coverage.namespaces if n.covered and n.data_date)
    text = f"{coverage.covered_packages}/{coverage.packages} packages covered"
    if dates:
        text += f", data as of {dates[0][:10]} or newer"
    gaps = coverage.statement()
    return f"{text}; {gaps}" if gaps else text


def _open_counts(states: dict[str, FindingState]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state in states.values():
        if state.open:
            counts[state.severity] = counts.get(state.severity, 0) + 1
    return counts


def _deliver(options: WatchOptions, store: WatchStore, tick: TickResult) -> None:
    """Every change not yet delivered (this tick's, and any an earlier tick could not send), one POST per image."""
    if not options.webhook:
        return
    batches: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in store.changes(undelivered=True, limit=100_000):
        batches.setdefault((row["repository"], row["digest"], row["platform"] or ""), []).append(row)
    for (repository, digest, platform), rows in batches.items():
        document = batch_document(repository, digest, rows[-1]["tags"], [r["data"] for r in rows],
                                  sent_at=stamp(options.now()), db_updated_at=tick.db_updated_at,
                                  platform=platform or None)
        try:
            post_batch(options.webhook, document, secret=options.webhook_secret)
        except SeawallError as err:
            tick.errors.append(err.one_line().removeprefix("error: "))
            return  # the receiver is down: the rest waits for the next tick too
        store.mark_delivered([r["id"] for r in rows])


def secret_from_env() -> str | None:
    return os.environ.get("SEAWALL_WEBHOOK_SECRET") or None

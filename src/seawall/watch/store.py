"""The watch's state (SQLAlchemy Core, like the fleet's results store): a SQLite file by default, PostgreSQL for
teams. One row per tick, one per watched image with its last judgement, one per change found.

Each image's new judgement and the changes it brought are committed together, so a watch killed mid-tick finds on
restart every image either fully judged or as it was (and judges it again). Changes carry a delivery flag: the
webhook gets every undelivered change on the next tick, so a receiver that was down misses nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from seawall.errors import StoreError
from seawall.fleet.store import _safe, open_engine
from seawall.paths import cache_dir as default_cache_dir
from seawall.watch.changes import Change, FindingState

SCHEMA_VERSION = 1
metadata = MetaData()

meta_table = Table("watch_meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text))
ticks_table = Table(
    "watch_ticks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(32)), Column("finished_at", String(32)),
    Column("db_updated_at", String(32)), Column("db_state", String(16)),  # updated | current | kept | failed
    Column("errors", Text),  # JSON [message, …]: feeds and repositories that could not be read this tick
    Column("changes", Integer),
)
images_table = Table(
    "watch_images", metadata,
    Column("repository", String(512), primary_key=True), Column("digest", String(160), primary_key=True),
    Column("platform", String(64), primary_key=True),  # of an index's child ("" for a single-platform image)
    Column("tags", Text),  # JSON [tag, …]
    Column("first_seen", String(32)), Column("last_seen", String(32)), Column("judged_at", String(32)),
    Column("db_updated_at", String(32)), Column("scan_digest", String(160)), Column("promoted_at", String(32)),
    Column("problem", Text),  # why it could not be judged (unjudged is never clean)
    Column("distro", String(128)), Column("packages", Integer),
    Column("coverage", Text),  # what the DB could check, in words: covered packages, the data's age, the gaps
    Column("findings", Text),  # JSON {key: FindingState}
    Column("present", Boolean),  # still tagged in the repository
)
changes_table = Table(
    "watch_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tick_id", Integer, index=True), Column("at", String(32)),
    Column("repository", String(512)), Column("digest", String(160)), Column("platform", String(64)),
    Column("tags", Text), Column("kind", String(32)), Column("vuln_id", String(128)), Column("package", String(512)),
    Column("severity", String(16)), Column("data", Text),  # JSON: Change.to_data()
    Column("delivered", Boolean),
)


@dataclass
class WatchedImage:
    """One image the watch follows, as the store keeps it: when seen and judged, against which DB, its findings."""

    repository: str
    digest: str
    platform: str  # "" for a single-platform image
    tags: list[str]
    first_seen: str
    last_seen: str
    judged_at: str | None
    db_updated_at: str | None
    scan_digest: str | None
    promoted_at: str | None
    problem: str | None
    distro: str | None
    packages: int | None
    coverage: str | None
    findings: dict[str, FindingState] | None  # None: never judged
    present: bool


def default_url(cache: str | os.PathLike[str] | None = None) -> str:
    return f"sqlite:///{default_cache_dir(cache) / 'watch' / 'state.db'}"


class WatchStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_engine(url, "watch store", metadata, self._check_schema)

    @classmethod
    def open(cls, url: str | None = None, cache: str | os.PathLike[str] | None = None) -> WatchStore:
        return cls(url or default_url(cache))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> WatchStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self, engine: Engine) -> None:
        with engine.begin() as conn:
            row = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(insert(meta_table).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif row[0] != str(SCHEMA_VERSION):
                raise StoreError(f"watch store {_safe(self.url)} has schema {row[0]}, this seawall uses "
                                 f"{SCHEMA_VERSION}", remedy="a seawall release matching the store, or a new store")

    # -- ticks -----------------------------------------------------------------------------------------------

    def start_tick(self, at: str) -> int:
        with self.engine.begin() as conn:
            key = conn.execute(insert(ticks_table).values(started_at=at, changes=0)).inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_tick(self, tick_id: int, at: str, *, db_updated_at: str | None, db_state: str, errors: list[str],
                    changes: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ticks_table).where(ticks_table.c.id == tick_id).values(
                finished_at=at, db_updated_at=db_updated_at, db_state=db_state, errors=json.dumps(errors),
                changes=changes))

    def ticks(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ticks_table).order_by(ticks_table.c.id.desc()).limit(limit)).all()
        return [{**row._mapping, "errors": json.loads(row.errors or "[]")} for row in rows]

    # -- images ----------------------------------------------------------------------------------------------

    def images(self, repository: str | None = None) -> list[WatchedImage]:
        query = select(images_table).order_by(images_table.c.repository, images_table.c.digest,
                                              images_table.c.platform)
        if repository is not None:
            query = query.where(images_table.c.repository == repository)
        with self.engine.connect() as conn:
            return [_image(row) for row in conn.execute(query)]

    def image(self, repository: str, digest: str, platform: str = "") -> WatchedImage | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(images_table).where(self._key(repository, digest, platform))).first()
        return _image(row) if row is not None else None

    @staticmethod
    def _key(repository: str, digest: str, platform: str) -> Any:
        return and_(images_table.c.repository == repository, images_table.c.digest == digest,
                    images_table.c.platform == platform)

    def save_image(self, image: WatchedImage, tick_id: int, at: str, changes: list[Change]) -> None:
        """The image's new judgement and the changes it brought, in one transaction."""
        values = {k: v for k, v in image.__dict__.items() if k not in ("repository", "digest", "platform")}
        values["tags"] = json.dumps(image.tags)
        values["findings"] = None if image.findings is None else json.dumps(
            {key: state.to_data() for key, state in image.findings.items()}, sort_keys=True)
        with self.engine.begin() as conn:
            key = self._key(image.repository, image.digest, image.platform)
            if conn.execute(select(images_table.c.digest).where(key)).first():
                conn.execute(update(images_table).where(key).values(**values))
            else:
                conn.execute(insert(images_table).values(repository=image.repository, digest=image.digest,
                                                         platform=image.platform, **values))
            for change in changes:
                conn.execute(insert(changes_table).values(
                    tick_id=tick_id, at=at, repository=image.repository, digest=image.digest,
                    platform=image.platform, tags=json.dumps(image.tags), kind=change.kind, vuln_id=change.finding.id,
                    package=change.finding.package, severity=change.finding.severity,
                    data=json.dumps(change.to_data(), sort_keys=True), delivered=False))

    def mark_absent(self, repository: str, present: set[str]) -> None:
        """Images no longer tagged in `repository` stay in the history but leave the status page's list."""
        with self.engine.begin() as conn:
            conn.execute(update(images_table).where(and_(images_table.c.repository == repository,
                                                         images_table.c.digest.not_in(present) if present else
                                                         images_table.c.digest.is_not(None))).values(present=False))

    # -- changes ---------------------------------------------------------------------------------------------

    def changes(self, *, undelivered: bool = False, limit: int = 1000) -> list[dict[str, Any]]:
        query = select(changes_table).order_by(changes_table.c.id.desc()).limit(limit)
        if undelivered:
            query = query.where(changes_table.c.delivered.is_(False))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [{**row._mapping, "tags": json.loads(row.tags or "[]"), "data": json.loads(row.data or "{}")}
                for row in reversed(rows)]

    def mark_delivered(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(changes_table).where(changes_table.c.id.in_(ids)).values(delivered=True))


def _image(row: Any) -> WatchedImage:
    data = dict(row._mapping)
    data["tags"] = json.loads(data["tags"] or "[]")
    findings = data["findings"]
    data["findings"] = None if findings is None else {
        key: FindingState.from_data(value) for key, value in json.loads(findings).items()}
    data["present"] = bool(data["present"])
    return WatchedImage(**data)

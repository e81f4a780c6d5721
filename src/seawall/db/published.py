"""Published DBs: on first use (or when a pulled DB has aged) take the newest prebuilt DB from the first DB
repository that answers, as Trivy does with trivy-db; build from the feeds only when none is configured or none
answers."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from seawall.errors import AuthError, DatabaseError, InputError, NetworkError

if TYPE_CHECKING:
    from seawall.db.oci import PulledDb

log = logging.getLogger(__name__)

# Published every 6 hours by the project's `db` workflow (.github/workflows/db.yml).
DEFAULT_REPOSITORIES = ("ghcr.io/seawall/seawall-db",)
REPOSITORY_ENV = "SEAWALL_DB_REPOSITORY"
MAX_AGE_ENV = "SEAWALL_DB_MAX_AGE"
DEFAULT_MAX_AGE_S = 24 * 3600.0

# What makes a repository worth skipping for the next one: it is down, busy, refuses us, lacks the artifact or has
# one of another schema. A digest mismatch is not among them: tampering stops the pull (exit 6).
_FALL_BACK = (NetworkError, AuthError, InputError, DatabaseError)


def repositories(explicit: Sequence[str] = ()) -> tuple[str, ...]:
    """`--db-repository` values, else SEAWALL_DB_REPOSITORY (comma-separated; empty: none), else the default."""
    if explicit:
        return tuple(r.strip() for r in explicit if r.strip())
    env = os.environ.get(REPOSITORY_ENV)
    if env is not None:
        return tuple(r.strip() for r in env.split(",") if r.strip())
    return DEFAULT_REPOSITORIES


def max_age_seconds() -> float | None:
    """SEAWALL_DB_MAX_AGE (e.g. 12h; 0 or `off`: never refresh a pulled DB); default 24 hours."""
    text = os.environ.get(MAX_AGE_ENV)
    if text is None:
        return DEFAULT_MAX_AGE_S
    if text.strip().lower() in ("0", "off", "never", ""):
        return None
    from seawall.durations import parse_duration

    return parse_duration(text)


@dataclass(frozen=True)
class Attempt:
    """A DB repository that did not answer with a usable DB, and the one-line error it gave."""

    repository: str
    error: str


def pull_newest(repos: Sequence[str], db: Path, *, say: bool = True) -> tuple[PulledDb | None, list[Attempt]]:
    """Pull from the first repository that answers; (PulledDb or None, the repositories that did not answer).

    With `say`, a line once a repository answers (naming those skipped before it); none when none answers, so that
    offline the caller's one error line is all there is."""
    from seawall.db.oci import pull_db
    from seawall.image.registry.client import RegistryOptions
    from seawall.image.registry.ratelimit import Backoff

    failed: list[Attempt] = []
    # One retry at most per repository: the next repository is the better retry.
    options = RegistryOptions(backoff=Backoff(attempts=1, max_wait=5.0), timeout=20.0)
    for repo in repos:

        def started(size: int, repo: str = repo) -> None:
            if say:
                for attempt in failed:
                    _say(f"{attempt.repository} did not answer with a DB: {attempt.error}")
                _say(f"pulling the vulnerability DB from {repo} ({size / 1e6:.1f} MB)")

        try:
            pulled = pull_db(repo, db, options=options, started=started)
        except _FALL_BACK as err:
            failed.append(Attempt(repo, err.message))
            continue
        return pulled, failed
    return None, failed


def refresh_due(meta: dict[str, str]) -> bool:
    """A DB that came from a repository and is older than SEAWALL_DB_MAX_AGE is due for a newer pull; a DB the user
    built or imported is theirs to update."""
    limit = max_age_seconds()
    if limit is None or meta.get("origin") != "repository":
        return False
    try:
        when = datetime.fromisoformat(str(meta.get("updated_at")).replace("Z", "+00:00"))
    except ValueError:
        return True
    return (datetime.now(UTC) - when).total_seconds() > limit


def db_origin(meta: dict[str, str]) -> dict[str, str | None]:
    """Where the DB came from, as its meta rows record it: `repository` (with reference and manifest digest),
    `bundle` (an imported file), or `feeds` (built here; a pull it was based on is kept as its base)."""
    return {"kind": meta.get("origin", "feeds"), "reference": meta.get("origin_reference"),
            "digest": meta.get("origin_digest"), "pulled_at": meta.get("pulled_at")}


def origin_text(meta: dict[str, str]) -> str:
    origin = db_origin(meta)
    pulled = f"{origin['reference']}@{origin['digest']}" if origin["digest"] else str(origin["reference"])
    if origin["kind"] == "repository":
        return f"pulled from {pulled} at {origin['pulled_at']}"
    if origin["kind"] == "bundle":
        return f"imported from {origin['reference']} at {origin['pulled_at']}"
    base = f" (based on {pulled}, pulled at {origin['pulled_at']})" if origin["reference"] else ""
    return f"built from the feeds{base}"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)

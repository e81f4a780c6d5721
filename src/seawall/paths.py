"""Where seawall keeps its cache and vulnerability DB (XDG base directories, overridable)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """SEAWALL_CACHE_DIR, else $XDG_CACHE_HOME/seawall, else ~/.cache/seawall."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("SEAWALL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "seawall"


def blob_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return cache_dir(override) / "blobs"


def layer_cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    return cache_dir(override) / "layers"


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The vulnerability DB: SEAWALL_DB, else <cache>/db/seawall.db."""
    env = os.environ.get("SEAWALL_DB")
    if env and not override:
        return Path(env).expanduser()
    return cache_dir(override) / "db" / "seawall.db"

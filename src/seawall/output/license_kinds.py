"""How cyclonedx-python-lib classifies each licence string (SPDX id, SPDX expression or free name), remembered in
the cache directory so a re-scan need not load the library's SPDX tables (a fifth of a warm run's start-up).

The memo is keyed by seawall's version and by the size and modification time of the library files that decide the
answer (cyclonedx's SPDX id list and its `spdx` module, license-expression's index and its module): an upgrade of
either library rewrites them and the memo starts over. Only the CLI turns it on (`remember_in`), with the cache
directory the user chose; `--no-cache` leaves it off.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from seawall import __version__

FILE = "license-kinds-v1.json"
MAX_ENTRIES = 20_000  # licence strings come from images: the memo must not grow without bound
MAX_VALUE = 512  # longer strings are classified every time, never written
# (package, file inside it) whose bytes decide the classification
_DECIDING = (("cyclonedx", "spdx.py"), ("cyclonedx", "schema/_res/spdx.SNAPSHOT.schema.json"),
             ("license_expression", "__init__.py"), ("license_expression", "data/scancode-licensedb-index.json"))

_memo: LicenseKinds | None = None


def library_key() -> list[Any] | None:
    """seawall's version and (file, size, mtime) of each deciding file; None when one cannot be found."""
    key: list[Any] = [__version__]
    for package, name in _DECIDING:
        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / name
        try:
            stat = path.stat()
        except OSError:
            return None
        key.append([f"{package}/{name}", stat.st_size, stat.st_mtime_ns])
    return key


class LicenseKinds:
    """The memo file under `root`: read on first use, written back (atomically) when new strings were classified."""

    def __init__(self, root: Path) -> None:
        self.path = root / FILE
        self.key: list[Any] | None = None
        self.kinds: dict[str, tuple[str, str]] = {}
        self.dirty = self.loaded = False

    def _load(self) -> None:
        self.loaded = True  # on first use: a run that writes no licence reads nothing
        self.key = library_key()
        if self.key is not None:
            self.kinds = self._read()

    def _read(self) -> dict[str, tuple[str, str]]:
        try:
            with self.path.open("rb") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}  # missing or damaged: classified afresh
        if not isinstance(data, dict) or data.get("key") != self.key or not isinstance(data.get("kinds"), dict):
            return {}
        kinds: dict[str, tuple[str, str]] = {}
        for value, pair in list(data["kinds"].items())[:MAX_ENTRIES]:
            if (isinstance(pair, list) and len(pair) == 2 and pair[0] in ("id", "expression", "name")
                    and isinstance(pair[1], str)):
                kinds[value] = (pair[0], pair[1])
        return kinds

    def get(self, value: str) -> tuple[str, str] | None:
        if not self.loaded:
            self._load()
        return self.kinds.get(value)

    def put(self, value: str, kind: tuple[str, str]) -> None:
        if self.key is not None and len(value) <= MAX_VALUE and len(self.kinds) < MAX_ENTRIES:
            self.kinds[value] = kind
            self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.key is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        except OSError:
            return  # a read-only cache only costs the next run its speed
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": self.key, "kinds": self.kinds}, handle, separators=(",", ":"))
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def remember_in(cache_dir: str | os.PathLike[str] | None) -> None:
    """Keep licence classifications in this cache directory (None: the default one) from now on."""
    global _memo
    from seawall import paths

    _memo = LicenseKinds(paths.cache_dir(cache_dir))


def memo() -> LicenseKinds | None:
    return _memo

"""Per-layer results, keyed by (layer diff_id, cataloger name, cataloger version), so a known layer is never read.

Entries are JSON (never pickle: a cache directory may be shared), written to a temp file and renamed into place.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawall.model.serialize import from_data, to_data

if TYPE_CHECKING:
    from seawall.catalog.interface import CatalogResult

# Bumped when what the core records about a layer (not what catalogers find) changes shape.
FACTS_VERSION = 1
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")
_IMAGE_KEY = re.compile(r"[0-9a-f]{64}\Z")
IMAGES = "images"  # whole images' merged inventories (inventory/imagecache.py), beside the layers' entries


def is_layer_digest(value: str | None) -> bool:
    return bool(_DIGEST.match(value or ""))


@dataclass(frozen=True)
class LayerSummary:
    """What the core itself records about a layer, beside the catalogers' results."""

    whiteouts: tuple[str, ...]
    opaque_dirs: tuple[str, ...]
    files: dict[str, bytes]  # small files the core asked for (os-release and friends)
    entries: int = 0
    uncompressed_size: int = 0


_SUMMARY = f"layer-v{FACTS_VERSION}.json"


def _result(name: str, version: int) -> str:
    return f"{name}-v{version}.json"


def _analysis(name: str, version: int) -> str:
    return f"analysis-{name}-v{version}.json"


class LayerCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, diff_id: str) -> Path | None:
        if not _DIGEST.match(diff_id or ""):
            return None  # only content-addressed layers are cached; a dir: source has none
        return self.root / "sha256" / diff_id.split(":", 1)[1]

    def _read(self, path: Path) -> Any | None:
        try:
            with path.open("rb") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None  # missing or damaged: treat as a miss and rebuild

    def _write(self, path: Path, data: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: json.dump always runs the pure-Python encoder, several times slower than C's.
                handle.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def info(self) -> tuple[int, int]:
        """(layers with cached inventories, bytes they take)."""
        layers = size = 0
        base = self.root / "sha256"
        if not base.is_dir():
            return 0, 0
        for layer_dir in base.iterdir():
            files = [f for f in layer_dir.iterdir() if f.is_file()] if layer_dir.is_dir() else []
            if files:
                layers += 1
                size += sum(f.stat().st_size for f in files)
        return layers, size

    def image_info(self) -> tuple[int, int]:
        """(whole-image entries: merged inventories and the scanners' results kept beside them, bytes they take)."""
        images = self.root / IMAGES
        files = [f for f in images.iterdir() if f.is_file()] if images.is_dir() else []
        return len(files), sum(f.stat().st_size for f in files)

    def prune(self, older_than: float | None = None) -> tuple[int, int]:
        """Drop layers' entries not written for `older_than` seconds (all when None): (layers removed, bytes)."""
        import shutil
        import time

        removed = freed = 0
        base = self.root / "sha256"
        cutoff = None if older_than is None else time.time() - older_than
        images = self.root / IMAGES
        for entry in images.iterdir() if images.is_dir() else ():
            stat = entry.stat()
            if entry.is_file() and (cutoff is None or stat.st_mtime < cutoff):
                entry.unlink(missing_ok=True)
                freed += stat.st_size
        if not base.is_dir():
            return 0, freed
        for layer_dir in base.iterdir():
            files = [f for f in layer_dir.iterdir() if f.is_file()] if layer_dir.is_dir() else []
            newest = max((f.stat().st_mtime for f in files), default=0.0)
            if cutoff is not None and newest >= cutoff:
                continue
            freed += sum(f.stat().st_size for f in files)
            shutil.rmtree(layer_dir, ignore_errors=True)
            (self.root / "locks" / f"{layer_dir.name}.lock").unlink(missing_ok=True)
            removed += 1
        return removed, freed

    def get_image(self, key: str) -> Any | None:
        """A whole image's merged inventory as stored, or None."""
        return self._read(self.root / IMAGES / f"{key}.json") if _IMAGE_KEY.match(key) else None

    def put_image(self, key: str, data: Any) -> None:
        if _IMAGE_KEY.match(key):
            self._write(self.root / IMAGES / f"{key}.json", data)

    def complete(self, diff_id: str, results: Iterable[tuple[str, int]], analyses: Iterable[tuple[str, int]]) -> bool:
        """Whether the layer's summary and the entry of each (name, version) result and analysis are on disk (no
        read)."""
        base = self._dir(diff_id)
        names = (_SUMMARY, *(_result(n, v) for n, v in results), *(_analysis(n, v) for n, v in analyses))
        return base is not None and all((base / name).is_file() for name in names)

    @contextmanager
    def claim(self, diff_ids: Iterable[str], *, wait: bool = True) -> Iterator[set[str]]:
        """Hold these layers while reading them, so another process (a fleet's other worker, a CI job on a shared
        cache) that wants one waits and then finds it cached instead of reading it a second time. Yields the
        layers another process holds: none when `wait` (locks are taken in digest order, so two waiting claims
        never wait on each other), else those it could not take at once. A cache directory where locks cannot be
        made is read without them."""
        wanted = sorted({d for d in diff_ids if _DIGEST.match(d or "")})
        busy: set[str] = set()
        with ExitStack() as held:
            for diff_id in wanted:
                try:
                    (self.root / "locks").mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.root / "locks" / f"{diff_id.split(':', 1)[1]}.lock",
                                 os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                except OSError:
                    break
                held.callback(os.close, fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    busy.add(diff_id)
                except OSError:
                    break
            yield busy

    def get_result(self, diff_id: str, name: str, version: int) -> tuple[frozenset[str], CatalogResult] | None:
        base = self._dir(diff_id)
        if base is None:
            return None
        data = self._read(base / _result(name, version))
        if not isinstance(data, dict):
            return None
        from seawall.catalog.interface import CatalogResult

        try:
            return frozenset(data["paths"]), from_data(CatalogResult, data["result"])
        except (KeyError, TypeError, ValueError):
            return None

    def put_result(self, diff_id: str, name: str, version: int, paths: frozenset[str], result: CatalogResult) -> None:
        base = self._dir(diff_id)
        if base is not None:
            self._write(base / _result(name, version), {"paths": sorted(paths), "result": to_data(result)})

    def get_analysis(self, diff_id: str, name: str, version: int) -> dict[str, Any] | list[Any] | None:
        """A layer analyzer's JSON result (an object or an array), or None when not cached."""
        base = self._dir(diff_id)
        if base is None:
            return None
        data = self._read(base / _analysis(name, version))
        return data if isinstance(data, dict | list) else None

    def put_analysis(self, diff_id: str, name: str, version: int, result: dict[str, Any] | list[Any]) -> None:
        base = self._dir(diff_id)
        if base is not None:
            self._write(base / _analysis(name, version), result)

    def get_summary(self, diff_id: str) -> LayerSummary | None:
        base = self._dir(diff_id)
        if base is None:
            return None
        data = self._read(base / _SUMMARY)
        if not isinstance(data, dict):
            return None
        try:
            return LayerSummary(
                whiteouts=tuple(data["whiteouts"]),
                opaque_dirs=tuple(data["opaque_dirs"]),
                files={path: base64.b64decode(blob) for path, blob in data["files"].items()},
                entries=int(data.get("entries", 0)),
                uncompressed_size=int(data.get("uncompressed_size", 0)),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def put_summary(self, diff_id: str, summary: LayerSummary) -> None:
        base = self._dir(diff_id)
        if base is None:
            return
        self._write(
            base / _SUMMARY,
            {
                "whiteouts": list(summary.whiteouts),
                "opaque_dirs": list(summary.opaque_dirs),
                "files": {path: base64.b64encode(blob).decode() for path, blob in summary.files.items()},
                "entries": summary.entries,
                "uncompressed_size": summary.uncompressed_size,
            },
        )

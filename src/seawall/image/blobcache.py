"""Content-addressed blob cache: `<root>/<algorithm>/<hex>`, verified while written, renamed into place atomically.

Several processes may fetch the same blob at once: each writes its own temporary file in the same directory and
links it into place; the first complete, verified file wins and the others are discarded. A reader never sees a
partial file because nothing is ever written under the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from seawall import paths
from seawall.blobs.readers import DIGEST_RE
from seawall.errors import IntegrityError, SeawallError

CHUNK = 1024 * 1024
_TMP_PREFIX = ".tmp-"
_STALE_TMP_SECONDS = 3600.0


@dataclass(frozen=True)
class CacheInfo:
    """What the blob cache holds: where it is, how many blobs, how many bytes."""

    root: Path
    count: int
    bytes: int


@dataclass(frozen=True)
class PruneResult:
    """What a prune of the blob cache did: blobs removed and bytes freed, blobs and bytes kept."""

    removed: int
    freed_bytes: int
    kept: int
    kept_bytes: int


def new_hasher(digest: str) -> hashlib._Hash:
    """A hashlib object for the algorithm named in `digest` (sha256 or sha512)."""
    if not DIGEST_RE.fullmatch(digest):
        raise IntegrityError(f"unsupported or malformed digest {digest!r}")
    return hashlib.new(digest.split(":", 1)[0])


def _chunks(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if read is None:
        yield from stream  # type: ignore[misc]
        return
    while chunk := read(CHUNK):
        yield chunk


class BlobCache:
    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else paths.blob_dir()

    def _final(self, digest: str) -> Path:
        if not DIGEST_RE.fullmatch(digest):
            raise IntegrityError(f"unsupported or malformed digest {digest!r}")
        algorithm, hexpart = digest.split(":", 1)
        return self.root / algorithm / hexpart

    def path(self, digest: str, size: int | None = None) -> Path | None:
        """The cached file for `digest`, or None. A file whose size differs from `size` is corrupt: removed."""
        final = self._final(digest)
        try:
            st = final.stat()
        except FileNotFoundError:
            return None
        if size is not None and st.st_size != size:
            self._discard(final)
            return None
        with contextlib.suppress(OSError):
            os.utime(final)  # last use, for prune; atime is unreliable on noatime mounts
        return final

    def put_stream(self, digest: str, stream: BinaryIO | Iterable[bytes], expected_size: int | None) -> Path:
        """Write `stream` as blob `digest`, verifying size and hash on the way; return the cached path.

        Raises `IntegrityError` (and caches nothing) when the stream is longer or shorter than `expected_size`
        or its digest differs.
        """
        final = self._final(digest)
        hasher = new_hasher(digest)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=final.parent)
        except OSError as err:
            raise cache_error(final.parent, err) from None
        tmp = Path(tmp_name)
        try:
            written = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(stream):
                    written += len(chunk)
                    if expected_size is not None and written > expected_size:
                        raise IntegrityError(f"blob {digest} is larger than the {expected_size} bytes promised",
                                             remedy="again, or checking the image source; the blob was not cached")
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if expected_size is not None and written != expected_size:
                raise IntegrityError(f"blob {digest} is truncated: {written} of {expected_size} bytes",
                                     remedy="again; the blob was not cached")
            actual = f"{digest.split(':', 1)[0]}:{hasher.hexdigest()}"
            if actual != digest:
                raise IntegrityError(f"blob digest mismatch: expected {digest}, got {actual}",
                                     remedy="again, or checking the image source; the blob was not cached")
            self._link_into_place(tmp, final, written)
        except OSError as err:
            raise cache_error(final.parent, err) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return final

    def put_bytes(self, digest: str, data: bytes) -> Path:
        return self.put_stream(digest, [data], len(data))

    @staticmethod
    def _link_into_place(tmp: Path, final: Path, size: int) -> None:
        try:
            os.link(tmp, final)  # fails if another process already placed it: theirs is verified too
        except FileExistsError:
            if final.stat().st_size != size:  # a damaged entry: ours replaces it atomically
                os.replace(tmp, final)
        except OSError:
            os.replace(tmp, final)  # filesystems without hard links
        _fsync_dir(final.parent)

    def verify(self, digest: str) -> bool:
        """Re-hash the cached blob; a corrupt file is removed. False when absent or corrupt."""
        final = self._final(digest)
        hasher = new_hasher(digest)
        try:
            with final.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        if f"{digest.split(':', 1)[0]}:{hasher.hexdigest()}" != digest:
            self._discard(final)
            return False
        return True

    def remove(self, digest: str) -> None:
        self._discard(self._final(digest))

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def _entries(self) -> Iterator[tuple[Path, os.stat_result]]:
        if not self.root.is_dir():
            return
        for algo_dir in self.root.iterdir():
            if not algo_dir.is_dir():
                continue
            for entry in algo_dir.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    yield entry, entry.stat()

    def info(self) -> CacheInfo:
        count = total = 0
        for entry, st in self._entries():
            if not entry.name.startswith(_TMP_PREFIX):
                count += 1
                total += st.st_size
        return CacheInfo(self.root, count, total)

    def prune(self, older_than: float | None = None, max_bytes: int | None = None,
              now: float | None = None) -> PruneResult:
        """Remove blobs unused for `older_than` seconds, then the least recently used until under `max_bytes`.

        With neither bound, everything goes. Abandoned temporary files older than an hour always go.
        """
        now = time.time() if now is None else now
        removed = freed = 0
        kept: list[tuple[float, Path, int]] = []
        for entry, st in self._entries():
            last_use = max(st.st_atime, st.st_mtime)
            if entry.name.startswith(_TMP_PREFIX):
                if now - last_use > _STALE_TMP_SECONDS:
                    self._discard(entry)
                continue
            if (older_than is None and max_bytes is None) or (older_than is not None and now - last_use > older_than):
                self._discard(entry)
                removed += 1
                freed += st.st_size
            else:
                kept.append((last_use, entry, st.st_size))
        kept_bytes = sum(size for _, _, size in kept)
        kept_count = len(kept)
        if max_bytes is not None and kept_bytes > max_bytes:
            for _, entry, size in sorted(kept):
                if kept_bytes <= max_bytes:
                    break
                self._discard(entry)
                removed += 1
                freed += size
                kept_bytes -= size
                kept_count -= 1
        return PruneResult(removed, freed, kept_count, kept_bytes)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def cache_error(path: Path, err: OSError) -> SeawallError:
    return SeawallError(f"cannot write the blob cache at {path}: {err.strerror or err}",
                        remedy="freeing disk space or pointing --cache-dir somewhere writable")

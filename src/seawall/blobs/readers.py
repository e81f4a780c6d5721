"""Reading blobs safely: byte ranges of local files, a reader that checks digest and size while streaming, the
compression magic numbers, the digest syntax, and archive member names that cannot leave the root."""

from __future__ import annotations

import hashlib
import io
import os
import re
from pathlib import Path
from typing import BinaryIO

from seawall.blobs.layerfile import LayerFile
from seawall.errors import IntegrityError

DIGEST_RE = re.compile(r"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})")
CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def normalize_path(name: str) -> str:
    """An archive member name as an absolute path that cannot leave the root: `..` stops at `/`."""
    clean = name[2:] if name.startswith("./") else name
    if clean.endswith("/"):
        clean = clean[:-1]
    # Most names are already clean (no empty, `.` or `..` segment): one scan of the string instead of a split.
    if clean and clean[0] not in "/." and clean[-1] != "/" and "//" not in clean and "/." not in clean:
        return "/" + clean
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


class _RangeReader(io.RawIOBase):
    """Bytes [offset, offset+size) of a file, read with os.pread so several readers can share nothing."""

    def __init__(self, path: Path, offset: int, size: int) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._pos = offset
        self._end = offset + size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._end - self._pos)
        if n <= 0:
            return 0
        got = os.preadv(self._fd, [memoryview(buffer)[:n]], self._pos)
        self._pos += got
        return got

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def open_range(layer_file: LayerFile) -> BinaryIO:
    return io.BufferedReader(_RangeReader(layer_file.path, layer_file.offset, layer_file.size), CHUNK)


class DigestReader(io.RawIOBase):
    """Passes bytes through while hashing and counting them; `finish()` checks digest and size."""

    def __init__(self, stream: BinaryIO, digest: str | None, size: int | None, what: str) -> None:
        self._stream = stream
        self._digest = digest
        self._size = size
        self._what = what
        self._hash = hashlib.new(digest.split(":", 1)[0]) if digest else None
        self.count = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._stream.readinto(buffer) or 0  # type: ignore[attr-defined]
        if not n and len(buffer) and not self._checked:
            self._check()  # the end of the stream is where the digest is known: check it before saying EOF
        self.count += n
        if self._hash is not None:
            self._hash.update(memoryview(buffer)[:n])
        if self._size is not None and self.count > self._size:
            raise IntegrityError(f"{self._what}: blob is larger than the {self._size} bytes the manifest declares")
        return n

    def finish(self) -> None:
        while self.read(CHUNK):
            pass
        self._check()

    def _check(self) -> None:
        self._checked = True
        if self._size is not None and self.count != self._size:
            raise IntegrityError(f"{self._what}: blob is truncated: {self.count} of {self._size} bytes",
                                 remedy="fetching or exporting the image again")
        if self._hash is not None and self._digest and f"{self._digest.split(':')[0]}:{self._hash.hexdigest()}" \
                != self._digest:
            raise IntegrityError(f"{self._what}: blob content does not match its digest {self._digest}",
                                 remedy="fetching or exporting the image again; the blob is corrupt "
                                        "or was tampered with")

    def close(self) -> None:
        self._stream.close()
        super().close()

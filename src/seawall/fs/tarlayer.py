"""A safe streaming reader of one layer blob: decompress, verify, parse tar headers, bound everything.

The blob's digest (and, when asked, the diff_id of the uncompressed tar) is checked while streaming; a mismatch,
a truncated stream, a corrupt header or an exceeded bound raises `IntegrityError` — never a short result.
Member names are normalised inside the image root, so `../../etc/passwd` and `/etc/passwd` both name `/etc/passwd`.

The tar headers are parsed by hand rather than with `tarfile` in stream mode. Measured on a Debian bookworm
minbase layer (8,743 entries, 170 MB), over the same decompressed stream: 0.17 s against 0.21 s plain and 0.36 s
against 0.47 s gzip — faster because tarfile builds a TarInfo per member and copies data in 10 KiB records — and
it keeps every bound and the truncation check in one place (tarfile's stream mode takes a short read inside member
data for the end of the archive). ustar, GNU long names/links and pax (per-file and global) headers are handled.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from seawall.blobs.layerfile import LayerFile
from seawall.blobs.readers import CHUNK, DigestReader, normalize_path, open_range
from seawall.errors import IntegrityError
from seawall.fs.layerstream import DeferredHash, HashThread, Inflater, decompressor

FILE, DIR, SYMLINK, HARDLINK, CHAR, BLOCK, FIFO, OTHER = (
    "file", "dir", "symlink", "hardlink", "char", "block", "fifo", "other")
_TYPES = {b"0": FILE, b"\0": FILE, b"7": FILE, b"5": DIR, b"2": SYMLINK, b"1": HARDLINK, b"3": CHAR, b"4": BLOCK,
          b"6": FIFO, b"S": FILE}
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

BLOCK_SIZE = 512
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_MAX_META = 1024 * 1024  # a pax or GNU long-name record larger than this is hostile
_PAX_KEYS = frozenset({b"path", b"linkpath", b"size", b"uid", b"gid"})  # the pax keys an entry is built from


@dataclass(frozen=True)
class LayerLimits:
    """Bounds on one layer; the defaults fit any real image and stop decompression bombs."""

    max_uncompressed: int = int(os.environ.get("SEAWALL_MAX_LAYER_BYTES", 32 * 1024**3))
    max_entries: int = 2_000_000
    max_file_read: int = 1024**3


_LINKS = (b"1", b"2")  # hard and symbolic links: the only entries whose linkname field is read


class TarEntry(NamedTuple):  # a tuple, not a frozen dataclass: built once per entry, three times faster
    path: str  # absolute, normalised, never outside the root
    type: str  # file | dir | symlink | hardlink | char | block | fifo | other
    size: int
    mode: int  # permission bits (and setuid/setgid/sticky), no file-type bits
    linkname: str  # symlink target as written; hardlink target normalised like `path`
    uid: int
    gid: int
    mtime: int


_new_entry = tuple.__new__


class TarLayerReader:
    """Iterate the entries of one layer blob; read the content of the current entry when wanted.

    Usage: `for entry in reader: if want(entry): data = reader.read()`; then `reader.finish()` (the iterator
    calls it at the end) drains the stream and checks digests. Always `close()` (or use `with`).
    """

    def __init__(self, stream: BinaryIO, *, digest: str | None, size: int | None = None,
                 diff_id: str | None = None, limits: LayerLimits | None = None, what: str = "layer") -> None:
        self.what = what
        self.limits = limits or LayerLimits()
        self._hashes = HashThread()
        # The blob digest is hashed where the inflater reads the blob (sha256 lets go of the GIL), not in the hash
        # thread: queueing meant copying each compressed chunk out of the inflater's buffer while holding the GIL.
        self._raw = DigestReader(stream, digest, size, what)
        buffered = io.BufferedReader(self._raw, CHUNK)
        try:
            self._data, self.compression = decompressor(buffered, what)
        except Exception:
            buffered.close()
            self._hashes.close()
            raise
        self._diff_id = diff_id
        # An uncompressed blob whose digest is its diff_id (docker save, OCI tar layers) is hashed once: the blob
        # digest, checked over these same bytes, is the diff_id check.
        same = not self.compression and digest is not None and digest == diff_id
        self._diff_hash = DeferredHash(self._hashes, diff_id.split(":", 1)[0]) \
            if diff_id and not same else None
        self._inflater = Inflater(self._data, self._diff_hash)
        self._buf = b""
        self._pos = 0
        self.uncompressed = 0
        self.entries = 0
        self._remaining = 0  # unread content bytes of the current entry
        self._padding = 0
        self._globals: dict[str, str] = {}
        self._finished = False

    @classmethod
    def open(cls, layer_file: LayerFile, *, diff_id: str | None = None, limits: LayerLimits | None = None,
             what: str | None = None) -> TarLayerReader:
        return cls(open_range(layer_file), digest=None if layer_file.verified else layer_file.digest,
                   size=layer_file.size, diff_id=diff_id, limits=limits, what=what or f"layer {layer_file.digest}")

    def __enter__(self) -> TarLayerReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._inflater.close()  # first: its thread may be waiting for the hash thread
        self._hashes.close()
        self._data.close()
        self._raw.close()

    # -- the uncompressed byte stream ----------------------------------------------------------------------
    def _pull(self) -> bytes:
        try:
            data = self._inflater.read()
        except (EOFError, OSError, ValueError) as err:  # zlib/isal/zstd report corrupt or truncated input so
            raise IntegrityError(f"{self.what}: corrupt or truncated {self.compression or 'tar'} stream ({err})",
                                 remedy="fetching or exporting the image again") from None
        self.uncompressed += len(data)
        if self.uncompressed > self.limits.max_uncompressed:
            raise IntegrityError(
                f"{self.what}: uncompressed layer exceeds {self.limits.max_uncompressed} bytes "
                "(a decompression bomb, or raise SEAWALL_MAX_LAYER_BYTES)",
                remedy="scanning only images from trusted sources, or raising SEAWALL_MAX_LAYER_BYTES")
        return data

    def _take(self, n: int) -> bytes:
        """Exactly n bytes, or b'' at a clean end of stream; a partial read is truncation."""
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if avail >= n:
            self._pos = pos + n
            return buf[pos: pos + n]
        # The chunk a read ends in is kept whole with an offset: slicing off its rest would copy up to a chunk.
        parts = [buf[pos:]] if avail else []
        need = n - avail
        self._buf, self._pos = b"", 0
        while need > 0:
            chunk = self._pull()
            if not chunk:
                break
            if len(chunk) > need:
                parts.append(chunk[:need])
                self._buf, self._pos = chunk, need
                break
            parts.append(chunk)
            need -= len(chunk)
        out = parts[0] if len(parts) == 1 else b"".join(parts)
        if out and len(out) < n:
            raise IntegrityError(f"{self.what}: tar stream is truncated",
                                 remedy="fetching or exporting the image again")
        return out

    def _skip(self, n: int) -> None:
        avail = len(self._buf) - self._pos
        if avail >= n:
            self._pos += n
            return
        n -= avail
        self._buf, self._pos = b"", 0
        while n > 0:
            chunk = self._pull()
            if not chunk:
                raise IntegrityError(f"{self.what}: tar stream is truncated",
                                     remedy="fetching or exporting the image again")
            if len(chunk) > n:
                self._buf, self._pos = chunk, n
                return
            n -= len(chunk)

    # -- content of the current entry ----------------------------------------------------------------------
    def read(self, limit: int | None = None) -> bytes:
        """The rest of the current entry's content (at most `limits.max_file_read` bytes)."""
        bound = min(limit or self.limits.max_file_read, self.limits.max_file_read)
        if self._remaining > bound:
            raise IntegrityError(f"{self.what}: file is {self._remaining} bytes, over the {bound} byte read limit")
        data = self._take(self._remaining) if self._remaining else b""
        if len(data) != self._remaining:
            raise IntegrityError(f"{self.what}: tar stream is truncated",
                                 remedy="fetching or exporting the image again")
        self._remaining = 0
        return data

    def copy_to(self, out: BinaryIO) -> int:
        """Stream the rest of the current entry's content into `out`; returns the byte count."""
        if self._remaining > self.limits.max_file_read:
            raise IntegrityError(f"{self.what}: file is {self._remaining} bytes, over the "
                                 f"{self.limits.max_file_read} byte read limit")
        total = 0
        while self._remaining:
            n = min(self._remaining, CHUNK)
            data = self._take(n)
            if len(data) != n:
                raise IntegrityError(f"{self.what}: tar stream is truncated",
                                     remedy="fetching or exporting the image again")
            out.write(data)
            total += n
            self._remaining -= n
        return total

    # -- headers -----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[TarEntry]:
        while True:
            entry = self.next()
            if entry is None:
                return
            yield entry

    def next(self) -> TarEntry | None:
        """The next entry, or None after the end-of-archive (having checked the digests)."""
        if self._finished:
            return None
        skip = self._remaining + self._padding
        if len(self._buf) - self._pos >= skip:  # the common case, inline: the rest of this entry is buffered
            self._pos += skip
        else:
            self._skip(skip)
        self._remaining = self._padding = 0
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        what = self.what
        while True:
            buf, pos = self._buf, self._pos
            if len(buf) - pos >= BLOCK_SIZE:
                header = buf[pos: pos + BLOCK_SIZE]
                self._pos = pos + BLOCK_SIZE
            else:
                header = self._take(BLOCK_SIZE)
            if not header or header == _ZERO_BLOCK:
                self.finish()
                return None
            field = header[148:156]
            try:
                stored = int(field.rstrip(b"\0 ") or b"0", 8)  # the common spelling: digits, then NUL and/or space
            except ValueError:
                stored = _odd_checksum(field)
            if stored != _byte_sum(header) - sum(field) + 256:  # the checksum field counts as eight spaces
                raise IntegrityError(f"{what}: corrupt tar header (bad checksum) after {self.entries} entries",
                                     remedy="checking that the layer is a tar archive and fetching it again")
            kind = header[156:157]
            try:
                size = int(header[124:136].rstrip(b"\0 ") or b"0", 8)
            except ValueError:
                size = _number(header[124:136], what)
            if kind in (b"L", b"K", b"x", b"g"):
                if size > _MAX_META:
                    raise IntegrityError(f"{what}: tar metadata record of {size} bytes is too large")
                body = self._take(size) if size else b""
                if len(body) != size:
                    raise IntegrityError(f"{what}: tar stream is truncated")
                self._skip(-size % BLOCK_SIZE)
                if kind == b"L":
                    long_name = _cstr(body)
                elif kind == b"K":
                    long_link = _cstr(body)
                elif kind == b"x":
                    pax.update(_parse_pax(body, what))
                else:
                    self._globals.update(_parse_pax(body, what))
                continue
            break
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise IntegrityError(f"{what}: layer has more than {self.limits.max_entries} entries")
        fields = {**self._globals, **pax} if self._globals else pax
        name = fields.get("path") or long_name
        if name is None:
            name = _cstr(header[0:100])
            if header[257:262] == b"ustar" and header[345] != 0:
                name = _cstr(header[345:500]) + "/" + name
        link = fields.get("linkpath") or long_link or (_cstr(header[157:257]) if kind in _LINKS else "")
        if "size" in fields:
            size = _pax_int(fields["size"], what)
        etype = _TYPES.get(kind, OTHER)
        if kind in (b"0", b"\0") and name.endswith("/"):
            etype = DIR  # pre-POSIX archives mark directories by a trailing slash only
        try:  # the common spelling of all four at once; any other goes field by field through _number below
            mode = int(header[100:108].rstrip(b"\0 ") or b"0", 8) & 0o7777
            uid = int(header[108:116].rstrip(b"\0 ") or b"0", 8)
            gid = int(header[116:124].rstrip(b"\0 ") or b"0", 8)
            mtime = int(header[136:148].rstrip(b"\0 ") or b"0", 8)
        except ValueError:
            mode = _number(header[100:108], what) & 0o7777
            uid = 0 if "uid" in fields else _number(header[108:116], what)
            gid = 0 if "gid" in fields else _number(header[116:124], what)
            mtime = _number(header[136:148], what)
        if fields:
            if "uid" in fields:
                uid = _pax_int(fields["uid"], what)
            if "gid" in fields:
                gid = _pax_int(fields["gid"], what)
        if size < 0:
            raise IntegrityError(f"{what}: negative size in tar header for {name!r}")
        # Links, devices, fifos and directories carry no content whatever their size field says.
        data_size = 0 if kind in (b"1", b"2", b"3", b"4", b"5", b"6") else size
        self._remaining = data_size
        self._padding = -data_size % BLOCK_SIZE
        path = normalize_path(name)
        linkname = normalize_path(link) if etype == HARDLINK else link
        # tuple.__new__ skips the named tuple's own __new__, a Python-level call per entry.
        return _new_entry(TarEntry, (path, etype, size if etype == FILE else 0, mode, linkname, uid, gid, mtime))

    def finish(self) -> None:
        """Drain the rest of the stream (trailing blocks) and check the diff_id and blob digest."""
        if self._finished:
            return
        self._buf, self._pos, self._remaining, self._padding = b"", 0, 0, 0
        while self._pull():
            pass
        self._raw.finish()
        if self._diff_hash is not None and self._diff_id and \
                f"{self._diff_id.split(':')[0]}:{self._diff_hash.hexdigest()}" != self._diff_id:
            raise IntegrityError(f"{self.what}: uncompressed content does not match diff_id {self._diff_id}",
                                 remedy="fetching or exporting the image again; the layer is corrupt "
                                        "or was tampered with")
        self._finished = True


def _odd_checksum(field: bytes) -> int:
    try:
        return int(field.replace(b"\0", b" ").strip() or b"0", 8)
    except ValueError:
        return -1


def _byte_sum(block: bytes) -> int:
    """The sum of a header's bytes. sum() walks them one Python int at a time (half of all header parsing);
    adler32's low 16 bits are 1 + that sum mod 65521, which is the sum itself when every byte is ASCII
    (512 × 127 < 65521): almost every header."""
    if block.isascii():
        return (zlib.adler32(block) & 0xFFFF) - 1
    return sum(block)


def _cstr(field: bytes) -> str:
    end = field.find(b"\0")
    if end >= 0:
        field = field[:end]
    return field.decode("utf-8", "surrogateescape")


def _number(field: bytes, what: str) -> int:
    try:  # the common spelling first: octal digits, then NUL and/or space (int() takes the same values below)
        return int(field.rstrip(b"\0 ") or b"0", 8)
    except ValueError:
        pass
    if field and field[0] & 0x80:  # GNU base-256 for values that do not fit in octal
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.replace(b"\0", b" ").strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise IntegrityError(f"{what}: corrupt tar header (bad number {field!r})") from None


def _pax_int(value: str, what: str) -> int:
    try:
        return int(value.split(".")[0])
    except ValueError:
        raise IntegrityError(f"{what}: corrupt pax header (bad number {value!r})") from None


def _parse_pax(body: bytes, what: str) -> dict[str, str]:
    """`LEN KEY=VALUE\\n` records (POSIX.1-2001); LEN counts the whole record."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        if body[pos] == 0:
            break
        space = body.find(b" ", pos)
        try:
            length = int(body[pos:space])
        except ValueError:
            raise IntegrityError(f"{what}: corrupt pax header") from None
        if space < 0 or length <= 0 or pos + length > len(body):
            raise IntegrityError(f"{what}: corrupt pax header")
        record = body[space + 1: pos + length - 1]
        key, sep, value = record.partition(b"=")
        if sep and key in _PAX_KEYS:  # the others (times, xattrs, …) are read by no one: not decoded
            out[key.decode()] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out

"""Read the header blobs of rpm's ndb database (`Packages.db`, SUSE and openSUSE).

Layout from rpm's lib/backend/ndb/rpmpkg.c (as go-rpmdb's pkg/ndb reads it): a 32-byte header (`RpmP` magic,
version 0, generation, slot page count), slot pages of 16-byte slots (`Slot`, package index, block offset, block
count), and blobs at block offset × 16 (`BlbS`, package index, checksum, length, then the header blob).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HEADER_MAGIC = b"RpmP"
SLOT_MAGIC = b"Slot"
BLOB_MAGIC = b"BlbS"
PAGE_SIZE = 4096
SLOT_SIZE = 16
BLOCK_SIZE = 16
MAX_SLOT_PAGES = 2048
MAX_BLOB = 64 * 1024 * 1024


class NdbError(ValueError):
    """Not an ndb rpm database, or a damaged one."""


def iter_blobs(data: bytes) -> Iterator[bytes]:
    if len(data) < 32 or data[:4] != HEADER_MAGIC:
        raise NdbError("no ndb header magic")
    version, _generation, slot_pages = struct.unpack_from("<III", data, 4)
    if version != 0 or slot_pages == 0 or slot_pages > MAX_SLOT_PAGES:
        raise NdbError(f"unsupported ndb header (version {version}, {slot_pages} slot pages)")
    slots_end = slot_pages * PAGE_SIZE
    if len(data) < slots_end:
        raise NdbError("file shorter than its slot pages")
    for offset in range(32, slots_end, SLOT_SIZE):  # the 32-byte header takes the first two slots
        magic = data[offset : offset + 4]
        if magic != SLOT_MAGIC:
            raise NdbError(f"bad slot magic at offset {offset}")
        index, block, _count = struct.unpack_from("<III", data, offset + 4)
        if index == 0:
            continue
        start = block * BLOCK_SIZE
        if start + 16 > len(data) or data[start : start + 4] != BLOB_MAGIC:
            raise NdbError(f"package {index}: no blob at block {block}")
        blob_index, _checksum, length = struct.unpack_from("<III", data, start + 4)
        if blob_index != index:
            raise NdbError(f"package {index}: blob belongs to package {blob_index}")
        if length > MAX_BLOB or start + 16 + length > len(data):
            raise NdbError(f"package {index}: blob of {length} bytes runs past the end of the file")
        yield data[start + 16 : start + 16 + length]

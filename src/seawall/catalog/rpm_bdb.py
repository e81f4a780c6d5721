"""Read the values of a Berkeley DB hash database (rpm's `Packages` on CentOS 7, RHEL 7/8, Amazon Linux 2).

Only what rpm stores is needed: every header lives in an off-page item (H_OFFPAGE) chained through overflow
pages. The layout follows libdb's dbinc/db_page.h, read the way go-rpmdb's pkg/bdb does. Taken from it: walk
pages 1..last_pgno and keep only hash pages (P_HASH, and P_HASH_UNSORTED of RHEL 5); of each key/value pair read
only the value; look at the value's type byte before anything else and follow only off-page (H_OFFPAGE) values,
because rpm also keeps small on-page items (its key-0 record, a 5-byte H_KEYDATA value in the last bytes of bucket
page 1) that are not headers and too short to be read as an off-page item; take every overflow page whole except
the last, whose used length is its hf_offset field.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HASH_MAGIC = 0x061561
PAGE_HEADER = 26
P_HASH_UNSORTED, P_OVERFLOW, P_HASHMETA, P_HASH = 2, 7, 8, 13
H_OFFPAGE = 3
OFFPAGE_ITEM = 12  # type, 3 unused bytes, first overflow page, total length
VALID_PAGE_SIZES = frozenset(512 << shift for shift in range(8))
MAX_VALUE = 64 * 1024 * 1024


class BdbError(ValueError):
    """Not a Berkeley DB hash file, or a damaged one."""


def _order(data: bytes) -> str:
    if len(data) < 512:
        raise BdbError("file shorter than a Berkeley DB metadata page")
    for order in ("<", ">"):
        (magic,) = struct.unpack_from(order + "I", data, 12)
        if magic == HASH_MAGIC:
            return order
    raise BdbError("no Berkeley DB hash magic")


def iter_values(data: bytes) -> Iterator[bytes]:
    """Every off-page value of the hash database in `data` (the whole file)."""
    order = _order(data)
    (page_size,) = struct.unpack_from(order + "I", data, 20)
    page_type = data[25]
    (last_page,) = struct.unpack_from(order + "I", data, 32)
    if page_type != P_HASHMETA:
        raise BdbError(f"first page is of type {page_type}, not hash metadata")
    if page_size not in VALID_PAGE_SIZES:
        raise BdbError(f"unexpected page size {page_size}")
    pages = len(data) // page_size
    if last_page >= pages:
        raise BdbError(f"metadata names page {last_page} but the file holds {pages} pages")
    for number in range(1, last_page + 1):
        start = number * page_size
        page = data[start : start + page_size]
        if page[25] not in (P_HASH, P_HASH_UNSORTED):
            continue
        (entries,) = struct.unpack_from(order + "H", page, 20)
        if entries % 2 or PAGE_HEADER + 2 * entries > page_size:
            raise BdbError(f"hash page {number} has a malformed index ({entries} entries)")
        for pair in range(entries // 2):
            (item,) = struct.unpack_from(order + "H", page, PAGE_HEADER + 4 * pair + 2)  # keys first, then values
            if not PAGE_HEADER <= item < page_size:
                raise BdbError(f"hash page {number} points outside itself")
            if page[item] != H_OFFPAGE:
                continue  # on-page data (rpm's key-0 record) and duplicates hold no header
            if item + OFFPAGE_ITEM > page_size:
                raise BdbError(f"hash page {number} has an off-page item cut by the page end")
            first, length = struct.unpack_from(order + "II", page, item + 4)
            yield _overflow_chain(data, order, page_size, first, length)


def _overflow_chain(data: bytes, order: str, page_size: int, first: int, length: int) -> bytes:
    if length > MAX_VALUE:
        raise BdbError(f"value of {length} bytes is implausibly large")
    chunks: list[bytes] = []
    seen: set[int] = set()
    number = first
    total = 0
    while number:
        if number in seen:
            raise BdbError("overflow page chain loops")
        seen.add(number)
        start = number * page_size
        page = data[start : start + page_size]
        if len(page) < page_size or page[25] != P_OVERFLOW:
            raise BdbError(f"overflow page {number} is missing or of the wrong type")
        (next_page,) = struct.unpack_from(order + "I", page, 16)
        (used,) = struct.unpack_from(order + "H", page, 22)  # on overflow pages: bytes of data on this page
        chunk = page[PAGE_HEADER : PAGE_HEADER + used] if next_page == 0 else page[PAGE_HEADER:]
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_VALUE:
            raise BdbError("overflow chain longer than the value it holds")
        number = next_page
    value = b"".join(chunks)
    return value[:length] if length and len(value) >= length else value

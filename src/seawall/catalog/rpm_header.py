"""Parse an rpm header blob as stored in the rpm database (no lead, no header magic): index entries + data store.

Layout (rpm's lib/header.c, headerImport): big-endian int32 index count `il` and data length `dl`, then `il`
16-byte entries (tag, type, offset, count), then `dl` bytes of data the entries point into.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAX_INDEX_ENTRIES = 0xFFFF  # rpm's own limits (hdrchkTags, hdrchkData)
MAX_DATA = 256 * 1024 * 1024

NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
LICENSE, VENDOR, PACKAGER = 1014, 1011, 1015
OLDFILENAMES, ARCH, SOURCERPM = 1027, 1022, 1044
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
MODULARITYLABEL = 5096

_CHAR, _INT8, _INT16, _INT32, _INT64, _STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 1, 2, 3, 4, 5, 6, 7, 8, 9
_INT_FORMATS = {_CHAR: ("B", 1), _INT8: ("B", 1), _INT16: ("H", 2), _INT32: ("I", 4), _INT64: ("Q", 8)}


class HeaderError(ValueError):
    """An rpm header blob that does not follow the format."""


@dataclass(frozen=True)
class RpmHeader:
    """The tags of one rpm database header that were asked for, by tag number, with typed accessors."""

    tags: dict[int, str | list[str] | list[int] | bytes]

    def string(self, tag: int) -> str | None:
        value = self.tags.get(tag)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]  # I18N strings: the first (C locale) entry
        return None

    def integer(self, tag: int) -> int | None:
        value = self.tags.get(tag)
        if isinstance(value, list) and value and isinstance(value[0], int):
            return value[0]
        return None

    def strings(self, tag: int) -> list[str]:
        value = self.tags.get(tag)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)  # type: ignore[arg-type]
        return [value] if isinstance(value, str) else []

    def integers(self, tag: int) -> list[int]:
        value = self.tags.get(tag)
        if isinstance(value, list) and all(isinstance(v, int) for v in value):
            return list(value)  # type: ignore[arg-type]
        return []

    def files(self) -> list[str]:
        basenames = self.strings(BASENAMES)
        if basenames:
            dirnames, indexes = self.strings(DIRNAMES), self.integers(DIRINDEXES)
            if len(indexes) != len(basenames) or any(i >= len(dirnames) for i in indexes):
                raise HeaderError("file list tags disagree (BASENAMES, DIRNAMES, DIRINDEXES)")
            return [dirnames[i] + name for i, name in zip(indexes, basenames, strict=True)]
        return self.strings(OLDFILENAMES)


def _strings(data: bytes, offset: int, count: int) -> list[str]:
    out: list[str] = []
    for _ in range(count):
        end = data.find(b"\x00", offset)
        if end == -1:
            raise HeaderError("string runs past the data store")
        out.append(data[offset:end].decode("utf-8", errors="replace"))
        offset = end + 1
    return out


WANTED = frozenset(
    {
        NAME,
        VERSION,
        RELEASE,
        EPOCH,
        LICENSE,
        VENDOR,
        ARCH,
        SOURCERPM,
        DIRINDEXES,
        BASENAMES,
        DIRNAMES,
        OLDFILENAMES,
        MODULARITYLABEL,
    }
)


def parse_header(blob: bytes, wanted: frozenset[int] = WANTED) -> RpmHeader:
    if len(blob) < 8:
        raise HeaderError("header blob shorter than its 8-byte preamble")
    il, dl = struct.unpack_from(">II", blob, 0)
    if il == 0 or il > MAX_INDEX_ENTRIES or dl > MAX_DATA:
        raise HeaderError(f"implausible header sizes (index entries {il}, data {dl})")
    store_start = 8 + 16 * il
    if len(blob) < store_start + dl:
        raise HeaderError(f"header blob truncated ({len(blob)} bytes, needs {store_start + dl})")
    data = blob[store_start : store_start + dl]
    tags: dict[int, str | list[str] | list[int] | bytes] = {}
    for index in range(il):
        tag, kind, offset, count = struct.unpack_from(">IIiI", blob, 8 + 16 * index)
        if tag not in wanted:
            continue
        if offset < 0 or offset > dl or count > dl + 1:
            raise HeaderError(f"tag {tag} points outside the data store")
        if kind == _STRING:
            tags[tag] = _strings(data, offset, 1)[0]
        elif kind in (_STRING_ARRAY, _I18NSTRING):
            tags[tag] = _strings(data, offset, count)
        elif kind in _INT_FORMATS:
            code, size = _INT_FORMATS[kind]
            if offset + size * count > dl:
                raise HeaderError(f"tag {tag} runs past the data store")
            tags[tag] = list(struct.unpack_from(f">{count}{code}", data, offset))
        elif kind == _BIN:
            if offset + count > dl:
                raise HeaderError(f"tag {tag} runs past the data store")
            tags[tag] = data[offset : offset + count]
    return RpmHeader(tags)

"""Version sort keys as byte strings that SQLite orders as the version scheme does.

The DB stores, for an advisory that affects exactly the versions below one fixed version, that bound as bytes; the
matcher then asks SQLite only for the rows whose bound lies above the installed version, and most of a maintained
image's advisories (fixed long ago) never reach Python.

A scheme's key is a nested tuple of ints and strings; its encoding compares with `memcmp` (SQLite's BLOB order)
exactly as Python compares the tuples. Every element starts with a byte above the tuple terminator 0x00, so a
shorter tuple sorts first; small ints are one byte, larger ones carry their length before their big-endian bytes;
strings are UTF-8 (byte order is code point order) with 0x00 escaped and a 0x00 0x00 terminator. Elements of
different types never meet at one position (Python could not order them either). Keys of other shapes (objects)
get no encoding, and their advisories are always read.
"""

from __future__ import annotations

from typing import Any

from seawall.versions import InvalidVersion, UnknownVersionScheme, VersionScheme, scheme_for

_END, _TUPLE, _STR = b"\x00", b"\x01", b"\x02"
_NEGATIVE = 0x10  # 0x03-0x0F: negative ints, a longer magnitude first (13 bytes at most)
_SMALL = 0xC0 - _NEGATIVE  # 0x10-0xBF: the ints 0-175 in one byte
_LARGE = 0xC0  # 0xC0-0xFF: larger ints by byte length (63 at most), then their bytes


class _Unencodable(Exception):
    pass


def scheme_prefix(scheme: VersionScheme) -> bytes:
    """What every encoded key of `scheme` starts with: keys of different schemes never compare as versions."""
    return scheme.name.encode() + b"\x00"


def encode_version(scheme: VersionScheme, version: str) -> bytes | None:
    """The scheme-prefixed, order-preserving encoding of `version`'s key; None when it does not parse or encode."""
    try:
        key = scheme.key(version)
    except InvalidVersion:
        return None
    out = bytearray(scheme_prefix(scheme))
    try:
        _encode(key, out)
    except _Unencodable:
        return None
    return bytes(out)


def namespace_scheme(namespace: str) -> VersionScheme | None:
    """The scheme the matcher compares a namespace's versions with (debian:12 → dpkg, pypi → pep440)."""
    try:
        return scheme_for(namespace.split(":", 1)[0])
    except UnknownVersionScheme:
        return None


def _encode(value: Any, out: bytearray) -> None:
    if isinstance(value, int):  # bool included: it compares as 0 / 1
        if 0 <= value < _SMALL:
            out.append(_NEGATIVE + value)
        elif value >= _SMALL:
            rest = value - _SMALL
            size = (rest.bit_length() + 7) // 8
            if size > 0xFF - _LARGE:
                raise _Unencodable
            out.append(_LARGE + size)
            out += rest.to_bytes(size, "big")
        else:  # a longer magnitude is a smaller number, and so is a larger one of the same length
            size = ((-value).bit_length() + 7) // 8
            if size > _NEGATIVE - 3:
                raise _Unencodable
            out.append(_NEGATIVE - size)
            out += bytes(0xFF - b for b in (-value).to_bytes(size, "big"))
    elif isinstance(value, str):
        out += _STR + value.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff") + b"\x00\x00"
    elif isinstance(value, tuple):
        out += _TUPLE
        for item in value:
            _encode(item, out)
        out += _END
    else:
        raise _Unencodable

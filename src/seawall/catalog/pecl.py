"""PECL extensions (`pecl install` in php images), from PEAR's registry of installed packages.

PEAR records each installed package as a PHP-serialized array in `<php_dir>/.registry/.channel.<channel>/<name>.reg`
(`/usr/local/lib/php` in the official php images): `name`, `channel` (absent in older registries), `version` as
`{release, api}` and `license` as `{attribs, _content}` or a plain string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import pecl_purl
from seawall.model.sbom import Location, Package, Unknown

MAX_REGISTRY_FILE = 16 * 1024 * 1024
MAX_DEPTH = 32
_CHANNEL_DIR = re.compile(r"/\.registry/\.channel\.(?P<channel>[^/]+)/[^/]+\.reg$")
PhpValue = None | bool | int | float | bytes | dict[object, object]


class SerializedError(ValueError):
    """Not PHP `serialize()` output, or more deeply nested than a registry entry can be."""


class _Reader:
    # No maintained Python library reads PHP's serialize() format; this reader is bounded in depth and by the input.
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def _until(self, stop: bytes) -> bytes:
        end = self.data.find(stop, self.at)
        if end < 0:
            raise SerializedError(f"unterminated value at offset {self.at}")
        token, self.at = self.data[self.at : end], end + len(stop)
        return token

    def _int(self, stop: bytes) -> int:
        token = self._until(stop)
        if not re.fullmatch(rb"-?\d{1,19}", token):
            raise SerializedError(f"bad integer {token[:20]!r}")
        return int(token)

    def value(self, depth: int = 0) -> PhpValue:
        if depth > MAX_DEPTH:
            raise SerializedError(f"nested deeper than {MAX_DEPTH} levels")
        kind = self.data[self.at : self.at + 2]
        self.at += 2
        if kind == b"N;":
            return None
        if kind == b"b:":
            return self._int(b";") != 0
        if kind == b"i:":
            return self._int(b";")
        if kind == b"d:":
            token = self._until(b";")
            try:
                return float(token)
            except ValueError as error:
                raise SerializedError(f"bad float {token[:20]!r}") from error
        if kind == b"s:":
            return self._string()
        if kind in (b"a:", b"O:"):
            if kind == b"O:":
                self._string(b":")  # the class name; its properties read like an array's pairs
            count = self._int(b":{")
            if count < 0 or count > len(self.data):
                raise SerializedError(f"implausible element count {count}")
            out: dict[object, object] = {}
            for _ in range(count):
                key = self.value(depth + 1)
                if not isinstance(key, int | bytes):
                    raise SerializedError("array key is neither an integer nor a string")
                out[key] = self.value(depth + 1)
            if self.data[self.at : self.at + 1] != b"}":
                raise SerializedError(f"array not closed at offset {self.at}")
            self.at += 1
            return out
        raise SerializedError(f"unsupported value type {kind[:1]!r} at offset {self.at - 2}")

    def _string(self, after: bytes = b";") -> bytes:
        length = self._int(b':"')
        end = self.at + length
        if length < 0 or self.data[end : end + 1 + len(after)] != b'"' + after:
            raise SerializedError(f"string of {length} bytes does not end where it says")
        value, self.at = self.data[self.at : end], end + 1 + len(after)
        return value


def php_unserialize(data: bytes) -> PhpValue:
    reader = _Reader(data)
    try:
        value = reader.value()
    except IndexError as error:
        raise SerializedError("truncated") from error
    return value


def _text(value: object) -> str:
    return value.decode("utf-8", errors="replace").strip() if isinstance(value, bytes) else ""


def _field(record: dict[object, object], *path: str) -> str:
    value: object = record
    for key in path:
        if not isinstance(value, dict):
            return ""
        value = value.get(key.encode())
    return _text(value)


class PeclCataloger(Cataloger):
    name = "pecl"
    version = 1
    globs = ("**/.registry/.channel.*/*.reg",)

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            found = self._parse(entry)
            if isinstance(found, str):
                unknowns.append(Unknown(entry.path, found, self.name, entry.layer_index))
            else:
                packages.append(found)
        return CatalogResult(tuple(packages), tuple(unknowns))

    def _parse(self, entry: FileEntry) -> Package | str:
        if entry.size > MAX_REGISTRY_FILE:
            return f"registry entry larger than {MAX_REGISTRY_FILE} bytes"
        try:
            record = php_unserialize(entry.read())
        except SerializedError as error:
            return f"unreadable PEAR registry entry: {error}"
        if not isinstance(record, dict):
            return "PEAR registry entry is not a serialized array"
        name = _field(record, "name")
        # Package 2.0 registries hold {release, api}; 1.0-era ones a plain string.
        version = _field(record, "version", "release") or _field(record, "version")
        if not name or not version:
            return "PEAR registry entry without name or release version"
        directory = _CHANNEL_DIR.search(entry.path)
        channel = _field(record, "channel") or (directory.group("channel") if directory else "")
        licence = _field(record, "license", "_content") or _field(record, "license")
        return Package(
            name=name,
            version=version,
            type="pecl",
            found_by=self.name,
            purl=pecl_purl(name, version),
            locations=(Location(entry.path, entry.layer_index),),
            licenses=(licence,) if licence else (),
            layer_index=entry.layer_index,
            metadata=(("channel", channel),) if channel else (),
        )

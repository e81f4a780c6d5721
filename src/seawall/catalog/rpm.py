"""RPM packages from the rpm database in any of its three formats: sqlite, Berkeley DB hash, ndb."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from seawall.catalog import rpm_header as tags
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.rpm_bdb import BdbError, iter_values
from seawall.catalog.rpm_header import HeaderError, RpmHeader, parse_header
from seawall.catalog.rpm_ndb import NdbError, iter_blobs
from seawall.model.sbom import Location, Package, Unknown

RPMDB_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/")
SQLITE_MAGIC = b"SQLite format 3\x00"
NDB_MAGIC = b"RpmP"
PSEUDO_PACKAGES = frozenset({"gpg-pubkey"})  # imported signing keys, not software


class RpmDbError(ValueError):
    """An rpm database that cannot be read."""


def split_source_rpm(source_rpm: str | None) -> tuple[str, str] | None:
    """`openssl-1.1.1k-9.el8.src.rpm` → (`openssl`, `1.1.1k-9.el8`)."""
    if not source_rpm:
        return None
    stem = source_rpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], f"{parts[1]}-{parts[2]}"


def _sqlite_blobs(data: bytes) -> list[bytes]:
    if data[18:20] == b"\x02\x02":
        # WAL mode cannot be opened from memory; the main file alone is a consistent rollback-mode image.
        data = data[:18] + b"\x01\x01" + data[20:]
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        return [bytes(row[0]) for row in connection.execute("SELECT blob FROM Packages") if row[0] is not None]
    except sqlite3.Error as error:
        raise RpmDbError(f"unreadable sqlite rpmdb: {error}") from error
    finally:
        connection.close()


def header_blobs(data: bytes) -> Iterable[bytes]:
    """The header blobs of an rpmdb file, whichever of the three formats it is in."""
    if data.startswith(SQLITE_MAGIC):
        return _sqlite_blobs(data)
    try:
        if data.startswith(NDB_MAGIC):
            return list(iter_blobs(data))
        return list(iter_values(data))
    except (BdbError, NdbError) as error:
        raise RpmDbError(str(error)) from error


def package_from_header(header: RpmHeader, entry: FileEntry, found_by: str) -> Package | None:
    name, version, release = header.string(tags.NAME), header.string(tags.VERSION), header.string(tags.RELEASE)
    if not name or not version:
        raise HeaderError("header without NAME or VERSION")
    if name in PSEUDO_PACKAGES:
        return None
    epoch = header.integer(tags.EPOCH)
    evr = f"{version}-{release}" if release else version
    full_version = f"{epoch}:{evr}" if epoch else evr
    source = split_source_rpm(header.string(tags.SOURCERPM))
    source_name, source_version = source if source else (name, evr)
    metadata = [
        (key, value)
        for key, value in (
            ("vendor", header.string(tags.VENDOR)),
            ("modularitylabel", header.string(tags.MODULARITYLABEL)),
            ("packager", header.string(tags.PACKAGER)),
        )
        if value
    ]
    license_text = header.string(tags.LICENSE)
    return Package(
        name=name,
        version=full_version,
        type="rpm",
        found_by=found_by,
        locations=(Location(entry.path, entry.layer_index),),
        licenses=(license_text,) if license_text else (),
        arch=header.string(tags.ARCH),
        source_name=source_name,
        source_version=f"{epoch}:{source_version}" if epoch else source_version,
        epoch=epoch,
        layer_index=entry.layer_index,
        files=tuple(header.files()),
        metadata=tuple(sorted(metadata)),
    )


class RpmCataloger(Cataloger):
    name = "rpm"
    version = 2
    globs = tuple(f"{d}{f}" for d in RPMDB_DIRS for f in ("rpmdb.sqlite", "Packages", "Packages.db"))
    is_os = True

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            try:
                blobs = header_blobs(entry.read())
            except (RpmDbError, OSError) as error:
                unknowns.append(Unknown(entry.path, f"unreadable rpm database: {error}", self.name, entry.layer_index))
                continue
            bad = 0
            first_problem = ""
            for blob in blobs:
                try:
                    package = package_from_header(parse_header(blob), entry, self.name)
                except HeaderError as error:
                    bad += 1
                    first_problem = first_problem or str(error)
                    continue
                if package is not None:
                    packages.append(package)
            if bad:
                reason = f"{bad} unreadable package header(s) in the rpm database: {first_problem}"
                unknowns.append(Unknown(entry.path, reason, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))

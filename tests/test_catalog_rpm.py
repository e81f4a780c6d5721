"""rpm: the sqlite rpmdb rpm itself wrote, and the Berkeley DB and ndb formats built from its real header blobs."""

from __future__ import annotations

import sqlite3
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from seawall.catalog.distro import detect_distro
from seawall.catalog.purls import os_purl
from seawall.catalog.rpm import RpmCataloger, split_source_rpm
from seawall.catalog.rpm_header import HeaderError, parse_header
from tests.catalog_helpers import ASSETS, catalog_folder, entries_from_files
from tests.conftest import require_tool

SQLITE_DB = ASSETS / "rpm-sqlite/var/lib/rpm/rpmdb.sqlite"
EXPECTED = {
    ("hello-seawall", "2:1.2.3-4.el9", "noarch", "hello-seawall", "2:1.2.3-4.el9"),
    ("libtiny-data", "0.9-1.fc39", "noarch", "tiny", "0.9-1.fc39"),
}


def real_blobs() -> list[tuple[int, bytes]]:
    connection = sqlite3.connect(f"file:{SQLITE_DB}?mode=ro&immutable=1", uri=True)
    try:
        return [(hnum, bytes(blob)) for hnum, blob in connection.execute("SELECT hnum, blob FROM Packages")]
    finally:
        connection.close()


def bdb_hash_file(records: list[tuple[int, bytes]], page_size: int = 4096) -> bytes:
    """A Berkeley DB (version 9) hash file the way rpm's Packages is laid out: one bucket, values on overflow pages."""
    overflow: list[bytes] = []
    items: list[tuple[bytes, bytes]] = []
    next_free = 2  # page 0 = metadata, page 1 = the bucket's hash page
    room = page_size - 26
    for key, blob in records:
        chunks = [blob[i : i + room] for i in range(0, len(blob), room)]
        first = next_free
        for index, chunk in enumerate(chunks):
            number = next_free + index
            following = number + 1 if index + 1 < len(chunks) else 0
            header = struct.pack(
                "<8sIIIHHBB", bytes(8), number, number - 1 if index else 0, following, 1, len(chunk), 0, 7
            )
            overflow.append((header + chunk).ljust(page_size, b"\x00"))
        next_free += len(chunks)
        items.append((b"\x01" + struct.pack("<I", key), struct.pack("<B3xII", 3, first, len(blob))))
    page = bytearray(page_size)
    offsets: list[int] = []
    low = page_size
    for key_item, value_item in items:
        for item in (key_item, value_item):
            low -= len(item)
            page[low : low + len(item)] = item
            offsets.append(low)
    page[0:26] = struct.pack("<8sIIIHHBB", bytes(8), 1, 0, 0, len(offsets), low, 0, 13)
    for index, offset in enumerate(offsets):
        struct.pack_into("<H", page, 26 + 2 * index, offset)
    last = next_free - 1
    meta = bytearray(page_size)
    struct.pack_into(
        "<8sIIIIBBBBIIIIII20s",
        meta,
        0,
        bytes(8),
        0,
        0x061561,
        9,
        page_size,
        0,
        8,
        0,
        0,
        0,
        last,
        0,
        len(records),
        len(records),
        0,
        b"seawall-test-uid-000",
    )
    struct.pack_into(
        "<IIIIII", meta, 72, 0, 1, 0, 40, len(records), 0
    )  # max_bucket, high/low mask, ffactor, nelem, charkey
    struct.pack_into("<I", meta, 96, 1)  # spares[0]: bucket 0 lives on page 1
    return bytes(meta) + bytes(page) + b"".join(overflow)


def ndb_file(records: list[tuple[int, bytes]]) -> bytes:
    """rpm's ndb Packages.db: header, one slot page, then 16-byte-aligned blobs with head and tail."""
    slots = bytearray(b"RpmP" + struct.pack("<III", 0, 1, 1) + bytes(16))
    blobs = bytearray()
    block = 4096 // 16
    for index, blob in records:
        checksum = zlib.adler32(blob)
        body = (
            b"BlbS" + struct.pack("<III", index, checksum, len(blob)) + blob + struct.pack("<II", checksum, len(blob))
        )
        body += b"BlbE"
        body = body.ljust((len(body) + 15) // 16 * 16, b"\x00")
        count = len(body) // 16
        slots += b"Slot" + struct.pack("<III", index, block, count)
        blobs += body
        block += count
    while len(slots) < 4096:
        slots += b"Slot" + bytes(12)
    return bytes(slots) + bytes(blobs)


def summary(result) -> set[tuple]:
    return {(p.name, p.version, p.arch, p.source_name, p.source_version) for p in result.packages}


def test_sqlite_rpmdb_written_by_rpm() -> None:
    result = catalog_folder("rpm-sqlite", RpmCataloger(), layer_index=0)
    assert summary(result) == EXPECTED and result.unknowns == ()
    hello = next(p for p in result.packages if p.name == "hello-seawall")
    assert hello.epoch == 2 and hello.licenses == ("MIT AND (Apache-2.0 OR BSD-3-Clause)",)
    assert set(hello.files) >= {"/usr/share/hello-seawall/README", "/etc/hello/hello.conf"}
    assert dict(hello.metadata)["vendor"] == "Seawall Test Vendor"
    assert hello.type == "rpm" and hello.purl is None


def test_rpm_purl_carries_epoch_and_vendor_namespace() -> None:
    release = (ASSETS / "rpm-sqlite/etc/os-release").read_bytes()
    distro = detect_distro({"/etc/os-release": release})
    hello = next(p for p in catalog_folder("rpm-sqlite", RpmCataloger()).packages if p.name == "hello-seawall")
    assert os_purl(hello, distro) == "pkg:rpm/redhat/hello-seawall@1.2.3-4.el9?arch=noarch&distro=rhel-9.3&epoch=2"


@pytest.mark.parametrize("path", ["/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm/Packages"])
def test_berkeley_db_packages(path: str) -> None:
    cataloger = RpmCataloger()
    result = cataloger.catalog(entries_from_files({path: bdb_hash_file(real_blobs())}, cataloger))
    assert summary(result) == EXPECTED and result.unknowns == ()


def test_berkeley_db_file_is_what_rpm_reads(tmp_path: Path) -> None:
    rpm = require_tool("rpm")
    (tmp_path / "Packages").write_bytes(bdb_hash_file(real_blobs()))
    out = subprocess.run(
        [rpm, "--dbpath", str(tmp_path), "--define", "_db_backend bdb_ro", "-qa", "--qf", "%{NAME}\\n"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(out.stdout.split()) == ["hello-seawall", "libtiny-data"], out.stderr


def test_ndb_packages_db() -> None:
    cataloger = RpmCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/rpm/Packages.db": ndb_file(real_blobs())}, cataloger))
    assert summary(result) == EXPECTED and result.unknowns == ()


@pytest.mark.parametrize(
    "data",
    [
        b"\x00" * 8192,
        b"SQLite format 3\x00" + b"\xff" * 4000,
        b"RpmP" + bytes(100),
        b"random garbage that is not any database" * 30,
    ],
)
def test_garbage_rpmdb_is_an_unknown(data: bytes) -> None:
    cataloger = RpmCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/rpm/Packages": data}, cataloger))
    assert result.packages == () and len(result.unknowns) == 1


def test_truncated_header_blob_is_an_unknown_and_others_survive() -> None:
    blobs = real_blobs()
    damaged = [(blobs[0][0], blobs[0][1][: len(blobs[0][1]) // 2]), blobs[1]]
    cataloger = RpmCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/rpm/Packages.db": ndb_file(damaged)}, cataloger))
    assert len(result.packages) == 1 and len(result.unknowns) == 1
    with pytest.raises(HeaderError):
        parse_header(blobs[0][1][:100])


def test_source_rpm_names() -> None:
    assert split_source_rpm("openssl-1.1.1k-9.el8.src.rpm") == ("openssl", "1.1.1k-9.el8")
    assert split_source_rpm("python3.11-3.11.5-1.el9_3.src.rpm") == ("python3.11", "3.11.5-1.el9_3")
    assert split_source_rpm("(none)") is None
    assert split_source_rpm(None) is None

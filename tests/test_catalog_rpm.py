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


BDB_LSN = struct.pack("<II", 0, 1)  # what rpm leaves in every page's LSN once the environment is closed
BDB_CHARKEY = 1583910353  # libdb's hash of "%$sniglet^&" as rpm's databases record it (checked on open)


def _bdb_page_header(number: int, prev: int, following: int, entries: int, offset: int, kind: int) -> bytes:
    return BDB_LSN + struct.pack("<IIIHHBB", number, prev, following, entries, offset, 0, kind)


def bdb_hash_file(records: list[tuple[int, bytes]], page_size: int = 4096) -> bytes:
    """A Berkeley DB hash file laid out the way rpm writes `Packages` (as in a real CentOS 8 / UBI 8 file).

    Two buckets on pages 1 and 2; record 0 (rpm's "last instance" counter) is a 4-byte on-page H_KEYDATA value
    in the last bytes of bucket 0, every header an H_OFFPAGE value whose overflow pages follow, each holding
    a reference count of 1 and the bytes it uses (a full page, except the last).
    """
    buckets: list[list[tuple[bytes, bytes]]] = [[], []]
    last_instance = max(key for key, _ in records)
    buckets[0].append((b"\x01" + struct.pack("<I", 0), b"\x01" + struct.pack("<I", last_instance)))
    overflow: list[bytes] = []
    next_free = 1 + len(buckets)
    room = page_size - 26
    for key, blob in records:
        chunks = [blob[i : i + room] for i in range(0, len(blob), room)]
        first = next_free
        for index, chunk in enumerate(chunks):
            number = first + index
            following = number + 1 if index + 1 < len(chunks) else 0
            header = _bdb_page_header(number, number - 1 if index else 0, following, 1, len(chunk), 7)
            overflow.append((header + chunk).ljust(page_size, b"\x00"))
        next_free += len(chunks)
        value = struct.pack("<B3xII", 3, first, len(blob))
        buckets[key % len(buckets)].append((b"\x01" + struct.pack("<I", key), value))
    pages: list[bytes] = []
    for number, pairs in enumerate(buckets, start=1):
        page = bytearray(page_size)
        offsets: list[int] = []
        low = page_size
        for pair in pairs:
            for item in pair:
                low -= len(item)
                page[low : low + len(item)] = item
                offsets.append(low)
        page[0:26] = _bdb_page_header(number, 0, 0, len(offsets), low, 13)
        for index, offset in enumerate(offsets):
            struct.pack_into("<H", page, 26 + 2 * index, offset)
        pages.append(bytes(page))
    meta = bytearray(page_size)
    # dbmeta: lsn, pgno, magic, version 9, page size, encrypt 0, type 8 (hash meta), free 0, last page, uid.
    struct.pack_into("<8sIIIIBBBBII", meta, 0, BDB_LSN, 0, 0x061561, 9, page_size, 0, 8, 0, 0, 0, next_free - 1)
    meta[52:72] = b"seawall-fixture-uid\x00"
    # hash meta: max_bucket, high_mask, low_mask, ffactor, nelem, h_charkey, spares[0..1]
    nelem = 1 + len(records)
    struct.pack_into("<IIIIIIII", meta, 72, len(buckets) - 1, 1, 0, 0, nelem, BDB_CHARKEY, 1, 1)
    return bytes(meta) + b"".join(pages) + b"".join(overflow)


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


def test_berkeley_db_as_rpm_writes_it_on_centos_8() -> None:
    """Record 0 sits on-page in the last bytes of bucket page 1; it must be skipped, not fail the whole file."""
    committed = (ASSETS / "rpm-bdb/var/lib/rpm/Packages").read_bytes()
    assert committed == bdb_hash_file(real_blobs())
    assert committed[4096 + 26 : 4096 + 30] == struct.pack("<HH", 4091, 4086) and committed[4096 + 4086] == 1
    result = catalog_folder("rpm-bdb", RpmCataloger())
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


def test_berkeley_db_off_page_item_cut_by_the_page_end_is_an_unknown() -> None:
    data = bytearray(bdb_hash_file(real_blobs()))
    data[4096 + 4091] = 3  # record 0's key, now claiming to be an off-page item 5 bytes before the page end
    struct.pack_into("<HH", data, 4096 + 26, 4086, 4091)  # ... and listed as the value of the pair
    cataloger = RpmCataloger()
    result = cataloger.catalog(entries_from_files({"/var/lib/rpm/Packages": bytes(data)}, cataloger))
    assert result.packages == () and "cut by the page end" in result.unknowns[0].reason

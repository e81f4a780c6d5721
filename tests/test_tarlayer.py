"""The streaming layer reader: formats, normalised names, digests, bounds, truncation."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seawall.blobs.layerfile import LayerFile
from seawall.blobs.readers import normalize_path
from seawall.errors import IntegrityError
from seawall.fs.tarlayer import DIR, FILE, HARDLINK, SYMLINK, LayerLimits, TarLayerReader, _byte_sum, _number
from tests.imagebuild import Dir, File, Hardlink, Raw, Symlink, compress, digest_of, layer_tar

SPEC = {"/etc": Dir(), "/etc/hosts": b"127.0.0.1 localhost\n", "/bin/sh": Symlink("dash"),
        "/usr/bin/tool": File(b"\x7fELF", mode=0o755, uid=1000, gid=1000), "/usr/bin/alias": Hardlink("/usr/bin/tool")}


def blob_file(tmp_path: Path, data: bytes, name: str = "blob") -> LayerFile:
    path = tmp_path / name
    path.write_bytes(data)
    return LayerFile(path=path, offset=0, size=len(data), digest=digest_of(data), verified=False)


def read_all(layer_file: LayerFile, **kw: object) -> dict[str, tuple[str, int, int, str, bytes]]:
    out = {}
    with TarLayerReader.open(layer_file, **kw) as reader:  # type: ignore[arg-type]
        for entry in reader:
            data = reader.read() if entry.type == FILE else b""
            out[entry.path] = (entry.type, entry.size, entry.mode, entry.linkname, data)
    return out


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_every_compression_yields_the_same_entries_and_content(tmp_path: Path, compression: str) -> None:
    tar = layer_tar(SPEC)
    entries = read_all(blob_file(tmp_path, compress(tar, compression)), diff_id=digest_of(tar))
    assert entries["/etc"][0] == DIR
    assert entries["/etc/hosts"] == (FILE, 20, 0o644, "", b"127.0.0.1 localhost\n")
    assert entries["/bin/sh"][0] == SYMLINK and entries["/bin/sh"][3] == "dash"
    assert entries["/usr/bin/tool"][2] == 0o755 and entries["/usr/bin/tool"][4] == b"\x7fELF"
    assert entries["/usr/bin/alias"][0] == HARDLINK and entries["/usr/bin/alias"][3] == "/usr/bin/tool"


def test_long_names_in_pax_and_gnu_archives(tmp_path: Path) -> None:
    long = "/opt/" + "/".join(["d" * 60] * 4) + "/file.txt"
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
            info = tarfile.TarInfo(long.lstrip("/"))
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
            link = tarfile.TarInfo("opt/link")
            link.type, link.linkname = tarfile.SYMTYPE, "x" * 150
            tar.addfile(link)
        entries = read_all(blob_file(tmp_path, out.getvalue(), f"b{fmt}"))
        assert entries[long][4] == b"abc"
        assert entries["/opt/link"][3] == "x" * 150


def test_member_names_never_leave_the_root() -> None:
    assert normalize_path("../../etc/passwd") == "/etc/passwd"
    assert normalize_path("/../etc/passwd") == "/etc/passwd"
    assert normalize_path("./usr//lib/./x/../os-release") == "/usr/lib/os-release"
    assert normalize_path("./") == "/"


def test_hostile_member_names_are_normalised_in_the_stream(tmp_path: Path) -> None:
    tar = layer_tar({"../../../etc/shadow": Raw(data=b"x"), "/abs/file": Raw(data=b"y"),
                     "a/../../b": Raw({"type": tarfile.LNKTYPE, "linkname": "../../../etc/shadow"})})
    entries = read_all(blob_file(tmp_path, tar))
    assert set(entries) == {"/etc/shadow", "/abs/file", "/b"}
    assert entries["/b"][3] == "/etc/shadow"


def test_wrong_digest_is_rejected(tmp_path: Path) -> None:
    blob = compress(layer_tar(SPEC), "gzip")
    layer_file = blob_file(tmp_path, blob)
    wrong = LayerFile(layer_file.path, 0, layer_file.size, digest_of(b"other"), False)
    with pytest.raises(IntegrityError, match="does not match its digest"):
        read_all(wrong)


def test_wrong_diff_id_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="diff_id"):
        read_all(blob_file(tmp_path, compress(layer_tar(SPEC), "zstd")), diff_id=digest_of(b"not it"))


def test_uncompressed_layer_named_by_its_diff_id_is_still_checked(tmp_path: Path) -> None:
    tar = layer_tar(SPEC)
    good = blob_file(tmp_path, tar)
    assert read_all(good, diff_id=good.digest)["/etc/hosts"][4] == b"127.0.0.1 localhost\n"
    tampered = blob_file(tmp_path, tar.replace(b"127.0.0.1 localhost", b"10.6.6.6 localhost!"), "tampered")
    claimed = LayerFile(tampered.path, 0, tampered.size, good.digest, False)  # the digest and diff_id of the original
    with pytest.raises(IntegrityError, match="does not match its digest"):
        read_all(claimed, diff_id=good.digest)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_truncated_layer_is_an_error_not_a_short_listing(tmp_path: Path, compression: str) -> None:
    tar = layer_tar({"/big": bytes(range(256)) * 4000, "/after": b"z"})
    blob = compress(tar, compression)
    cut = blob[: len(blob) // 2]
    # Verified by someone else (no digest to catch it): the stream itself must reveal the truncation.
    layer_file = LayerFile(blob_file(tmp_path, cut).path, 0, len(cut), digest_of(cut), verified=True)
    with pytest.raises(IntegrityError, match=r"truncated|corrupt"):
        read_all(layer_file)


def test_decompression_bomb_stops_at_the_bound(tmp_path: Path) -> None:
    bomb = layer_tar({"/zeros": bytes(64 * 1024 * 1024)})
    blob = gzip.compress(bomb, compresslevel=9)
    assert len(blob) < 200_000
    with pytest.raises(IntegrityError, match="decompression bomb"):
        read_all(blob_file(tmp_path, blob), limits=LayerLimits(max_uncompressed=16 * 1024 * 1024))


def test_entry_count_and_file_read_bounds(tmp_path: Path) -> None:
    many = blob_file(tmp_path, layer_tar({f"/f{i}": b"" for i in range(50)}), "many")
    with pytest.raises(IntegrityError, match="more than 10 entries"):
        read_all(many, limits=LayerLimits(max_entries=10))
    big = blob_file(tmp_path, layer_tar({"/big": bytes(5000)}), "big")
    with pytest.raises(IntegrityError, match="read limit"):
        read_all(big, limits=LayerLimits(max_file_read=4096))


def test_corrupt_header_is_rejected(tmp_path: Path) -> None:
    tar = bytearray(layer_tar({"/a": b"hello"}))
    tar[0:1] = b"Z"  # the checksum no longer matches the first header
    with pytest.raises(IntegrityError, match="corrupt tar header"):
        read_all(blob_file(tmp_path, bytes(tar)))


def test_unread_content_is_skipped_and_digest_still_checked(tmp_path: Path) -> None:
    blob = compress(layer_tar({"/a": bytes(3_000_000), "/b": b"bee"}), "gzip")
    names, content = [], b""
    with TarLayerReader.open(blob_file(tmp_path, blob)) as reader:
        for entry in reader:  # /a's 3 MB are never read: the reader skips them
            names.append(entry.path)
            if entry.path == "/b":
                content = reader.read()
    assert names == ["/a", "/b"] and content == b"bee"


def _normalize_by_segments(name: str) -> str:
    parts: list[str] = []
    for part in name.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


@given(st.lists(st.sampled_from(["", ".", "..", "usr", ".wh.x", "a.b", "..c", "é", " "]), max_size=8))
def test_normalisation_shortcut_agrees_with_the_segment_walk(segments: list[str]) -> None:
    for name in ("/".join(segments), "./" + "/".join(segments), "/".join(segments) + "/"):
        assert normalize_path(name) == _normalize_by_segments(name)


@given(st.binary(min_size=12, max_size=12))
def test_number_shortcut_agrees_with_the_tar_spelling(field: bytes) -> None:
    def reference() -> int | None:
        if field[0] & 0x80:
            value = int.from_bytes(field[1:], "big")
            return -value if field[0] & 0x40 else value
        try:
            return int(field.replace(b"\0", b" ").strip() or b"0", 8)
        except ValueError:
            return None

    expected = reference()
    if expected is None:
        with pytest.raises(IntegrityError):
            _number(field, "layer")
    else:
        assert _number(field, "layer") == expected


@given(st.one_of(st.binary(min_size=512, max_size=512),
                 st.text(st.characters(max_codepoint=127), min_size=512, max_size=512).map(str.encode),
                 st.sampled_from([b"\x7f" * 512, b"\xff" * 512, b"\0" * 512, b"\x7f" * 511 + b"\x80"])))
def test_header_checksum_sum_agrees_with_summing_every_byte(block: bytes) -> None:
    assert _byte_sum(block) == sum(block)


def test_pax_headers_of_every_entry_and_uid_gid_from_pax(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, uid in (("a/é.txt", 7), ("b/plain", 2_000_000_000_000)):  # the second uid needs pax
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid, info.mtime = 3, uid, uid + 1, 1_700_000_000.5  # a float mtime: pax
            tar.addfile(info, io.BytesIO(b"abc"))
    with TarLayerReader(io.BytesIO(out.getvalue()), digest=None) as reader:
        got = [(e.path, e.uid, e.gid, e.size, e.mtime, reader.read()) for e in reader]
    assert got == [("/a/é.txt", 7, 8, 3, 1_700_000_000, b"abc"),
                   ("/b/plain", 2_000_000_000_000, 2_000_000_000_001, 3, 1_700_000_000, b"abc")]


def test_a_chunk_boundary_inside_headers_and_content_changes_nothing(tmp_path: Path) -> None:
    files = {f"/d/f{i}": bytes([i % 251]) * (i * 997 % 70_000) for i in range(120)}  # spans several 1 MiB chunks
    got = read_all(blob_file(tmp_path, compress(layer_tar(files), "gzip")))
    assert {path: data for path, (_t, _s, _m, _l, data) in got.items()} == files

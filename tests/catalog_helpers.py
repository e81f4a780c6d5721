"""Feed catalogers the way the core does: a rootfs-shaped folder becomes the FileEntries a cataloger selects."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry

ASSETS = Path(__file__).resolve().parent / "assets" / "rootfs"


def rootfs(case: str) -> Path:
    return ASSETS / case


def entries_from_folder(root: Path, cataloger: Cataloger, layer_index: int | None = 0) -> list[FileEntry]:
    """Every regular file under `root` that `cataloger.wants`, as an absolute image path."""
    found: list[FileEntry] = []
    for directory, _dirs, names in os.walk(root):
        for name in sorted(names):
            real = Path(directory, name)
            info = real.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue
            image_path = "/" + real.relative_to(root).as_posix()
            if not cataloger.wants(image_path, info.st_mode, info.st_size):
                continue
            found.append(FileEntry(image_path, info.st_size, info.st_mode, layer_index, data=real.read_bytes()))
    return sorted(found, key=lambda e: e.path)


def entries_from_files(
    files: Mapping[str, bytes], cataloger: Cataloger | None = None, mode: int = 0o100644, layer_index: int | None = 0
) -> list[FileEntry]:
    """In-memory files (image path → bytes) as FileEntries, filtered by `cataloger.wants` when given."""
    out = [FileEntry(path, len(data), mode, layer_index, data=data) for path, data in sorted(files.items())]
    return [e for e in out if cataloger is None or cataloger.wants(e.path, e.mode, e.size)]


def real_entries(paths: Iterable[str | Path], mode: int | None = None) -> list[FileEntry]:
    """Files of this machine presented as image files at the same paths (read lazily through an opener)."""
    out: list[FileEntry] = []
    for raw in paths:
        path = Path(raw)
        info = path.stat()
        out.append(
            FileEntry(
                str(path),
                info.st_size,
                mode if mode is not None else info.st_mode,
                0,
                opener=lambda p=path: p.open("rb"),
            )
        )
    return out


def catalog_folder(case: str, cataloger: Cataloger, layer_index: int | None = 0) -> CatalogResult:
    return cataloger.catalog(entries_from_folder(rootfs(case), cataloger, layer_index))


ELF_BASE = 0x400000


def minimal_elf(sections: list[tuple[str, int, bytes]]) -> bytes:
    """A little-endian ELF64 executable holding `(name, virtual address, data)` sections, each in its own PT_LOAD.

    File offset = address - ELF_BASE, so addresses must leave room for the headers (>= ELF_BASE + 0x1000).
    """
    import struct

    names = b"\x00" + b"".join(name.encode() + b"\x00" for name, _, _ in sections) + b".shstrtab\x00"
    phoff, phnum = 64, len(sections)
    body = bytearray(max(addr - ELF_BASE + len(data) for _, addr, data in sections))
    for _, addr, data in sections:
        body[addr - ELF_BASE : addr - ELF_BASE + len(data)] = data
    shstr_off = len(body)
    body += names
    while len(body) % 8:
        body.append(0)
    shoff = len(body)
    shnum = len(sections) + 2
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack(
        "<HHIQQQIHHHHHH", 2, 62, 1, ELF_BASE + 0x1000, phoff, shoff, 0, 64, 56, phnum, 64, shnum, shnum - 1
    )
    body[0:64] = header
    for index, (_, addr, data) in enumerate(sections):
        # PT_LOAD, flags R+W
        body[phoff + 56 * index : phoff + 56 * (index + 1)] = struct.pack(
            "<IIQQQQQQ", 1, 6, addr - ELF_BASE, addr, addr, len(data), len(data), 0x1000
        )
    table = bytearray(64)  # the null section
    name_at = 1
    for name, addr, data in sections:
        table += struct.pack("<IIQQQQIIQQ", name_at, 1, 3, addr, addr - ELF_BASE, len(data), 0, 0, 16, 0)
        name_at += len(name) + 1
    table += struct.pack("<IIQQQQIIQQ", name_at, 3, 0, 0, shstr_off, len(names), 0, 0, 1, 0)
    return bytes(body + table)

"""Debian packages: /var/lib/dpkg/status, distroless status.d entries, and the file lists in info/*.list."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.model.sbom import Location, Package, Unknown

STATUS_PATH = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
# Distroless status.d also holds each package's control members beside its stanza file (as dpkg's info/ does);
# package names may contain dots (python3.11), so only these known member suffixes are set aside.
CONTROL_MEMBERS = frozenset(
    {"md5sums", "sha256sums", "conffiles", "preinst", "postinst", "prerm", "postrm", "config", "templates",
     "triggers", "shlibs", "symbols", "list", "clilibs"}
)  # fmt: skip
INFO_DIR = "/var/lib/dpkg/info/"
_FIELD = re.compile(r"^([!-9;-~][!-9;-~]*):[ \t]*(.*)$")  # a field name is printable ASCII without ':'
_VERSION = re.compile(r"^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$")
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")
# Real status files are a few MB (about 3 KB per package) and their longest field, a Conffiles list or a
# Description, a few tens of KB: far larger ones are hostile and would cost memory several times their size.
MAX_STATUS_FILE = 64 * 1024 * 1024
MAX_FIELD = 1024 * 1024


class ControlError(ValueError):
    """A control paragraph that is not in deb822 form."""


def paragraph_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Split a deb822 file at blank lines: (first line number, lines) per paragraph."""
    block: list[str] = []
    first = 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def parse_paragraph(first: int, lines: list[str]) -> dict[str, str]:
    """One deb822 paragraph as field → value, continuation lines joined with newlines.

    Hand-written because python-debian's deb822 silently drops malformed lines, which must be reported here
    (and it is 5x slower: 40 ms against 8 ms for a 748-package status file).
    """
    parts: dict[str, list[str]] = {}  # joined once at the end: repeated `+=` is quadratic in a long field
    last: list[str] | None = None
    size = 0
    for offset, line in enumerate(lines):
        if len(line) > MAX_FIELD:
            raise ControlError(f"line {first + offset} is longer than {MAX_FIELD} bytes")
        if line[0] in " \t":
            if last is None:
                raise ControlError(f"line {first + offset}: continuation line outside a field")
            last.append(line.strip())
        elif line.startswith("#"):
            continue
        else:
            match = _FIELD.match(line)
            if not match:
                raise ControlError(f"line {first + offset}: not a `Field: value` line: {line[:60]!r}")
            last = parts[match.group(1)] = [match.group(2).strip()]
            size = 0
        size += len(line) + 1
        if size > MAX_FIELD:
            name = next(key for key, value in parts.items() if value is last)
            raise ControlError(f"line {first + offset}: field {name} is longer than {MAX_FIELD} bytes")
    return {name: "\n".join(value) for name, value in parts.items()}


def is_installed(status: str | None, *, required: bool) -> bool:
    """`install ok installed`, `hold ok installed`: the files are on disk. `config-files`, `not-installed`: not."""
    if status is None:
        return not required  # distroless status.d entries carry no Status field
    words = status.split()
    return len(words) == 3 and words[2] == "installed"


def package_from_fields(fields: dict[str, str], entry: FileEntry, found_by: str) -> Package:
    name = fields.get("Package", "").strip()
    version = fields.get("Version", "").strip()
    if not name or not version:
        raise ControlError(f"a paragraph without Package or Version (Package: {name or '?'})")
    if not _VERSION.match(version):
        raise ControlError(f"package {name}: malformed version {version!r}")
    source_name, source_version = name, version
    if source := fields.get("Source", "").strip():
        match = _SOURCE.match(source)
        if not match:
            raise ControlError(f"package {name}: malformed Source {source!r}")
        source_name = match.group(1)
        source_version = match.group(2) or version
    arch = fields.get("Architecture") or None
    return Package(
        name=name,
        version=version,
        type="deb",
        found_by=found_by,
        locations=(Location(entry.path, entry.layer_index),),
        arch=arch,
        source_name=source_name,
        source_version=source_version,
        maintainer=fields.get("Maintainer") or None,
        layer_index=entry.layer_index,
    )


def list_owner(path: str) -> str | None:
    """`/var/lib/dpkg/info/libc6:amd64.list` → `libc6`."""
    base = path[len(INFO_DIR) :]
    if "/" in base or not base.endswith(".list"):
        return None
    return base[: -len(".list")].split(":", 1)[0] or None


def _is_control_member(path: str) -> bool:
    """`status.d/base-files.md5sums`, `status.d/libc6.postinst`: not a package stanza."""
    return path.rpartition("/")[2].rpartition(".")[2] in CONTROL_MEMBERS and "." in path.rpartition("/")[2]


class DpkgCataloger(Cataloger):
    name = "dpkg"
    version = 2
    globs = (STATUS_PATH, STATUS_D + "*", INFO_DIR + "*.list")
    is_os = True
    wants_only_globbed = True
    max_file_size = MAX_STATUS_FILE

    def wants(self, path: str, mode: int, size: int) -> bool:
        return super().wants(path, mode, size) and not (path.startswith(STATUS_D) and _is_control_member(path))

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        owned: list[tuple[str, tuple[str, ...]]] = []
        for entry in files:
            if entry.path.startswith(INFO_DIR):
                owner = list_owner(entry.path)
                if owner:
                    lines = (line.strip() for line in entry.text().splitlines())
                    owned.append((owner, tuple(p for p in lines if p.startswith("/") and p != "/.")))
                continue
            in_status_d = entry.path.startswith(STATUS_D)
            if in_status_d and _is_control_member(entry.path):
                continue
            found, problem = self._parse_status(entry, required_status=not in_status_d)
            packages.extend(found)
            if problem:
                unknowns.append(Unknown(entry.path, problem, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns), tuple(owned))

    def _parse_status(self, entry: FileEntry, *, required_status: bool) -> tuple[list[Package], str | None]:
        data = entry.read()
        if b"\x00" in data:
            return [], "not a dpkg status file (binary content)"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # very old status files carry Latin-1 maintainer names
        packages: list[Package] = []
        problems: list[str] = []
        for first, lines in paragraph_blocks(text):
            try:
                fields = parse_paragraph(first, lines)
                if is_installed(fields.get("Status"), required=required_status):
                    packages.append(package_from_fields(fields, entry, self.name))
            except ControlError as error:
                problems.append(str(error))
        if not problems:
            return packages, None
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return packages, f"malformed dpkg status: {problems[0]}{more}"

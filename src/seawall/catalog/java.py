"""Java archives (jar, war, ear, jpi, hpi), nested ones included: Maven coordinates, else the manifest."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import maven_purl
from seawall.model.sbom import Location, Package, Unknown

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".kar", ".nar", ".rar")
MAX_DEPTH = 4  # outer archive = depth 0; Spring Boot fat jars nest one level, ears two
MAX_NESTED_SIZE = 128 * 1024 * 1024  # uncompressed size of one nested archive we read into memory
MAX_TOTAL_NESTED = 512 * 1024 * 1024  # everything decompressed for one outer archive
MAX_RATIO = 200  # a nested member that claims to inflate more than this is a zip bomb, not a jar
MAX_SMALL_MEMBER = 1024 * 1024  # pom.properties and MANIFEST.MF
_POM_PROPERTIES = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_FILENAME_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.+-]*?)(?:\.(?:RELEASE|Final|GA))?$")


class ArchiveError(ValueError):
    """A Java archive that cannot be read."""


@dataclass
class _Budget:
    remaining: int = MAX_TOTAL_NESTED


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a JAR manifest; continuation lines start with one space."""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if fields:
                break  # the main section ends at the first blank line
            continue
        if line.startswith(" ") and last:
            fields[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            fields[last] = value.strip()
    return fields


def parse_properties(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"^([^=:\s]+)\s*[=:]?\s*(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


def _read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > MAX_SMALL_MEMBER:
        raise ArchiveError(f"{info.filename} is larger than {MAX_SMALL_MEMBER} bytes")
    return archive.read(info).decode("utf-8", errors="replace")


class JavaCataloger(Cataloger):
    name = "java"
    version = 1
    globs = tuple(f"**/*{suffix}" for suffix in ARCHIVE_SUFFIXES)

    def wants(self, path: str, mode: int, size: int) -> bool:
        return path.lower().endswith(ARCHIVE_SUFFIXES) and size <= self.max_file_size

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            try:
                with entry.open() as handle:
                    found, problems = self._archive(entry, handle)
            except OSError as error:
                found, problems = [], [f"unreadable archive: {error}"]
            packages.extend(found)
            unknowns.extend(Unknown(entry.path, reason, self.name, entry.layer_index) for reason in problems)
        return CatalogResult(tuple(packages), tuple(unknowns))

    def _archive(self, entry: FileEntry, handle: BinaryIO) -> tuple[list[Package], list[str]]:
        packages: list[Package] = []
        problems: list[str] = []
        budget = _Budget()
        base = entry.path.rsplit("/", 1)[-1]
        for item in self._walk(handle, base, (), 0, budget):
            if isinstance(item, str):
                problems.append(item)
            else:
                inner, fields, from_pom = item
                packages.append(self._package(entry, base, inner, fields, from_pom))
        return packages, problems

    def _walk(
        self, handle: BinaryIO, name: str, inner: tuple[str, ...], depth: int, budget: _Budget
    ) -> Iterator[tuple[tuple[str, ...], dict[str, str], bool] | str]:
        where = "!".join((name, *inner)) if inner else name
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
            yield f"not a readable Java archive ({where}): {error}"
            return
        with archive:
            try:
                yield from self._describe(archive, inner)
            except (zipfile.BadZipFile, ArchiveError, OSError, EOFError, ValueError, NotImplementedError) as error:
                yield f"corrupt Java archive ({where}): {error}"
                return
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(ARCHIVE_SUFFIXES):
                    continue
                member = f"{where}!{info.filename}"
                if depth + 1 > MAX_DEPTH:
                    yield f"nested archive {member} is deeper than {MAX_DEPTH} levels; not read"
                    continue
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MAX_NESTED_SIZE or info.file_size > budget.remaining or ratio > MAX_RATIO:
                    yield f"nested archive {member} ({info.file_size} bytes uncompressed) exceeds the size bounds"
                    continue
                budget.remaining -= info.file_size
                try:
                    data = archive.read(info)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
                    yield f"corrupt nested archive {member}: {error}"
                    continue
                yield from self._walk(io.BytesIO(data), name, (*inner, info.filename), depth + 1, budget)

    def _describe(
        self, archive: zipfile.ZipFile, inner: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str, ...], dict[str, str], bool]]:
        poms = [info for info in archive.infolist() if _POM_PROPERTIES.match(info.filename)]
        manifest_info = next((i for i in archive.infolist() if i.filename.upper() == "META-INF/MANIFEST.MF"), None)
        manifest = parse_manifest(_read_small(archive, manifest_info)) if manifest_info else {}
        found = False
        for info in poms:
            props = parse_properties(_read_small(archive, info))
            if props.get("artifactId") and props.get("version"):
                found = True
                yield inner, {**props, **{f"manifest:{k}": v for k, v in manifest.items()}}, True
        if not found:
            yield inner, manifest, False

    def _package(
        self, entry: FileEntry, base: str, inner: tuple[str, ...], fields: dict[str, str], from_pom: bool
    ) -> Package:
        archive_name = (inner[-1] if inner else base).rsplit("/", 1)[-1]
        stem = archive_name.rsplit(".", 1)[0]
        file_match = _FILENAME_VERSION.match(stem)
        metadata: list[tuple[str, str]] = []
        if inner:
            metadata.append(("nested_path", "!".join(inner)))
        if from_pom:
            group, artifact, version = fields.get("groupId"), fields["artifactId"], fields["version"]
            manifest = {k.removeprefix("manifest:"): v for k, v in fields.items() if k.startswith("manifest:")}
            metadata.append(("source", "pom.properties"))
        else:
            manifest = fields
            artifact = (
                fields.get("Implementation-Title")
                or _symbolic_name(fields.get("Bundle-SymbolicName"))
                or fields.get("Specification-Title")
                or (file_match.group("name") if file_match else stem)
            )
            version = (
                fields.get("Implementation-Version")
                or fields.get("Bundle-Version")
                or fields.get("Specification-Version")
                or (file_match.group("version") if file_match else "")
            )
            group = fields.get("Implementation-Vendor-Id") or None
            metadata.append(("source", "MANIFEST.MF" if fields else "file name"))
        licenses = tuple(x.strip() for x in manifest.get("Bundle-License", "").split(",") if x.strip())
        return Package(
            name=artifact,
            version=version,
            type="java-archive",
            found_by=self.name,
            purl=maven_purl(group, artifact, version or None),
            locations=(Location(entry.path, entry.layer_index),),
            licenses=licenses,
            layer_index=entry.layer_index,
            metadata=tuple(sorted([*metadata, *((("group", group),) if group else ())])),
        )


def _symbolic_name(value: str | None) -> str | None:
    """`org.slf4j.api;singleton:=true` → `org.slf4j.api`."""
    return value.split(";", 1)[0].strip() or None if value else None

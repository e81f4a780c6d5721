"""Java archives (jar, war, ear, jpi, hpi), nested ones included: Maven coordinates, else the manifest."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO
from xml.etree import ElementTree

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
_POM_XML = re.compile(r"^META-INF/maven/(?P<group>[^/]+)/(?P<artifact>[^/]+)/pom\.xml$")
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
JENKINS_SUFFIXES = (".hpi", ".jpi")
# Debian versions add `~` and `+` to Maven's (jsr305-0.1~+svn49.jar).
_FILENAME_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.+~-]*?)(?:\.(?:RELEASE|Final|GA))?$")


class ArchiveError(ValueError):
    """A Java archive that cannot be read."""


@dataclass(frozen=True)
class _Found:
    """One artifact in one archive: from a pom.properties, or (pom None) from the file name and manifest."""

    inner: tuple[str, ...]  # nested archive path inside the outer file, () for the file itself
    pom: dict[str, str] | None
    manifest: dict[str, str]
    own: bool  # the archive itself, not a dependency shaded into it
    pom_source: str = "pom.properties"


@dataclass
class _Budget:
    """How many more bytes nested archives of one outer archive may decompress to; shared by every level."""

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
    version = 3
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
                packages.append(self._package(entry, base, item))
        return packages, problems

    def _walk(
        self, handle: BinaryIO, name: str, inner: tuple[str, ...], depth: int, budget: _Budget
    ) -> Iterator[_Found | str]:
        where = "!".join((name, *inner)) if inner else name
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
            yield f"not a readable Java archive ({where}): {error}"
            return
        with archive:
            try:
                yield from self._describe(archive, inner, inner[-1] if inner else name)
            except (zipfile.BadZipFile, ArchiveError, OSError, EOFError, ValueError, NotImplementedError,
                    zlib.error) as error:
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

    def _describe(self, archive: zipfile.ZipFile, inner: tuple[str, ...], name: str) -> Iterator[_Found]:
        manifest_info = next((i for i in archive.infolist() if i.filename.upper() == "META-INF/MANIFEST.MF"), None)
        manifest = parse_manifest(_read_small(archive, manifest_info)) if manifest_info else {}
        stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        poms = []
        pom_xmls: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            if _POM_PROPERTIES.match(info.filename):
                props = parse_properties(_read_small(archive, info))
                if props.get("artifactId") and props.get("version"):
                    poms.append(props)
            elif _POM_XML.match(info.filename):
                pom_xmls[info.filename.rsplit("/", 1)[0]] = info
        with_properties = {n.rsplit("/", 1)[0] for n in archive.namelist() if _POM_PROPERTIES.match(n)}
        from_xml: list[dict[str, str]] = []
        for folder, info in pom_xmls.items():
            if folder in with_properties:
                continue  # pom.properties carries the resolved coordinates; the pom.xml may hold ${...} placeholders
            coordinates = pom_xml_coordinates(_read_small(archive, info), info.filename, stem)
            if coordinates:
                from_xml.append(coordinates)
        poms.extend(from_xml)
        # A pom.properties describes the archive itself only when its artifactId names the archive; the others are
        # dependencies shaded into it (cglib's in guice.jar), and the archive then needs an identity of its own.
        names = (stem, manifest.get("Implementation-Title"), manifest.get("Bundle-Name"))
        own = next((props for props in poms if any(_same_artifact(props["artifactId"], n) for n in names if n)), None)
        for props in poms:
            yield _Found(inner, props, manifest, props is own, "pom.xml" if props in from_xml else "pom.properties")
        # New Relic-style agent instrumentation ("weaver") jars are named after what they instrument, not after
        # an artifact of their own: nothing to report unless a pom says otherwise.
        if own is None and "Weave-Classes" not in manifest:
            yield _Found(inner, None, manifest, True)

    def _package(self, entry: FileEntry, base: str, found: _Found) -> Package:
        archive_name = (found.inner[-1] if found.inner else base).rsplit("/", 1)[-1]
        stem = archive_name.rsplit(".", 1)[0]
        manifest = found.manifest
        metadata: list[tuple[str, str]] = []
        if found.inner:
            metadata.append(("nested_path", "!".join(found.inner)))
        if found.pom is not None:
            group, artifact, version = found.pom.get("groupId"), found.pom["artifactId"], found.pom["version"]
            metadata.append(("source", found.pom_source))
        elif archive_name.lower().endswith(JENKINS_SUFFIXES) and manifest.get("Short-Name"):
            # A Jenkins plugin names itself in its manifest; its advisories use Group-Id:Short-Name.
            artifact = manifest["Short-Name"]
            version = (manifest.get("Plugin-Version") or manifest.get("Implementation-Version") or "").split(" ")[0]
            group = manifest.get("Group-Id") or None
            metadata.append(("source", "MANIFEST.MF"))
        else:
            # Maven names a jar artifactId-version.jar, so the file name is the best artifactId; manifest names are
            # display titles or OSGi symbolic names, which advisories never use.
            artifact, file_version = _split_file_name(stem, manifest)
            version = (
                file_version
                or manifest.get("Implementation-Version")
                or manifest.get("Bundle-Version")
                or manifest.get("Specification-Version")
                or ""
            )
            group = manifest.get("Implementation-Vendor-Id") or None
            if group is None and (group := _group_guess(manifest.get("Bundle-SymbolicName"), artifact)):
                metadata.append(("group_source", "Bundle-SymbolicName"))
            metadata.append(("source", "MANIFEST.MF" if manifest else "file name"))
        # The manifest speaks for the archive itself, not for the dependencies shaded into it.
        license_field = manifest.get("Bundle-License", "") if found.own else ""
        licenses = tuple(x.strip() for x in license_field.split(",") if x.strip())
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


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: ElementTree.Element | None, name: str) -> str:
    if element is None:
        return ""
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def pom_xml_coordinates(text: str, member: str, stem: str) -> dict[str, str] | None:
    """groupId, artifactId and version of a `META-INF/maven/<group>/<artifact>/pom.xml`, parent and ${properties}
    resolved; the folder names stand in for a missing group or artifact, the file name for an unresolvable version."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None  # a pom never needs a DTD; refusing them keeps entity expansion out of the XML parser
    try:
        project = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    folder = _POM_XML.match(member)
    if _local(project.tag) != "project" or folder is None:
        return None
    parent = _child(project, "parent")
    values: dict[str, str] = {}
    for key, own, inherited in (("groupId", "groupId", "groupId"), ("version", "version", "version")):
        values[key] = _child_text(project, own) or _child_text(parent, inherited)
    values["artifactId"] = _child_text(project, "artifactId") or folder.group("artifact")
    declared = _child(project, "properties")
    properties = {_local(p.tag): (p.text or "").strip() for p in declared} if declared is not None else {}
    known = {
        **properties,
        "project.groupId": values["groupId"],
        "project.version": values["version"],
        "project.artifactId": values["artifactId"],
        "project.parent.version": _child_text(parent, "version"),
        "project.parent.groupId": _child_text(parent, "groupId"),
    }
    for key in ("groupId", "version"):
        for _round in range(3):  # properties may refer to properties; a cycle stays unresolved
            values[key] = _PROPERTY.sub(lambda m: known.get(m.group(1), m.group(0)), values[key])
    if "${" in values["groupId"] or not values["groupId"]:
        values["groupId"] = folder.group("group")
    if "${" in values["version"] or not values["version"]:
        suffix = stem.rpartition(f"{values['artifactId']}-")[2] if f"{values['artifactId']}-" in stem else ""
        if not suffix or not suffix[0].isdigit():
            return None
        values["version"] = suffix
    return values


def _split_file_name(stem: str, manifest: dict[str, str]) -> tuple[str, str]:
    """`guice-no-aop-4.2.3` → (`guice-no-aop`, `4.2.3`); `guice` → (`guice`, ``).

    The first dash-digit starts the version, unless the manifest's version ends the name after a later one
    (`log4j-1.2-api-2.17.1`)."""
    for field in ("Implementation-Version", "Bundle-Version"):
        stated = manifest.get(field, "")
        if stated and stem.endswith(f"-{stated}") and len(stem) > len(stated) + 1:
            return stem[: -len(stated) - 1], stated
    match = _FILENAME_VERSION.match(stem)
    return (match.group("name"), match.group("version")) if match else (stem, "")


def _words(name: str) -> str:
    """`Maven SLF4J Provider`, `maven3-slf4j-provider` and `maven-slf4j-provider` all become `maven-slf-j-provider`:
    Debian renames jars with a major version (`maven3-core`, `plexus-utils2`) and `_`/`.` vary between tools."""
    return "-".join(re.findall(r"[a-z]+", name.lower()))


def _same_artifact(artifact_id: str, name: str) -> bool:
    """Whether an archive called `name` (file name or manifest title) is the artifact `artifact_id`: equal words, or
    one extending the other by whole words (`wagon-http-shaded` / `wagon-http`, `sisu-inject` /
    `org.eclipse.sisu.inject`)."""
    a, b = _words(artifact_id), _words(name)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith(f"{short}-") or long.endswith(f"-{short}")


def _group_guess(symbolic_name: str | None, artifact: str) -> str | None:
    """A groupId guessed from an OSGi `Bundle-SymbolicName` (`com.google.inject` for guice.jar), less a last part
    that repeats the artifactId (`org.example.foo` for `foo`); a name without dots is no group."""
    name = _symbolic_name(symbolic_name)
    if not name or "." not in name:
        return None
    head, _, last = name.rpartition(".")
    return head if _words(last) == _words(artifact) else name


def _symbolic_name(value: str | None) -> str | None:
    """`org.slf4j.api;singleton:=true` → `org.slf4j.api`."""
    return value.split(";", 1)[0].strip() or None if value else None

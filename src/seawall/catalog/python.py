"""Installed Python distributions: *.dist-info/METADATA, *.egg-info/PKG-INFO, old single-file *.egg-info, and
eggs that `setup.py install` / easy_install leave in site-packages (a `*.egg/EGG-INFO/PKG-INFO` folder or a zip).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import pypi_purl
from seawall.model.sbom import Location, Package, Unknown

MAX_METADATA = 8 * 1024 * 1024
EGG_METADATA = "EGG-INFO/PKG-INFO"
# The interpreter's own distutils record (Debian's lib-dynload/Python-2.7.egg-info): not a PyPI project.
INTERPRETER_NAMES = frozenset({"python"})
_LICENSE_CLASSIFIER = "License :: "


def licenses_from(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """License-Expression (PEP 639) first, then a short License field, then the licence classifiers."""
    expression = (raw.get("license_expression") or "").strip()
    if expression:
        return (expression,)
    declared = (raw.get("license") or "").strip()
    # Some projects paste the whole licence text into License; that is not a licence name.
    if declared and declared.upper() not in ("UNKNOWN", "NONE") and "\n" not in declared and len(declared) <= 120:
        return (declared,)
    found = []
    for classifier in raw.get("classifiers") or ():
        if classifier.startswith(_LICENSE_CLASSIFIER):
            leaf = classifier.rsplit(" :: ", 1)[-1].strip()
            if leaf and leaf != "OSI Approved":
                found.append(leaf)
    return tuple(found)


def _zipped_egg_metadata(entry: FileEntry) -> bytes | str:
    try:
        with zipfile.ZipFile(io.BytesIO(entry.read())) as archive:
            info = archive.getinfo(EGG_METADATA)
            if info.file_size > MAX_METADATA:
                return f"{EGG_METADATA} larger than {MAX_METADATA} bytes"
            with archive.open(info) as member:
                return member.read(MAX_METADATA + 1)[:MAX_METADATA]
    except KeyError:
        return f"egg without {EGG_METADATA}"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        return f"unreadable egg: {error}"


def parse_metadata(entry: FileEntry, found_by: str) -> Package | str | None:
    """A Package, None for the interpreter's own record, or the reason the file could not be read."""
    if entry.path.endswith(".egg"):
        found = _zipped_egg_metadata(entry)
        if isinstance(found, str):
            return found
        data = found
    elif entry.size > MAX_METADATA:
        return f"metadata file larger than {MAX_METADATA} bytes"
    else:
        data = entry.read()
    if b"\x00" in data[:4096]:
        return "not a metadata file (binary content)"
    from packaging.metadata import parse_email  # 30 ms to import: only when a layer has Python metadata

    raw, _unparsed = parse_email(data)
    name = (raw.get("name") or "").strip()
    version = (raw.get("version") or "").strip()
    if not name or not version:
        return "core metadata without Name or Version"
    if any(c.isspace() for c in version) or any(c.isspace() for c in name):
        return f"malformed Name or Version: {name!r} {version!r}"
    if name.lower() in INTERPRETER_NAMES:
        return None
    return Package(
        name=name,
        version=version,
        type="python",
        found_by=found_by,
        purl=pypi_purl(name, version),
        locations=(Location(entry.path, entry.layer_index),),
        licenses=licenses_from(raw),
        layer_index=entry.layer_index,
    )


class PythonCataloger(Cataloger):
    name = "python"
    version = 2
    globs = ("**/*.dist-info/METADATA", "**/*.egg-info/PKG-INFO", "**/*.egg-info", "**/*.egg/EGG-INFO/PKG-INFO",
             "**/*.egg")  # fmt: skip

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            found = parse_metadata(entry, self.name)
            if isinstance(found, Package):
                packages.append(found)
            elif found is not None:
                unknowns.append(Unknown(entry.path, found, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))

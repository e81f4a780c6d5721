"""Installed Ruby gems: the specifications/*.gemspec files RubyGems writes (Ruby DSL, read with patterns, no Ruby)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import gem_purl
from seawall.model.sbom import Location, Package, Unknown

MAX_GEMSPEC = 1024 * 1024
_QUOTED = r"""["']([^"']+)["'](?:\.freeze)?"""
_NAME = re.compile(r"^\s*\w+\.name\s*=\s*" + _QUOTED, re.M)
_VERSION = re.compile(r"^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?" + _QUOTED, re.M)
_LICENSES = re.compile(r"^\s*\w+\.licenses?\s*=\s*(\[[^\]]*\]|" + _QUOTED + ")", re.M)
_STUB = re.compile(r"^# stub: (\S+) (\S+)", re.M)  # `# stub: rake 13.0.6 ruby lib`
_STRING = re.compile(r"""["']([^"']+)["']""")


def parse_gemspec(entry: FileEntry, found_by: str) -> Package | str:
    if entry.size > MAX_GEMSPEC:
        return f"gemspec larger than {MAX_GEMSPEC} bytes"
    text = entry.read().decode("utf-8", errors="replace")
    name_match, version_match = _NAME.search(text), _VERSION.search(text)
    stub = _STUB.search(text)
    name = name_match.group(1) if name_match else (stub.group(1) if stub else None)
    version = version_match.group(1) if version_match else (stub.group(2) if stub else None)
    if not name or not version:
        return "gemspec without a name or version assignment"
    licenses: tuple[str, ...] = ()
    if license_match := _LICENSES.search(text):
        licenses = tuple(_STRING.findall(license_match.group(1)))
    return Package(
        name=name,
        version=version,
        type="gem",
        found_by=found_by,
        purl=gem_purl(name, version),
        locations=(Location(entry.path, entry.layer_index),),
        licenses=licenses,
        layer_index=entry.layer_index,
    )


class GemCataloger(Cataloger):
    name = "gem"
    version = 1
    globs = ("**/specifications/*.gemspec", "**/specifications/default/*.gemspec")  # default: bundled with Ruby

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            found = parse_gemspec(entry, self.name)
            if isinstance(found, Package):
                packages.append(found)
            else:
                unknowns.append(Unknown(entry.path, found, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))

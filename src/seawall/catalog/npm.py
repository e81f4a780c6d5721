"""Installed Node.js packages: the package.json at the top of each node_modules/<name> (or @scope/<name>)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import npm_purl
from seawall.jsonbound import too_deep
from seawall.model.sbom import Location, Package, Unknown

MAX_PACKAGE_JSON = 4 * 1024 * 1024


def licenses_from(manifest: dict) -> tuple[str, ...]:
    """`"license": "MIT"`, the old `{"type": "MIT"}` object, or the legacy `licenses` array."""
    found: list[str] = []
    for value in (manifest.get("license"), *_as_list(manifest.get("licenses"))):
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
        elif isinstance(value, dict) and isinstance(value.get("type"), str) and value["type"].strip():
            found.append(value["type"].strip())
    return tuple(dict.fromkeys(found))


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def parse_package_json(entry: FileEntry, found_by: str) -> Package | str | None:
    """A Package, a reason the file is unreadable, or None for a manifest that names no package."""
    if entry.size > MAX_PACKAGE_JSON:
        return f"package.json larger than {MAX_PACKAGE_JSON} bytes"
    data = entry.read()
    if too_deep(data):
        return "malformed package.json: nested too deeply"
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        return f"malformed package.json: {error}"
    if not isinstance(manifest, dict):
        return "malformed package.json: not a JSON object"
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return None
    return Package(
        name=name,
        version=version,
        type="npm",
        found_by=found_by,
        purl=npm_purl(name, version),
        locations=(Location(entry.path, entry.layer_index),),
        licenses=licenses_from(manifest),
        layer_index=entry.layer_index,
    )


# Where Debian's node-* packages put modules (no node_modules segment). Listed like every OS-installed language
# package (dist-packages, /usr/share/java, rubygems-integration), and marked as owned by their deb.
DISTRO_MODULE_DIRS = ("/usr/share/nodejs", "/usr/lib/nodejs", "/usr/lib/*/nodejs")


class NpmCataloger(Cataloger):
    name = "npm"
    version = 2
    # One segment after node_modules (or two for @scope): a package's own manifest, not its test fixtures'.
    globs = ("**/node_modules/[!@.]*/package.json", "**/node_modules/@*/*/package.json",
             *(f"{d}/[!@.]*/package.json" for d in DISTRO_MODULE_DIRS),
             *(f"{d}/@*/*/package.json" for d in DISTRO_MODULE_DIRS))

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            found = parse_package_json(entry, self.name)
            if isinstance(found, Package):
                packages.append(found)
            elif isinstance(found, str):
                unknowns.append(Unknown(entry.path, found, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))

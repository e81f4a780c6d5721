"""PHP Composer packages from vendor/composer/installed.json (Composer 1: a list; Composer 2: {"packages": [...]})."""

from __future__ import annotations

import json
from collections.abc import Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import composer_purl
from seawall.jsonbound import too_deep
from seawall.model.sbom import Location, Package, Unknown

MAX_INSTALLED_JSON = 64 * 1024 * 1024


def _licenses(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


class ComposerCataloger(Cataloger):
    name = "composer"
    version = 1
    globs = ("**/vendor/composer/installed.json",)

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            found = self._parse(entry)
            if isinstance(found, str):
                unknowns.append(Unknown(entry.path, found, self.name, entry.layer_index))
            else:
                packages.extend(found)
        return CatalogResult(tuple(packages), tuple(unknowns))

    def _parse(self, entry: FileEntry) -> list[Package] | str:
        if entry.size > MAX_INSTALLED_JSON:
            return f"installed.json larger than {MAX_INSTALLED_JSON} bytes"
        data = entry.read()
        if too_deep(data):
            return "malformed installed.json: nested too deeply"
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            return f"malformed installed.json: {error}"
        items = document.get("packages") if isinstance(document, dict) else document
        if not isinstance(items, list):
            return "installed.json holds neither a package list nor a `packages` key"
        out: list[Package] = []
        for item in items:
            if not isinstance(item, dict):
                continue
            name, version = item.get("name"), item.get("version")
            if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
                continue
            out.append(
                Package(
                    name=name,
                    version=version,
                    type="composer",
                    found_by=self.name,
                    purl=composer_purl(name, version),
                    locations=(Location(entry.path, entry.layer_index),),
                    licenses=_licenses(item.get("license")),
                    layer_index=entry.layer_index,
                )
            )
        return out

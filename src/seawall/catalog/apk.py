"""Alpine packages from the apk database, /lib/apk/db/installed (one `X:value` line per field)."""

from __future__ import annotations

from collections.abc import Sequence

from seawall.catalog.dpkg import paragraph_blocks  # the installed db is blank-line separated, like deb822
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.model.sbom import Location, Package, Unknown

INSTALLED_PATH = "/lib/apk/db/installed"


class ApkFormatError(ValueError):
    """A line or record that is not in the apk installed-database format."""


def parse_record(first: int, lines: list[str], entry: FileEntry, found_by: str) -> Package:
    fields: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    for offset, line in enumerate(lines):
        if len(line) < 2 or line[1] != ":":
            raise ApkFormatError(f"line {first + offset}: not an `X:value` line: {line[:60]!r}")
        key, value = line[0], line[2:]
        if key == "F":
            directory = value.strip("/")
            files.append("/" + directory)
        elif key == "R":
            files.append(f"/{directory}/{value}" if directory else f"/{value}")
        elif key not in fields:
            fields[key] = value
    name, version = fields.get("P", ""), fields.get("V", "")
    if not name or not version:
        raise ApkFormatError(f"line {first}: a record without P (name) or V (version)")
    licenses = tuple(fields["L"].split()) if fields.get("L") else ()
    return Package(
        name=name,
        version=version,
        type="apk",
        found_by=found_by,
        locations=(Location(entry.path, entry.layer_index),),
        licenses=_join_spdx_operators(licenses),
        arch=fields.get("A") or None,
        source_name=fields.get("o") or name,
        source_version=version,
        maintainer=fields.get("m") or None,
        layer_index=entry.layer_index,
        files=tuple(files),
        metadata=tuple(sorted((k, v) for k, v in (("commit", fields.get("c")), ("url", fields.get("U"))) if v)),
    )


def _join_spdx_operators(words: tuple[str, ...]) -> tuple[str, ...]:
    """`L:MIT AND BSD-2-Clause` is one expression; `L:GPL-2.0-only MIT` (older APKBUILDs) lists several."""
    if any(word.upper() in ("AND", "OR", "WITH") for word in words):
        return (" ".join(words),)
    return words


class ApkCataloger(Cataloger):
    name = "apk"
    version = 1
    globs = (INSTALLED_PATH,)
    is_os = True

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            data = entry.read()
            if b"\x00" in data:
                unknowns.append(
                    Unknown(entry.path, "not an apk database (binary content)", self.name, entry.layer_index)
                )
                continue
            problems: list[str] = []
            for first, lines in paragraph_blocks(data.decode("utf-8", errors="replace")):
                try:
                    packages.append(parse_record(first, lines, entry, self.name))
                except ApkFormatError as error:
                    problems.append(str(error))
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                reason = f"malformed apk database: {problems[0]}{more}"
                unknowns.append(Unknown(entry.path, reason, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))

"""OpenWrt packages from opkg's status database, /usr/lib/opkg/status (deb822 paragraphs, as dpkg writes them)."""

from __future__ import annotations

from collections.abc import Sequence

from seawall.catalog.dpkg import ControlError, is_installed, paragraph_blocks, parse_paragraph
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.model.sbom import Location, Package, Unknown

STATUS_PATHS = ("/usr/lib/opkg/status", "/var/lib/opkg/status")


class OpkgCataloger(Cataloger):
    name = "opkg"
    version = 1
    globs = STATUS_PATHS
    is_os = True

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            problems: list[str] = []
            for first, lines in paragraph_blocks(entry.text()):
                try:
                    fields = parse_paragraph(first, lines)
                except ControlError as error:
                    problems.append(str(error))
                    continue
                name, version = fields.get("Package", "").strip(), fields.get("Version", "").strip()
                if not name or not version:
                    problems.append(f"line {first}: a paragraph without Package or Version")
                    continue
                if not is_installed(fields.get("Status"), required=True):
                    continue
                licence = fields.get("License", "").strip()
                packages.append(
                    Package(
                        name=name,
                        version=version,
                        type="opkg",
                        found_by=self.name,
                        locations=(Location(entry.path, entry.layer_index),),
                        licenses=(licence,) if licence else (),
                        arch=fields.get("Architecture", "").strip() or None,
                        layer_index=entry.layer_index,
                    )
                )
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                unknowns.append(Unknown(entry.path, f"malformed opkg status: {problems[0]}{more}", self.name,
                                        entry.layer_index))  # fmt: skip
        return CatalogResult(tuple(packages), tuple(unknowns))

"""The inventory as a terminal table: one row per package, a count per type, then what could not be read."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from seawall.model.sbom import SBOM, Package
from seawall.output.visible import print_visible


def render_table(sbom: SBOM, *, width: int | None = None, color: bool = False) -> str:
    from seawall.output.width import output_width

    width = width or output_width(120)
    console = Console(file=io.StringIO(), width=width, force_terminal=color, no_color=not color, highlight=False,
                      markup=False, emoji=False)  # names and titles come from the image: text, never markup
    image = sbom.image
    title = image.source + (f" ({image.digest})" if image.digest else "")
    if sbom.distro is not None:
        title += f" — {sbom.distro.pretty_name or sbom.distro.namespace}"
    table = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "VERSION", "TYPE", "SOURCE", "LAYER"):
        table.add_column(column, overflow="fold")
    for package in sorted(sbom.packages, key=lambda p: (p.type, p.name, p.version)):
        table.add_row(
            Text(package.name),
            Text(package.version),
            Text(package.type),
            Text(_source(package)),
            Text("" if package.layer_index is None else str(package.layer_index)),
        )
    print_visible(console, table)
    counts = Counter(package.type for package in sbom.packages)
    summary = ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items()))
    print_visible(console, Text(f"{len(sbom.packages)} packages" + (f" ({summary})" if summary else "")))
    if sbom.unknowns:
        print_visible(console, Text(f"{len(sbom.unknowns)} unreadable files:"))
        for unknown in sorted(sbom.unknowns, key=lambda u: u.path):
            print_visible(console, Text(f"  {unknown.path}: {unknown.reason} ({unknown.found_by})"))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def _source(package: Package) -> str:
    """The source package when it differs from the binary: `openssl` or `openssl 3.0.11-1`."""
    if not package.source_name:
        return ""
    same_version = package.source_version in (None, package.version)
    if package.source_name == package.name and same_version:
        return ""
    return package.source_name if same_version else f"{package.source_name} {package.source_version}"

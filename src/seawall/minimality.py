"""How much an image carries beyond its application: size, packages, and whether the final filesystem still has
a shell, a package manager or a compiler (each one more tool for an intruder, and more to patch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seawall.config_checks import layer_facts
from seawall.config_checks.fsfacts import FinalView
from seawall.model.extra import Minimality

if TYPE_CHECKING:
    from seawall.inventory.build import Inventory


def minimality(inventory: Inventory) -> Minimality:
    """From the SBOM and the `FsFactsAnalyzer` results (tools are empty when it did not run)."""
    image = inventory.sbom.image
    facts = layer_facts(inventory)
    view = FinalView(inventory.layers, [f for _, f in facts])
    found: dict[str, set[str]] = {"shell": set(), "package-manager": set(), "compiler": set()}
    for index, result in facts:
        for path, kind in result.get("tools", []):
            if kind in found and view.present(path, index):
                found[kind].add(path)
    files = sum(int(result.get("files", 0)) for _, result in facts) if facts else None
    return Minimality(
        compressed_size=image.size,
        uncompressed_size=inventory.uncompressed_size,
        layers=len(image.layers) or 1,
        packages=len(inventory.sbom.packages),
        files=files,
        shells=tuple(sorted(found["shell"])),
        package_managers=tuple(sorted(found["package-manager"])),
        compilers=tuple(sorted(found["compiler"])),
    )

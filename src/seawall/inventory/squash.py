"""Squash per-layer cataloger results into what the final filesystem holds, and say which layer put it there.

A package survives when the file it was read from is visible in the final view from the layer that read it.
Its origin is the earliest layer from which the same package sat in that file without interruption, so a
package carried through many rewrites of /var/lib/dpkg/status is credited to the layer that installed it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from seawall.catalog.interface import CatalogResult
from seawall.fs.whiteouts import whited_out
from seawall.model.records import evolve
from seawall.model.sbom import Package, Unknown


@dataclass(frozen=True)
class LayerFacts:
    """What squashing needs to know about one layer."""

    index: int
    diff_id: str | None
    created_by: str
    written: frozenset[str]  # cataloged paths this layer wrote
    whiteouts: tuple[str, ...] = ()  # paths this layer deletes from lower layers, with their subtrees
    opaque_dirs: tuple[str, ...] = ()  # directories whose lower contents this layer hides


def deletes(layer: LayerFacts, path: str) -> bool:
    return whited_out(path, layer.whiteouts, layer.opaque_dirs)


def visible_layer(path: str, layers: Sequence[LayerFacts]) -> int | None:
    """Index of the layer whose copy of `path` the final filesystem shows, or None when deleted/absent."""
    for layer in reversed(layers):
        if path in layer.written:
            return layer.index
        if deletes(layer, path):
            return None
    return None


def _identity(package: Package) -> tuple[str, str, str, str | None]:
    return (package.type, package.name, package.version, package.arch)


@dataclass
class Squashed:
    """What the final filesystem holds: packages credited to the layer that installed them, unknowns, file lists."""

    packages: list[Package]
    unknowns: list[Unknown]
    owned_files: dict[str, tuple[str, ...]]


def squash(layers: Sequence[LayerFacts], results: Sequence[Sequence[CatalogResult]]) -> Squashed:
    """`results[i]` holds every cataloger's result for layer i (layers in order, base first)."""
    # path → layer → identities present, to walk a package's history down the stack.
    present: dict[str, dict[int, set[tuple[str, str, str, str | None]]]] = defaultdict(dict)
    for layer, layer_results in zip(layers, results, strict=True):
        for result in layer_results:
            for package in result.packages:
                path = package.locations[0].path if package.locations else ""
                present[path].setdefault(layer.index, set()).add(_identity(package))

    visible_cache: dict[str, int | None] = {}

    def visible(path: str) -> int | None:
        if path not in visible_cache:
            visible_cache[path] = visible_layer(path, layers)
        return visible_cache[path]

    packages: list[Package] = []
    unknowns: list[Unknown] = []
    owned: dict[str, tuple[str, ...]] = {}
    for layer, layer_results in zip(layers, results, strict=True):
        for result in layer_results:
            for name, paths in result.owned_files:
                owned[name] = paths  # a later layer's list for the same package replaces the earlier one
            for unknown in result.unknowns:
                if visible(unknown.path) == layer.index:
                    unknowns.append(unknown)
            for package in result.packages:
                path = package.locations[0].path if package.locations else ""
                if path and visible(path) != layer.index:
                    continue
                origin = _origin(package, path, layer.index, layers, present)
                packages.append(
                    evolve(
                        package,
                        layer_index=origin.index,
                        layer_diff_id=origin.diff_id,
                        created_by=origin.created_by or None,
                    )
                )
    return Squashed(packages, unknowns, owned)


def _origin(
    package: Package,
    path: str,
    top: int,
    layers: Sequence[LayerFacts],
    present: dict[str, dict[int, set[tuple[str, str, str, str | None]]]],
) -> LayerFacts:
    identity = _identity(package)
    history = present.get(path, {})
    origin = layers[top]
    for index in range(top - 1, -1, -1):
        layer = layers[index]
        if path in layer.written:
            if identity in history.get(index, ()):
                origin = layer
                continue
            break
        if deletes(layer, path):
            break
    return origin

"""Go binaries: the toolchain and every module linked in, from the build info the Go linker embeds."""

from __future__ import annotations

import re
from collections.abc import Sequence

from seawall.catalog.go_buildinfo import DEVEL, BuildInfo, BuildInfoError, Module, main_module_version, read_build_info
from seawall.catalog.interface import EXEC_BITS, Cataloger, CatalogResult, FileEntry
from seawall.catalog.purls import golang_purl
from seawall.model.sbom import Location, Package, Unknown

MIN_GO_BINARY = 4 * 1024  # real Go binaries are >= 1 MB; below a few KB nothing can be one
_GO_VERSION = re.compile(r"^go(\d+(?:\.\d+)*)((?:rc|beta)\d+)?")


def stdlib_version(go_version: str) -> str | None:
    """`go1.21.5` → `1.21.5`, `go1.19.8 X:boringcrypto` → `1.19.8`, `go1.22rc1` → `1.22.0-rc1`."""
    match = _GO_VERSION.match(go_version)
    if not match:
        return None
    version, pre = match.group(1), match.group(2)
    if pre:
        version = (version + ".0" if version.count(".") == 1 else version) + "-" + pre
    return version


class GoBinaryCataloger(Cataloger):
    name = "go-binary"
    version = 1

    def wants(self, path: str, mode: int, size: int) -> bool:
        return bool(mode & EXEC_BITS) and MIN_GO_BINARY <= size <= self.max_file_size

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            try:
                with entry.open() as handle:
                    info = read_build_info(handle)
            except BuildInfoError as error:
                unknowns.append(Unknown(entry.path, f"corrupt Go build info: {error}", self.name, entry.layer_index))
                continue
            except OSError as error:
                unknowns.append(Unknown(entry.path, f"unreadable binary: {error}", self.name, entry.layer_index))
                continue
            if info is not None:
                packages.extend(self._packages(entry, info))
        return CatalogResult(tuple(packages), tuple(unknowns))

    def _packages(self, entry: FileEntry, info: BuildInfo) -> list[Package]:
        location = (Location(entry.path, entry.layer_index),)
        common = [("go_toolchain", info.go_version)]
        if info.main is not None:
            common.append(("main_module", info.main.path))
        elif info.path:
            common.append(("main_package", info.path))
        out: list[Package] = []
        if info.main is not None:
            settings = tuple(f"{k}={v}" for k, v in info.settings)
            main, extra = info.main, [*common, ("main", "true"), ("build", " ".join(settings))]
            found = main_module_version(info)
            if found is not None:
                main = Module(main.path, found[0], main.sum, main.replaced_by)
                extra.append(("version_from", found[1]))
            out.append(self._module(main, location, extra))
        out.extend(self._module(dep, location, common) for dep in info.deps)
        version = stdlib_version(info.go_version)
        if version is not None:
            out.append(
                Package(
                    name="stdlib",
                    version=version,
                    type="go-module",
                    found_by=self.name,
                    purl=golang_purl("stdlib", version),
                    locations=location,
                    licenses=("BSD-3-Clause",),
                    layer_index=entry.layer_index,
                    metadata=tuple(sorted(common)),
                )
            )
        return out

    def _module(self, module: Module, location: tuple[Location, ...], extra: list[tuple[str, str]]) -> Package:
        path, version = module.path, module.version
        metadata = list(extra)
        if module.sum:
            metadata.append(("h1", module.sum))
        if module.replaced_by is not None:
            metadata.append(("replaces", f"{module.path}@{module.version}"))
            # A replacement by a local directory has no version: the code is the original module's, patched.
            if module.replaced_by.version and module.replaced_by.version != DEVEL:
                path, version = module.replaced_by.path, module.replaced_by.version
        return Package(
            name=path,
            version=version,
            type="go-module",
            found_by=self.name,
            purl=golang_purl(path, None if version == DEVEL else version),
            locations=location,
            layer_index=location[0].layer_index,
            metadata=tuple(sorted(metadata)),
        )

"""The contract between the layer filesystem (which does all I/O) and catalogers (which only parse).

The core reads each layer once, hands every cataloger the files of that layer its `globs` (or `wants`) select,
and caches the `CatalogResult` under (layer diff_id, cataloger name, cataloger version). Squashing the per-layer
results into the final inventory, and working out which layer introduced each package, is the core's job.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from seawall.fs.globs import compile_globs
from seawall.fs.request import FileEntry
from seawall.model.repository import PackageOrigin, Repository
from seawall.model.sbom import Package, Unknown

EXEC_BITS = 0o111


@dataclass(frozen=True)
class CatalogResult:
    """What one cataloger found in the files of one layer (or of a whole rootfs).

    Each package's first location names the file it was read from; the core keeps a package only while that
    file is visible in the final filesystem. `owned_files` maps an OS package name to the paths it owns, when
    those come from files separate from the package database (dpkg `info/*.list`). `repositories` and `origins`
    describe where the package manager installs from (sources lists, `.repo` files, apk tags) and, where it
    recorded it, which repository each package version came from.
    """

    packages: tuple[Package, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    owned_files: tuple[tuple[str, tuple[str, ...]], ...] = ()
    repositories: tuple[Repository, ...] = ()
    origins: tuple[PackageOrigin, ...] = ()


class Cataloger(ABC):
    """Turns the files it asked for into packages. Never opens a path or a socket itself."""

    name: ClassVar[str]
    version: ClassVar[int]
    globs: ClassVar[tuple[str, ...]] = ()
    # Files above this size are skipped and recorded as unknowns rather than read.
    max_file_size: ClassVar[int] = 256 * 1024 * 1024
    # OS package catalogers describe the distribution's packages; their purls get the distro qualifier later.
    is_os: ClassVar[bool] = False
    _matcher: ClassVar[re.Pattern[str]]
    # True when `wants` never accepts a path `globs` does not match (so the reader may skip asking);
    # set for every cataloger that keeps the default `wants`, declared by those that narrow it.
    wants_only_globbed: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._matcher = compile_globs(getattr(cls, "globs", ()))
        if "wants" not in cls.__dict__ and cls.wants is Cataloger.wants:
            cls.wants_only_globbed = True

    def wants(self, path: str, mode: int, size: int) -> bool:
        """Whether the core should collect this regular file for us. Override for content-typed files."""
        return bool(self._matcher.match(path))

    @abstractmethod
    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        """Parse the collected files of one layer. Bad files become `Unknown`s, never exceptions."""

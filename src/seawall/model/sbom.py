"""What is inside an image: its distribution, packages and the files nobody could read."""

from __future__ import annotations

from dataclasses import dataclass, field

from seawall.model.ecosystem import namespace_version
from seawall.model.image import Image


@dataclass(frozen=True)
class Distro:
    """The distribution an image is built on, as its os-release file states it, and whether it is past end of life."""

    id: str  # os-release ID: debian, ubuntu, alpine, rhel, centos, rocky, almalinux, sles, …
    version_id: str | None = None  # 12, 3.19.1, 22.04, 9.3
    codename: str | None = None  # bookworm, jammy
    name: str | None = None
    pretty_name: str | None = None
    id_like: tuple[str, ...] = ()
    eol: bool | None = None  # past its end-of-life date (None = unknown)
    eol_date: str | None = None

    @property
    def namespace(self) -> str:
        """The advisory namespace packages of this distribution are matched in: debian:12, alpine:3.19."""
        version = namespace_version(self.id, self.version_id or "")
        return f"{self.id}:{version}" if version else self.id


@dataclass(frozen=True)
class Location:
    """Where in the image a package was found and which layer put it there."""

    path: str  # absolute path inside the image, e.g. /var/lib/dpkg/status
    layer_index: int | None = None
    layer_diff_id: str | None = None


@dataclass(frozen=True)
class Package:
    """One installed package: what the cataloger read, where it was found, and the layer that introduced it."""

    name: str
    version: str
    type: str  # a PackageType value (seawall.model.ecosystem): deb, apk, rpm, python, npm, go-module, …
    found_by: str  # cataloger name
    purl: str | None = None
    locations: tuple[Location, ...] = ()
    licenses: tuple[str, ...] = ()
    arch: str | None = None
    source_name: str | None = None  # OS packages: the source package advisories are written against
    source_version: str | None = None
    epoch: int | None = None
    maintainer: str | None = None
    # The layer that introduced this package (the earliest from which it stayed unchanged) and its history line.
    layer_index: int | None = None
    layer_diff_id: str | None = None
    created_by: str | None = None
    owned_by: str | None = None  # purl of the OS package whose files these are (python3-requests from apt)
    files: tuple[str, ...] = field(default=(), compare=False, repr=False)
    metadata: tuple[tuple[str, str], ...] = ()  # ecosystem extras as sorted pairs (go toolchain, main module…)
    # An OS package from another vendor's repository (nginx.org, NodeSource…): the distribution does not judge it.
    vendor: str | None = None
    cpe: str | None = None  # the vendor's CPE 2.3 name, where one can be derived
    # The scan's DB holds advisories for this package's namespace or ecosystem (None: not judged against a DB).
    covered: bool | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type, self.name, self.version)


@dataclass(frozen=True)
class Unknown:
    """A file that should have described packages but could not be read; the scan goes on."""

    path: str
    reason: str
    found_by: str
    layer_index: int | None = None


@dataclass(frozen=True)
class SBOM:
    """What is inside one image: its distribution, every package found, and the files that could not be read."""

    image: Image
    distro: Distro | None
    packages: tuple[Package, ...]
    unknowns: tuple[Unknown, ...] = ()

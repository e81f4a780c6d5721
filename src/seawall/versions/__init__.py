"""Version schemes by name: `scheme_for("deb").compare("1.0-1", "1.0-2") == -1`.

Each scheme parses a version string once into a cached key; the matcher compares keys. Names are the schemes'
own ("dpkg", "rpm", "apk", "pep440", "semver", "maven", "go", "gem", "composer", "cargo", "generic") and the
ecosystems or package types that use them (purl types, OSV ecosystem names, catalog package types), case-insensitively.
"""

from __future__ import annotations

from seawall.errors import InputError
from seawall.model.ecosystem import version_scheme_names
from seawall.versions.apk import ApkScheme
from seawall.versions.cargo import CargoScheme
from seawall.versions.composer import ComposerScheme
from seawall.versions.dpkg import DpkgScheme
from seawall.versions.gem import GemScheme
from seawall.versions.generic import GenericScheme
from seawall.versions.go import GoScheme, go_toolchain_to_semver
from seawall.versions.interface import InvalidVersion, Version, VersionScheme
from seawall.versions.maven import MavenScheme
from seawall.versions.pep440 import Pep440Scheme
from seawall.versions.rpm import RpmScheme
from seawall.versions.semver import SemverScheme

__all__ = [
    "SCHEMES",
    "InvalidVersion",
    "UnknownVersionScheme",
    "Version",
    "VersionScheme",
    "go_toolchain_to_semver",
    "scheme_for",
    "scheme_names",
]


class UnknownVersionScheme(InputError):
    """A scheme or ecosystem name with no version ordering."""


SCHEMES: dict[str, VersionScheme] = {
    s.name: s
    for s in (
        DpkgScheme(),
        RpmScheme(),
        ApkScheme(),
        Pep440Scheme(),
        SemverScheme(),
        MavenScheme(),
        GoScheme(),
        GemScheme(),
        ComposerScheme(),
        CargoScheme(),
        GenericScheme(),
    )
}

# Ecosystem, package-type and distribution names, from the one table of them.
_ALIASES = version_scheme_names()


def scheme_names() -> list[str]:
    """Every name `scheme_for` accepts."""
    return sorted({*SCHEMES, *_ALIASES})


def scheme_for(name: str) -> VersionScheme:
    """The scheme for a scheme, ecosystem or package-type name; raises `UnknownVersionScheme`."""
    key = name.strip().lower()
    scheme = SCHEMES.get(key) or SCHEMES.get(_ALIASES.get(key, ""))
    if scheme is None:
        raise UnknownVersionScheme(
            f"no version scheme is known for {name!r}",
            remedy=f"using one of: {', '.join(scheme_names())}",
        )
    return scheme

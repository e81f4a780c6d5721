"""Version schemes by name: `scheme_for("deb").compare("1.0-1", "1.0-2") == -1`.

Each scheme parses a version string once into a cached key; the matcher compares keys. Names are the schemes'
own ("dpkg", "rpm", "apk", "pep440", "semver", "maven", "go", "gem", "composer", "cargo", "generic") and the
ecosystems or package types that use them (purl types, OSV ecosystem names, catalog package types), case-insensitively.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from seawall.errors import InputError
from seawall.model.ecosystem import version_scheme_names
from seawall.versions.interface import InvalidVersion, Version, VersionScheme

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


# name -> (module, class): a scheme's module is imported when the scheme is first asked for, so a scan of a Debian
# image never loads the Composer, Maven or Cargo rules (and their regular expressions) at start-up.
_SCHEME_CLASSES = {
    "dpkg": ("dpkg", "DpkgScheme"),
    "rpm": ("rpm", "RpmScheme"),
    "apk": ("apk", "ApkScheme"),
    "pep440": ("pep440", "Pep440Scheme"),
    "semver": ("semver", "SemverScheme"),
    "maven": ("maven", "MavenScheme"),
    "go": ("go", "GoScheme"),
    "gem": ("gem", "GemScheme"),
    "composer": ("composer", "ComposerScheme"),
    "cargo": ("cargo", "CargoScheme"),
    "generic": ("generic", "GenericScheme"),
}


class _Schemes(Mapping[str, VersionScheme]):
    """Every scheme by its own name, each made once, on first use."""

    def __init__(self) -> None:
        self._made: dict[str, VersionScheme] = {}

    def __getitem__(self, name: str) -> VersionScheme:
        scheme = self._made.get(name)
        if scheme is None:
            module, cls = _SCHEME_CLASSES[name]
            scheme = self._made[name] = getattr(importlib.import_module(f"seawall.versions.{module}"), cls)()
        return scheme

    def get(self, name: str, default: VersionScheme | None = None) -> VersionScheme | None:  # type: ignore[override]
        return self[name] if name in _SCHEME_CLASSES else default

    def __iter__(self) -> Iterator[str]:
        return iter(_SCHEME_CLASSES)

    def __len__(self) -> int:
        return len(_SCHEME_CLASSES)

    def __contains__(self, name: object) -> bool:
        return name in _SCHEME_CLASSES


SCHEMES: Mapping[str, VersionScheme] = _Schemes()


def go_toolchain_to_semver(name: str) -> str | None:
    """`go1.21.3` → `v1.21.3`, `go1.21rc2` → `v1.21.0-rc.2`; None for anything else (see `versions.go`)."""
    from seawall.versions.go import go_toolchain_to_semver as convert

    return convert(name)


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

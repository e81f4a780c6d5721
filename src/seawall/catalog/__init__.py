"""Filesystem to packages; one module per ecosystem. `CATALOGERS` is the ordered list the core runs.

`CATALOGER_KEYS` names each cataloger's cache key, (name, version), without importing its module: a re-scan whose
layers are all cached looks every result up by these keys and never loads a cataloger. `CATALOGERS` is loaded on
first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from seawall.catalog.interface import Cataloger


class CatalogerKey(NamedTuple):
    """A cataloger's name and version as its class declares them: what its cached results are filed under."""

    name: str
    version: int


# (module, class, name, version) in the order the core runs them. The name and version repeat the class's own, so
# that a cached layer needs no import; a test holds every row to its class (bump both when a cataloger changes).
_REGISTRY: tuple[tuple[str, str, str, int], ...] = (
    ("dpkg", "DpkgCataloger", "dpkg", 2),
    ("apk", "ApkCataloger", "apk", 1),
    ("rpm", "RpmCataloger", "rpm", 2),
    ("rpm_manifest", "RpmManifestCataloger", "rpm-manifest", 1),
    ("opkg", "OpkgCataloger", "opkg", 1),
    ("python", "PythonCataloger", "python", 2),
    ("npm", "NpmCataloger", "npm", 2),
    ("java", "JavaCataloger", "java", 3),
    ("golang", "GoBinaryCataloger", "go-binary", 1),
    ("ruby", "GemCataloger", "gem", 1),
    ("php", "ComposerCataloger", "composer", 1),
    ("pecl", "PeclCataloger", "pecl", 1),
    ("repos", "RepositoryCataloger", "repos", 1),
)

CATALOGER_KEYS: tuple[CatalogerKey, ...] = tuple(CatalogerKey(name, version) for _, _, name, version in _REGISTRY)


def _load() -> list[type[Cataloger]]:
    return [getattr(import_module(f"seawall.catalog.{module}"), cls) for module, cls, _, _ in _REGISTRY]


def __getattr__(name: str) -> list[type[Cataloger]]:
    if name == "CATALOGERS":
        catalogers = _load()
        globals()["CATALOGERS"] = catalogers
        return catalogers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

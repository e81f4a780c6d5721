"""Python package versions (PEP 440), ordered by `packaging.version` — the ordering pip itself uses.

There is no legacy fallback: a string PEP 440 rejects is invalid, so the package's version is unknown.
"""

from __future__ import annotations

from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version as PackagingVersion

from seawall.versions.interface import VersionScheme


class Pep440Scheme(VersionScheme):
    name = "pep440"

    def _make_key(self, text: str) -> PackagingVersion:
        # packaging's Version is itself ordered and hashed through its own key tuple.
        try:
            return PackagingVersion(text)
        except PackagingInvalidVersion:
            raise self.invalid(text, "not a PEP 440 version") from None

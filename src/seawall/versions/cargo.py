"""crates.io versions: SemVer 2.0.0 exactly, as Cargo's `semver` crate parses them.

`MAJOR.MINOR.PATCH[-pre][+build]` with no leading zeros; pre-release identifiers compare numerically when all
digits and in plain ASCII order otherwise (case-sensitive: `Beta` < `alpha`, `r100` < `r2`), numeric before
alphanumeric, a longer list after its prefix, and any pre-release before the release. Build metadata does not
take part in precedence.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?",
    re.ASCII,
)
_RELEASE = ((2, 0),)  # sorts after every pre-release identifier list


class CargoScheme(VersionScheme):
    name = "cargo"

    def _make_key(self, text: str) -> tuple:
        m = _SEMVER.fullmatch(text.strip())
        if not m:
            raise self.invalid(text, "not a SemVer 2.0 version")
        if m[4] is None:
            pre: tuple = _RELEASE
        else:
            pre = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in m[4].split("."))
        return (int(m[1]), int(m[2]), int(m[3]), pre)

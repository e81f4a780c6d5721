"""npm versions: SemVer 2.0 precedence with node-semver's loose parsing (`v`, `=`, spaces, `1.2.3beta`).

Mirrors node-semver's `new SemVer(v, {loose: true})` and `compare`: build metadata is ignored, a numeric
pre-release identifier sorts before an alphanumeric one, and a version without pre-release sorts after any with.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme

MAX_LENGTH = 256  # node-semver's MAX_LENGTH
MAX_SAFE_INTEGER = 2**53 - 1

_NONNUMERIC = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_PRE_ID_LOOSE = rf"(?:{_NONNUMERIC}|\d+)"
_LOOSE = re.compile(
    r"[v=\s]*(\d+)\.(\d+)\.(\d+)"
    rf"(?:-?({_PRE_ID_LOOSE}(?:\.{_PRE_ID_LOOSE})*))?"
    r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?",
    re.ASCII,
)
_NUMERIC = re.compile(r"[0-9]+", re.ASCII)
# A release sorts after every pre-release of the same major.minor.patch.
_RELEASE = ((2,),)
# JavaScript's String.prototype.trim() set, for the characters real versions can carry.
_JS_SPACE = " \t\n\v\f\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(map(chr, range(0x2000, 0x200B)))


def prerelease_key(identifiers: list[str], js_numbers: bool = True) -> tuple:
    """SemVer identifier precedence: numeric ids numerically and first, then ASCII order; longer list wins ties."""
    out: list[tuple[int, int | float | str]] = []
    for ident in identifiers:
        if _NUMERIC.fullmatch(ident):
            n = int(ident)
            # node-semver compares numeric identifiers as JavaScript numbers (doubles).
            out.append((0, float(n) if js_numbers and n > MAX_SAFE_INTEGER else n))
        else:
            out.append((1, ident))
    return tuple(out)


class SemverScheme(VersionScheme):
    name = "semver"

    def _make_key(self, text: str) -> tuple:
        if len(text) > MAX_LENGTH:
            raise self.invalid(text, f"longer than {MAX_LENGTH} characters")
        m = _LOOSE.fullmatch(text.strip(_JS_SPACE))
        if not m:
            raise self.invalid(text, "not a semantic version")
        major, minor, patch = int(m[1]), int(m[2]), int(m[3])
        if max(major, minor, patch) > MAX_SAFE_INTEGER:
            raise self.invalid(text, "a version number is larger than 2^53-1")
        pre = prerelease_key(m[4].split(".")) if m[4] else _RELEASE
        return (major, minor, patch, pre)

"""A SemVer-like ordering for ecosystems without a scheme of their own here (NuGet).

Accepted: an optional `v`, one or more dot-separated numbers (missing ones count as 0, so 1.2 == 1.2.0 and NuGet's
1.2.3.0 == 1.2.3), an optional pre-release (`-rc.1`, or `-beta1`, `.RC1`, `a1` attached as Composer writes them),
and optional `+build` metadata, which does not take part in ordering. Pre-release identifiers compare as SemVer's
do, case-insensitively (NuGet's rule, harmless for the others). Anything else, such as `dev-main`, is invalid.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme

_VERSION = re.compile(
    r"[vV]?(?P<release>[0-9]+(?:\.[0-9]+)*)"
    r"(?:[-.]?(?P<pre>[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?",
    re.ASCII,
)
_IDENT = re.compile(r"[0-9]+|[A-Za-z]+", re.ASCII)
_RELEASE = ((2,),)


class GenericScheme(VersionScheme):
    name = "generic"

    def _make_key(self, text: str) -> tuple:
        m = _VERSION.fullmatch(text.strip())
        if not m:
            raise self.invalid(text, "not a dotted numeric version")
        release = [int(p) for p in m["release"].split(".")]
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        pre = m["pre"]
        if not pre:
            return (tuple(release), _RELEASE)
        # `beta1` splits into `beta`, 1 so that beta2 < beta10, as Composer and most humans expect.
        idents = [(0, int(t)) if t.isdigit() else (1, t.lower()) for t in _IDENT.findall(pre)]
        return (tuple(release), tuple(idents))

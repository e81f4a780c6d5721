"""Go module versions, ordered as golang.org/x/mod/semver.Compare orders them.

Pseudo-versions (v0.0.0-20191109021931-daa7c04131f5, v1.2.4-0.2019…, v1.2.3-pre.0.2019…) are pre-releases and
need no special case: SemVer precedence already puts them where the go command does. `+incompatible` is build
metadata and does not take part in ordering. OSV writes Go versions without the `v`; both spellings are accepted,
and so are toolchain names like `go1.21.3`, which order as the standard library's v1.21.3.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme
from seawall.versions.semver import prerelease_key

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"v({_NUM})(?:\.({_NUM})(?:\.({_NUM})(-{_PRE_ID}(?:\.{_PRE_ID})*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?",
    re.ASCII,
)
_TOOLCHAIN = re.compile(r"go(1(?:\.(?:0|[1-9][0-9]*)){0,2})(?:(alpha|beta|rc)([0-9]+))?", re.ASCII)
_RELEASE = ((2,),)


def go_toolchain_to_semver(name: str) -> str | None:
    """`go1.21.3` → `v1.21.3`, `go1.21rc2` → `v1.21.0-rc.2`, `go1.20` → `v1.20.0`; None for anything else.

    Text after a space (`go1.21.3 X:boringcrypto`) is dropped; `devel` builds have no semantic version.
    """
    m = _TOOLCHAIN.fullmatch(name.strip().split(" ", 1)[0])
    if not m:
        return None
    parts = m[1].split(".")
    parts += ["0"] * (3 - len(parts))
    text = "v" + ".".join(parts)
    if m[2]:
        text += f"-{m[2]}.{m[3]}"
    return text


class GoScheme(VersionScheme):
    name = "go"

    def _make_key(self, text: str) -> tuple:
        candidate = text
        if text.startswith("go"):
            candidate = go_toolchain_to_semver(text) or text
        elif not text.startswith("v"):
            candidate = "v" + text
        m = _SEMVER.fullmatch(candidate)
        if not m:
            raise self.invalid(text, "not a Go module version")
        if m[2] is None or m[3] is None:
            # x/mod/semver accepts the shorthands v1 and v1.2 for v1.0.0 and v1.2.0.
            return (int(m[1]), int(m[2] or 0), 0, _RELEASE)
        pre = prerelease_key(m[4][1:].split("."), js_numbers=False) if m[4] else _RELEASE
        return (int(m[1]), int(m[2]), int(m[3]), pre)

"""Packagist versions, ordered as Composer orders them: `VersionParser::normalize`, then PHP's `version_compare`.

Normalisation gives every version four numbers and one spelled-out stability (`1.0a1` → `1.0.0.0-alpha1`,
`4.4.0_RC1` → `4.4.0.0-RC1`, `2.3.2-p2` → `2.3.2.0-patch2`); version_compare then orders the parts, where
`dev` < `alpha` = `a` < `beta` = `b` < `RC` < a number or the end < `pl` = `p` (`patch`). Branch names (`dev-main`)
have no order and are invalid. Written by hand: no Python library implements Composer's rules.
"""

from __future__ import annotations

import itertools
import re

from seawall.versions.interface import VersionScheme

_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"
_CLASSICAL = re.compile(r"v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?" + _MODIFIER, re.IGNORECASE | re.ASCII)
_DATE = re.compile(r"v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})" + _MODIFIER, re.IGNORECASE | re.ASCII)
_BRANCH = re.compile(r"v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?", re.IGNORECASE | re.ASCII)
_DEV_SUFFIX = re.compile(r"(.*?)[.-]?dev", re.IGNORECASE | re.DOTALL)
_STABILITY_FLAG = re.compile(r"@(?:stable|RC|beta|alpha|dev)\Z", re.IGNORECASE)
_ALIAS = re.compile(r"([^,\s]++) ++as ++([^,\s]++)")
_EXPANDED = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}
# version_compare's special forms, matched as prefixes in this order; anything else ranks below "dev".
_SPECIAL = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5),
            ("p", 5))
_NUMBER = 4  # a numeric part, or the end of the shorter version, against a special form
_END = (_NUMBER, -1)


def normalize(version: str) -> str | None:
    """Composer's VersionParser::normalize, or None where it throws (branch names and garbage included)."""
    version = version.strip()
    if m := _ALIAS.fullmatch(version):
        version = m[1]
    if m := _STABILITY_FLAG.search(version):
        version = version[: m.start()]
    if version.lower().startswith("dev-") or version in ("master", "trunk", "default"):
        return None  # a branch: Composer compares it with nothing
    version = version.split("+", 1)[0] if re.fullmatch(r"[^,\s+]++\+\S++", version) else version
    m = _CLASSICAL.fullmatch(version)
    if m:
        out = m[1] + "".join(m[i] or ".0" for i in (2, 3, 4))
        index = 5
    elif m := _DATE.fullmatch(version):
        out = re.sub(r"\D", ".", m[1])
        index = 2
    else:
        dev = _DEV_SUFFIX.fullmatch(version)
        branch = _BRANCH.fullmatch(dev[1]) if dev else None
        if branch is None:
            return None
        parts = "".join((branch[i] or ".x").replace("*", "x").replace("X", "x") for i in (1, 2, 3, 4))
        return parts.replace("x", "9999999") + "-dev"
    if m[index]:
        if m[index].lower() == "stable":
            return out
        stability = m[index].lower()
        out += "-" + _EXPANDED.get(stability, stability) + (m[index + 1] or "").lstrip(".-")
    if m[index + 2]:
        out += "-dev"
    return out


def _canonical_parts(version: str) -> list[str]:
    """php_canonicalize_version: `-_+` and other non-alphanumerics become '.', digit/non-digit changes split."""
    out = [version[0]]
    for previous, c in itertools.pairwise(version):
        if c in "-_+" or not c.isalnum():
            if out[-1] != ".":
                out.append(".")
        elif (previous.isdigit() != c.isdigit()) and previous != "." and c != ".":
            if out[-1] != ".":
                out.append(".")
            out.append(c)
        else:
            out.append(c)
    return [p for p in "".join(out).split(".") if p]


def _special(form: str) -> int:
    return next((order for name, order in _SPECIAL if form.startswith(name)), -1)


def compare_key(version: str) -> tuple:
    """version_compare as a tuple key; a shorter version ends with a part that ranks as a number would."""
    tokens = []
    for part in _canonical_parts(version):
        if part[0].isdigit():
            digits = re.match(r"\d+", part)
            tokens.append((_NUMBER, int(digits[0]) if digits else 0))
        else:
            tokens.append((_special(part), 0))
    tokens.append(_END)
    return tuple(tokens)


class ComposerScheme(VersionScheme):
    name = "composer"

    def _make_key(self, text: str) -> tuple:
        normalized = normalize(text)
        if normalized is None:
            raise self.invalid(text, "not a Composer version (branch names have no order)")
        return compare_key(normalized)

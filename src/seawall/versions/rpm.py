"""RPM versions ([epoch:]version[-release]), ordered as rpm's rpmvercmp() and rpmverCmp() order them.

rpmvercmp walks both strings segment by segment; every outcome it can reach is a comparison of "what comes
next" in this order: '~' < end of string < '^' < alphabetic run < numeric run. Encoding each segment with that
rank makes the walk a plain tuple comparison, so the key can be cached and used for sorting.
"""

from __future__ import annotations

from seawall.versions.interface import VersionScheme

_TILDE = (0,)
_END = (1,)
_CARET = (2,)
_ALPHA = 3
_NUM = 4
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def vercmp_key(part: str) -> tuple:
    """rpmvercmp() as a tuple key for one of epoch, version or release."""
    tokens: list[tuple] = []
    i, n = 0, len(part)
    while i < n:
        c = part[i]
        if c == "~":
            tokens.append(_TILDE)
            i += 1
        elif c == "^":
            tokens.append(_CARET)
            i += 1
        elif c in _DIGITS:
            start = i
            while i < n and part[i] in _DIGITS:
                i += 1
            tokens.append((_NUM, int(part[start:i])))
        elif c in _ALNUM:
            start = i
            while i < n and part[i] in _ALNUM and part[i] not in _DIGITS:
                i += 1
            tokens.append((_ALPHA, part[start:i]))
        else:
            # Any other character only separates segments.
            i += 1
    tokens.append(_END)
    return tuple(tokens)


def split_evr(text: str) -> tuple[str, str, str | None]:
    """rpm's parseEVR(): leading digits then ':' form the epoch; the last '-' after them starts the release."""
    i = 0
    while i < len(text) and text[i] in _DIGITS:
        i += 1
    if i < len(text) and text[i] == ":":
        epoch, rest = text[:i] or "0", text[i + 1 :]
    else:
        epoch, rest = "0", text
    version, hyphen, release = rest.rpartition("-")
    if not hyphen:
        return epoch, rest, None
    return epoch, version, release


class RpmScheme(VersionScheme):
    """EVR ordering as rpm 4.18's rpmverCmp(): a missing epoch is 0 and a missing release sorts before any release
    (even an empty one). Dependency ranges in rpm ignore a missing release instead; that is not a total order."""

    name = "rpm"

    def _make_key(self, text: str) -> tuple:
        if not text.strip():
            raise self.invalid(text, "version string is empty")
        epoch, version, release = split_evr(text)
        return (int(epoch), vercmp_key(version), () if release is None else vercmp_key(release))

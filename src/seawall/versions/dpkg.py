"""Debian package versions ([epoch:]upstream[-revision]), ordered as `dpkg --compare-versions` orders them.

Written by hand rather than wrapping python-debian's Version: a precomputed tuple key sorts and caches, while
python-debian re-splits both strings with regular expressions on every comparison.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme

_SPACE = b" \t\n\v\f\r"
_EPOCH = re.compile(r"[+-]?[0-9]+\Z")
_INT_MAX = 2**31 - 1
_DIGITS = frozenset(b"0123456789")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# A run that ends before its counterpart compares as "end" (0) against the counterpart's next character.
_PAD = ((0,), 0)


def _order(c: int) -> int:
    # dpkg's order(): '~' before the end of the run, letters before every other character.
    if c in _LETTERS:
        return c
    if c == 0x7E:
        return -1
    return c + 256


def _part_key(part: bytes) -> tuple:
    """verrevcmp() as a tuple: alternating (non-digit run as char orders + end marker, numeric run as int) pairs."""
    pairs = []
    i, n = 0, len(part)
    while i < n:
        start = i
        while i < n and part[i] not in _DIGITS:
            i += 1
        letters = (*(_order(c) for c in part[start:i]), 0)
        start = i
        while i < n and part[i] in _DIGITS:
            i += 1
        pairs.append((letters, int(part[start:i]) if i > start else 0))
    # verrevcmp reads past the end of the shorter part as empty runs (_PAD). Trailing _PADs go (so "" == "0"); a
    # _PAD can otherwise only be the first pair (a part starting with zeros, "0~deb12u1"), so two _PADs at the end
    # compare with whatever the other part holds at that position exactly as the endless padding would.
    while pairs and pairs[-1] == _PAD:
        pairs.pop()
    pairs += (_PAD, _PAD)
    return tuple(pairs)


class DpkgScheme(VersionScheme):
    name = "dpkg"

    def _make_key(self, text: str) -> tuple:
        raw = text.encode("utf-8", "surrogatepass").strip(_SPACE)
        if not raw:
            raise self.invalid(text, "version string is empty")
        if any(c in _SPACE for c in raw):
            raise self.invalid(text, "version string has embedded spaces")
        colon = raw.find(b":")
        epoch = 0
        if colon >= 0:
            epoch_text = raw[:colon].decode("ascii", "replace")
            if not epoch_text:
                raise self.invalid(text, "epoch in version is empty")
            if not _EPOCH.match(epoch_text):
                raise self.invalid(text, "epoch in version is not number")
            epoch = int(epoch_text)
            if epoch < 0:
                raise self.invalid(text, "epoch in version is negative")
            if epoch > _INT_MAX:
                raise self.invalid(text, "epoch in version is too big")
            raw = raw[colon + 1 :]
            if not raw:
                raise self.invalid(text, "nothing after colon in version number")
        upstream, hyphen, revision = raw.rpartition(b"-")
        if not hyphen:
            upstream, revision = raw, b""
        elif not revision:
            # dpkg --compare-versions refuses it too (exit status 2): the version is unknown, never "not affected".
            raise self.invalid(text, "revision number is empty")
        if not upstream:
            raise self.invalid(text, "version number is empty")
        return (epoch, _part_key(upstream), _part_key(revision))

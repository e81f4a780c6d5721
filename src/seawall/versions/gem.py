"""RubyGems versions, ordered as Gem::Version#<=> orders them.

A version is split into numeric and alphabetic segments; any letter makes it a pre-release (`1.0.a` < `1.0`),
`-` stands for `.pre.`, and trailing zeros of the release part and of the pre-release part are dropped.
"""

from __future__ import annotations

import re

from seawall.versions.interface import VersionScheme

_PATTERN = re.compile(r"[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?", re.ASCII)
_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.ASCII | re.IGNORECASE)
_RUBY_SPACE = " \t\n\v\f\r\0"

# Segments are compared as if the shorter list were padded with zeros, and a string sorts before any number.
# A zero therefore carries the sign of the next non-zero segment, and the end of the list is a plain zero.
_ZERO_THEN_LOWER = (1, 0, -1)
_ZERO_THEN_HIGHER = (1, 0, 1)
_END = (1, 0, 0)


def _drop_trailing_zeros(segments: list[int | str]) -> list[int | str]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


def canonical_segments(version: str) -> list[int | str]:
    """Gem::Version#canonical_segments for an already validated, stripped, `-`-replaced version."""
    segments: list[int | str] = [int(s) if s[0].isdigit() else s for s in _SEGMENT.findall(version)]
    first_string = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    return _drop_trailing_zeros(segments[:first_string]) + _drop_trailing_zeros(segments[first_string:])


class GemScheme(VersionScheme):
    name = "gem"

    def _make_key(self, text: str) -> tuple:
        stripped = text.strip(_RUBY_SPACE)
        if not stripped:
            # RubyGems reads a blank version as "0"; for a scanner a blank version is an unknown one.
            raise self.invalid(text, "version string is empty")
        if not _PATTERN.fullmatch(stripped):
            raise self.invalid(text, "malformed version number string")
        segments = _drop_trailing_zeros(canonical_segments(stripped.replace("-", ".pre.")))
        key: list[tuple] = []
        for i, seg in enumerate(segments):
            if isinstance(seg, str):
                key.append((0, seg))
            elif seg:
                key.append((1, seg, 0))
            else:
                following = next(s for s in segments[i + 1 :] if s != 0)
                key.append(_ZERO_THEN_LOWER if isinstance(following, str) else _ZERO_THEN_HIGHER)
        key.append(_END)
        return tuple(key)

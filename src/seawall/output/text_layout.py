"""Text laid out as rich lays it out, for the plain-text scan table (`scan_table_text`, `scan_extra_text`): word
wrapping and folding (rich's `divide_line`), truncation with an ellipsis, table cells. Only for text whose every
character is one cell wide; anything else raises `Unsupported`, and the caller leaves the report to rich."""

from __future__ import annotations

import re
from itertools import pairwise

# One cell each in rich's measure, like printable ASCII; any other character sends the report to rich.
_NARROW = re.compile(r"[ -~…—·†‡\n]*\Z")
_WORD = re.compile(r"\s*\S+\s*")  # rich's word: leading blanks, the word, trailing blanks


class Unsupported(Exception):
    """Something rich lays out in a way this module does not reproduce."""


def check(text: str) -> str:
    if not _NARROW.match(text):
        raise Unsupported
    return text


def divide_line(text: str, width: int, fold: bool) -> list[int]:
    """rich's `_wrap.divide_line` for text whose every character is one cell wide."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if fold:
                chunks = [word[i:i + width] for i in range(0, len(word), width)]
                for index, chunk in enumerate(chunks):
                    if start:
                        breaks.append(start)
                    if index == len(chunks) - 1:
                        offset = len(chunk)
                    else:
                        start += len(chunk)
            else:
                if start:
                    breaks.append(start)
                offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def truncate(text: str, width: int, ellipsis: bool) -> str:
    if len(text) > width:
        return text[:max(width - 1, 0)] + "…" if ellipsis else text[:width]
    return text


def fold(line: str, width: int) -> list[str]:
    """One line word-wrapped, long words folded, as rich's `Text.wrap` cuts it (before justification)."""
    out = []
    cuts = [0, *divide_line(line, width, fold=True), len(line)]
    for start, end in pairwise(cuts):
        piece = line[start:end]
        if len(piece) > width:  # trailing blanks past the width go first (rich's `rstrip_end`)
            piece = piece[:len(piece) - min(len(piece) - len(piece.rstrip()), len(piece) - width)]
        out.append(truncate(piece, width, ellipsis=False))
    return out


def wrapped(text: str, width: int) -> list[str]:
    """A top-level `Text` (fold overflow, no justification) as rich prints it."""
    return [piece for line in check(text).split("\n") for piece in fold(line, width)]


def cell(text: str, width: int, *, wrap: bool, right: bool = False) -> list[str]:
    """One table cell's lines, `width` wide: no_wrap cells end in an ellipsis, wrapped ones fold long words."""
    if "\n" in check(text):
        raise Unsupported
    if not wrap:
        if right:
            return [truncate(text.rstrip(), width, ellipsis=True).rjust(width)]
        return [truncate(text, width, ellipsis=True).ljust(width)]
    return [piece.ljust(width) for piece in fold(text, width)]

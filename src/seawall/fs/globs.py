"""Compile the path patterns catalogers declare into one matcher.

Patterns are absolute image paths with shell wildcards: `*` and `?` stay within one path segment,
`**/` matches any number of whole segments (including none). Example: `**/site-packages/*.dist-info/METADATA`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def glob_to_regex(pattern: str) -> str:
    # fnmatch lets `*` cross `/`, which would make `/usr/lib/*.so` match every nested file: write our own.
    if not pattern.startswith("/") and not pattern.startswith("**"):
        pattern = "/" + pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                out.append(pattern[i : end + 1].replace("[!", "[^"))
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    body = "".join(out)
    if body.startswith("(?:.*/)?"):
        body = "/" + body  # every path is absolute; `**/x` must still match `/x`
    return body


def compile_globs(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of the patterns against a whole absolute path."""
    return _compiled(tuple(patterns))


@lru_cache(maxsize=1024)  # the secret scanner asks again for every image a fleet worker scans
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    parts = [glob_to_regex(p) for p in patterns]
    if not parts:
        return re.compile(r"(?!)")
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in parts) + r")\Z")


_WILDCARD = re.compile(r"[*?\[\]]")


def literal_ends(patterns: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tails, heads): every path one of the patterns matches ends with one of the tails or starts with one of the
    heads. A pattern ending in literal text gives its tail, others their literal head. Checking these with
    str.endswith/startswith first spares the regex, which backtracks over every `**/`, for most paths."""
    tails: set[str] = set()
    heads: set[str] = set()
    for pattern in patterns:
        if not pattern.startswith("/") and not pattern.startswith("**"):
            pattern = "/" + pattern
        pieces = _WILDCARD.split(pattern)
        if pieces[-1]:
            tails.add(pieces[-1])
        else:
            heads.add(pieces[0])
    return tuple(sorted(tails)), tuple(sorted(heads))

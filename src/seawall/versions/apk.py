"""Alpine package versions (digits{.digits}[letter]{_suffix[N]}[-rN]), ordered as apk-tools orders them.

This follows apk-tools' tokenizer (version.c: get_token/next_token) and turns its comparison loop into a tuple:
each token's value, then a rank for the kind of token that follows. apk-tools decides a tie between different
following kinds by fixed rules (a pre-release suffix sorts first, then the end, -rN, a suffix number, a
post-release suffix, a letter, a digit run, a '.' run); the rank encodes exactly those rules. Numbers are compared
at full size, where apk-tools 2 keeps them in a C int.
"""

from __future__ import annotations

from seawall.versions.interface import VersionScheme

# apk-tools token kinds, numbered as in version.c: the order matters for the "tokens only move forward" rule.
_INVALID = -1
_DIGIT_OR_ZERO = 0
_DIGIT = 1
_LETTER = 2
_SUFFIX = 3
_SUFFIX_NO = 4
_REVISION_NO = 5
_END = 6

_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")
_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")

# Rank of the kind of the next token, ascending = the version sorts lower when tokens so far are equal.
_RANK = {
    _END: 1,
    _REVISION_NO: 2,
    _SUFFIX_NO: 3,
    _SUFFIX: 4,  # post-release suffix; a pre-release one ranks 0
    _LETTER: 5,
    _DIGIT: 6,
    _DIGIT_OR_ZERO: 7,
    _INVALID: 8,
}
_ALLOWED_BACKWARDS = {(_DIGIT_OR_ZERO, _DIGIT), (_SUFFIX, _SUFFIX_NO), (_DIGIT, _LETTER)}


def _next_kind(kind: int, text: str, pos: int) -> tuple[int, int]:
    """next_token(): the kind of the token starting at `pos`, and where its value starts."""
    if pos >= len(text):
        return _END, pos
    c = text[pos]
    if kind in (_DIGIT, _DIGIT_OR_ZERO) and c in _LOWER:
        new = _LETTER
    elif kind == _LETTER and c in _DIGITS:
        new = _DIGIT
    elif kind == _SUFFIX and c in _DIGITS:
        new = _SUFFIX_NO
    else:
        if c == ".":
            new = _DIGIT_OR_ZERO
        elif c == "_":
            new = _SUFFIX
        elif c == "-" and pos + 1 < len(text) and text[pos + 1] == "r":
            new = _REVISION_NO
            pos += 1
        else:
            new = _INVALID
        pos += 1
    if new < kind and (new, kind) not in _ALLOWED_BACKWARDS:
        new = _INVALID
    return new, pos


def _read_number(text: str, pos: int) -> tuple[int, int]:
    end = pos
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    return (int(text[pos:end]) if end > pos else 0), end


def tokens(text: str) -> list[tuple[int, int]]:
    """get_token() repeated: (kind, value) pairs, ending with an _END or _INVALID kind (value 0)."""
    out: list[tuple[int, int]] = []
    kind, pos = _DIGIT, 0
    while kind not in (_END, _INVALID):
        forced = None
        value: int | None
        if kind == _DIGIT_OR_ZERO and pos < len(text) and text[pos] == "0":
            # Leading zeros after a dot compare as a fraction: each extra zero sorts lower.
            end = pos
            while end < len(text) and text[end] == "0":
                end += 1
            value, forced = -(end - pos), _DIGIT
            pos = end
        elif kind in (_DIGIT_OR_ZERO, _DIGIT, _SUFFIX_NO, _REVISION_NO):
            value, pos = _read_number(text, pos)
        elif kind == _LETTER:
            value, pos = ord(text[pos]), pos + 1
        else:  # _SUFFIX
            value = None
            for i, name in enumerate(_PRE_SUFFIXES):
                if text.startswith(name, pos):
                    value, pos = i - len(_PRE_SUFFIXES), pos + len(name)
                    break
            else:
                for i, name in enumerate(_POST_SUFFIXES):
                    if text.startswith(name, pos):
                        value, pos = i, pos + len(name)
                        break
            if value is None:
                out.append((_INVALID, 0))
                return out
        out.append((kind, value))
        if pos >= len(text):
            kind = _END
        elif forced is not None:
            kind = forced
        else:
            kind, pos = _next_kind(kind, text, pos)
    out.append((kind, 0))
    return out


def is_valid(text: str) -> bool:
    """apk_version_validate(): the tokenizer reaches the end without an invalid token."""
    return bool(text) and tokens(text)[-1][0] == _END


class ApkScheme(VersionScheme):
    """apk ordering for versions apk-tools accepts; versions it would reject raise InvalidVersion."""

    name = "apk"

    def _make_key(self, text: str) -> tuple:
        if not text:
            raise self.invalid(text, "version string is empty")
        toks = tokens(text)
        if toks[-1][0] != _END:
            raise self.invalid(text, "apk-tools rejects it")
        key: list[int] = []
        for i, (kind, value) in enumerate(toks):
            if i:
                rank = 0 if kind == _SUFFIX and value < 0 else _RANK[kind]
                key.append(rank)
            if kind != _END:
                key.append(value)
        return tuple(key)

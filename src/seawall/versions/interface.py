"""The contract every version scheme meets: parse a version string once, then compare through a cached key."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from seawall.errors import InputError

# Real versions are short; a bound keeps hostile input from filling the key cache or the int parser.
MAX_VERSION_LENGTH = 1024


class InvalidVersion(InputError):
    """A version string the scheme cannot order; callers treat the package's version as unknown."""

    def __init__(self, scheme: str, text: object, reason: str = "") -> None:
        shown = text if isinstance(text, str) else repr(text)
        if isinstance(shown, str) and len(shown) > 80:
            shown = shown[:77] + "..."
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"{shown!r} is not a valid {scheme} version{detail}",
            remedy=f"checking the version string, or record the package's version as unknown for {scheme} matching",
        )
        self.scheme = scheme
        self.text = text
        self.reason = reason


class Version:
    """A parsed version: ordered, equal and hashed through its scheme's key; never comparable across schemes."""

    __slots__ = ("key", "scheme", "text")

    def __init__(self, scheme: str, text: str, key: Any) -> None:
        self.scheme = scheme
        self.text = text
        self.key = key

    def _other_key(self, other: object) -> Any:
        if isinstance(other, Version) and other.scheme == self.scheme:
            return other.key
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        k = self._other_key(other)
        return k if k is NotImplemented else self.key < k

    def __le__(self, other: object) -> bool:
        k = self._other_key(other)
        return k if k is NotImplemented else self.key <= k

    def __gt__(self, other: object) -> bool:
        k = self._other_key(other)
        return k if k is NotImplemented else self.key > k

    def __ge__(self, other: object) -> bool:
        k = self._other_key(other)
        return k if k is NotImplemented else self.key >= k

    def __eq__(self, other: object) -> bool:
        k = self._other_key(other)
        return k if k is NotImplemented else self.key == k

    def __hash__(self) -> int:
        return hash((self.scheme, self.key))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.scheme!r}, {self.text!r})"


class VersionScheme(ABC):
    """One ecosystem's ordering. Subclasses implement `_make_key`; everything else is shared and cached."""

    name: str = ""

    def __init__(self, cache_size: int = 1 << 16) -> None:
        self._cached_key = functools.lru_cache(maxsize=cache_size)(self._checked_key)

    @abstractmethod
    def _make_key(self, text: str) -> Any:
        """A totally ordered, hashable key for `text`; raise `InvalidVersion` when the scheme rejects it."""

    def _checked_key(self, text: str) -> Any:
        if len(text) > MAX_VERSION_LENGTH:
            raise InvalidVersion(self.name, text, f"longer than {MAX_VERSION_LENGTH} characters")
        return self._make_key(text)

    def invalid(self, text: object, reason: str = "") -> InvalidVersion:
        return InvalidVersion(self.name, text, reason)

    def key(self, text: str) -> Any:
        """Sort key for `text` (cached); raises `InvalidVersion`."""
        if not isinstance(text, str):
            raise self.invalid(text, "not a string")
        return self._cached_key(text)

    def parse(self, text: str) -> Version:
        return Version(self.name, text, self.key(text))

    def try_parse(self, text: str) -> Version | None:
        """The parsed version, or None when the scheme cannot order it (the package's version is unknown)."""
        try:
            return self.parse(text)
        except InvalidVersion:
            return None

    def is_valid(self, text: str) -> bool:
        return self.try_parse(text) is not None

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as `a` sorts before, with, or after `b`; raises `InvalidVersion` for either side."""
        ka = self.key(a)
        kb = self.key(b)
        return (ka > kb) - (ka < kb)

    def sorted(self, versions: Iterable[str]) -> list[str]:
        """Stable ascending sort; versions equal under the scheme keep their input order."""
        return sorted(versions, key=self.key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

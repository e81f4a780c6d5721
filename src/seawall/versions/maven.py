"""Maven versions, ordered as Maven's ComparableVersion (maven-artifact 3.8) orders them.

ComparableVersion is not a total order at its edges ("null" padding equals 0, "" and an empty sub-list, which
differ from each other), so no flat tuple reproduces it; the key is the parsed item tree, compared by a port of
Item.compareTo and hashed by the canonical form, as ComparableVersion's own equals() is.
"""

from __future__ import annotations

from seawall.versions.interface import VersionScheme

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE_INDEX = str(_QUALIFIERS.index(""))
_SHORT_QUALIFIERS = {"a": "alpha", "b": "beta", "m": "milestone"}

# Item kinds, ordered as ComparableVersion orders items of different kinds: string < list < number.
_STRING = 0
_LIST = 1
_NUMBER = 2


def _comparable_qualifier(value: str) -> str:
    try:
        return str(_QUALIFIERS.index(value))
    except ValueError:
        return f"{len(_QUALIFIERS)}-{value}"


class _Str:
    __slots__ = ("comparable", "value")

    def __init__(self, value: str, followed_by_digit: bool) -> None:
        if followed_by_digit and len(value) == 1:
            value = _SHORT_QUALIFIERS.get(value, value)
        self.value = _ALIASES.get(value, value)
        self.comparable = _comparable_qualifier(self.value)

    def is_null(self) -> bool:
        return self.comparable == _RELEASE_INDEX

    def __str__(self) -> str:
        return self.value


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def _compare(left: object, right: object) -> int:
    """Item.compareTo: items are int (number), _Str (qualifier) or list (sub-list); None is the padding item."""
    if right is None:
        if isinstance(left, int):
            return 1 if left else 0
        if isinstance(left, _Str):
            return _cmp(left.comparable, _RELEASE_INDEX)
        for item in left:  # type: ignore[attr-defined]
            result = _compare(item, None)
            if result:
                return result
        return 0
    lk = _NUMBER if isinstance(left, int) else _STRING if isinstance(left, _Str) else _LIST
    rk = _NUMBER if isinstance(right, int) else _STRING if isinstance(right, _Str) else _LIST
    if lk != rk:
        return -1 if lk < rk else 1
    if lk == _NUMBER:
        return _cmp(left, right)
    if lk == _STRING:
        return _cmp(left.comparable, right.comparable)  # type: ignore[attr-defined]
    return _compare_lists(left, right)  # type: ignore[arg-type]


def _compare_lists(left: list, right: list) -> int:
    for i in range(max(len(left), len(right))):
        lv = left[i] if i < len(left) else None
        rv = right[i] if i < len(right) else None
        # A shorter list is padded with "null", compared from the other side.
        result = (0 if rv is None else -_compare(rv, None)) if lv is None else _compare(lv, rv)
        if result:
            return result
    return 0


def _is_null(item: object) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, _Str):
        return item.is_null()
    return not item


def _normalize(items: list) -> None:
    # Trailing "null" items (0, "", empty list) are dropped, looking through trailing sub-lists.
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif not isinstance(items[i], list):
            break


def _parse_item(is_digit: bool, buf: str) -> int | _Str:
    return int(buf) if is_digit else _Str(buf, False)


def parse_items(version: str) -> list:
    """ComparableVersion.parseVersion (maven-artifact 3.8): the normalized item tree."""
    version = version.lower()
    items: list = []
    current = items
    stack = [items]
    is_digit = False
    start = 0

    def open_sublist() -> None:
        nonlocal current
        sub: list = []
        current.append(sub)
        current = sub
        stack.append(sub)

    for i, c in enumerate(version):
        if c in ".-":
            current.append(0 if i == start else _parse_item(is_digit, version[start:i]))
            start = i + 1
            if c == "-":
                open_sublist()
        elif c.isdecimal():
            if not is_digit and i > start:
                # A qualifier followed by digits (rc1) starts its own sub-list unless the list is still empty.
                if current:
                    open_sublist()
                current.append(_Str(version[start:i], True))
                start = i
                open_sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(_parse_item(True, version[start:i]))
                start = i
                open_sublist()
            is_digit = False
    if len(version) > start:
        if not is_digit and current:
            open_sublist()
        current.append(_parse_item(is_digit, version[start:]))
    while stack:
        _normalize(stack.pop())
    return items


def canonical(items: list) -> str:
    parts: list[str] = []
    for item in items:
        if parts:
            parts.append("-" if isinstance(item, list) else ".")
        parts.append(canonical(item) if isinstance(item, list) else str(item))
    return "".join(parts)


class MavenKey:
    """Sort key for one Maven version: ordered by ComparableVersion.compareTo, equal and hashed by canonical form."""

    __slots__ = ("canonical", "items")

    def __init__(self, items: list) -> None:
        self.items = items
        self.canonical = canonical(items)

    def compare(self, other: MavenKey) -> int:
        # No shortcut on equal canonical forms: "1--1" and "1.0-1" share one but compareTo() orders them.
        return _compare_lists(self.items, other.items)

    def __lt__(self, other: MavenKey) -> bool:
        return self.compare(other) < 0

    def __le__(self, other: MavenKey) -> bool:
        return self.compare(other) <= 0

    def __gt__(self, other: MavenKey) -> bool:
        return self.compare(other) > 0

    def __ge__(self, other: MavenKey) -> bool:
        return self.compare(other) >= 0

    def __eq__(self, other: object) -> bool:
        # ComparableVersion.equals(): same canonical form (compareTo can be 0 for two different forms).
        return isinstance(other, MavenKey) and self.canonical == other.canonical

    def __hash__(self) -> int:
        return hash(self.canonical)

    def __repr__(self) -> str:
        return f"MavenKey({self.canonical!r})"


class MavenScheme(VersionScheme):
    name = "maven"

    def _make_key(self, text: str) -> MavenKey:
        # ComparableVersion accepts any string; only blank ones are refused here, as they name no version.
        if not text.strip():
            raise self.invalid(text, "version string is empty")
        return MavenKey(parse_items(text))

"""One malformed record in a feed costs only itself: it is skipped with its reason, the rest of the feed loads.

Feeds are hostile input like images: a value of the wrong JSON type anywhere in a record (a list where the
vendor's schema says string) must neither stop the update with a traceback nor reach the DB as a mis-typed row.
Each record a parser makes is therefore checked against its dataclass's annotations before it is yielded.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Any, TypeVar

from seawall.errors import SeawallError
from seawall.jsonbound import MALFORMED
from seawall.model.vuln import Skipped

T = TypeVar("T")
PARSE_ERRORS = MALFORMED


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is NoneType or hint is None:
        return value is None
    if hint is Any:
        return True
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(item, args[0]) for item in value)
        return len(args) == len(value) and all(_fits(v, a) for v, a in zip(value, args, strict=True))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return isinstance(value, hint)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and problem(value) is None
    if isinstance(hint, type) and hasattr(hint, "_fields"):  # a NamedTuple
        return isinstance(value, hint) and all(_fits(getattr(value, f), h) for f, h in _hints(hint).items())
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def problem(record: Any) -> str | None:
    """The first field of a record dataclass whose value is not of its annotated type, or None."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        return None
    hints = _hints(type(record))
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and (inner := problem(value)):
            return inner.replace("field ", f"field {item.name}.", 1)
        if not _fits(value, hints[item.name]):
            return f"field {item.name} is a {type(value).__name__}"
    return None


def checked(records: Iterable[Any], origin: str) -> Iterator[Any]:
    """`records` with each mis-typed one replaced by a Skipped naming the field."""
    for record in records:
        wrong = problem(record)
        yield record if wrong is None else Skipped(f"malformed record ({wrong})", origin)


def each(items: Iterable[T], parse: Callable[[T], Iterable[Any]], origin: Callable[[T], str]) -> Iterator[Any]:
    """`parse(item)` for every item, isolating a failure to that item (a Skipped naming the error's type)."""
    for item in items:
        try:
            records = list(parse(item))
        except SeawallError:
            raise
        except PARSE_ERRORS as err:
            yield Skipped(f"malformed record ({type(err).__name__})", _safe(origin, item))
            continue
        yield from checked(records, _safe(origin, item))


def _safe(origin: Callable[[T], str], item: T) -> str:
    try:
        return str(origin(item))[:200]
    except PARSE_ERRORS:
        return ""

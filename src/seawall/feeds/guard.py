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


@cache
def _checker(hint: Any) -> Callable[[Any], bool]:
    """A test for values of `hint`, built once per hint: records are checked by the hundred thousand, and
    inspecting the annotation for each value cost more than parsing the feed."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, UnionType):
        arms = tuple(_checker(arm) for arm in typing.get_args(hint))
        return lambda value: any(arm(value) for arm in arms)
    if hint is NoneType or hint is None:
        return lambda value: value is None
    if hint is Any:
        return lambda value: True
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return lambda value: isinstance(value, tuple) and all(item(v) for v in value)
        items = tuple(_checker(arg) for arg in args)
        return lambda value: (isinstance(value, tuple) and len(value) == len(items)
                              and all(check(v) for check, v in zip(items, value, strict=True)))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return lambda value: isinstance(value, hint)
    if hint is float:
        return lambda value: isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: isinstance(value, hint) and problem(value) is None
    if isinstance(hint, type) and hasattr(hint, "_fields"):  # a NamedTuple
        fields = tuple((name, _checker(h)) for name, h in _hints(hint).items())
        return lambda value: isinstance(value, hint) and all(check(getattr(value, n)) for n, check in fields)
    if isinstance(hint, type):
        return lambda value: isinstance(value, hint)
    return lambda value: True


def _fits(value: Any, hint: Any) -> bool:
    return _checker(hint)(value)


@cache
def _plan(cls: type) -> tuple[tuple[str, Callable[[Any], bool]], ...]:
    hints = _hints(cls)
    return tuple((item.name, _checker(hints[item.name])) for item in dataclasses.fields(cls))


def problem(record: Any) -> str | None:
    """The first field of a record dataclass whose value is not of its annotated type, or None."""
    cls = type(record)
    if not hasattr(cls, "__dataclass_fields__") or isinstance(record, type):
        return None
    for name, check in _plan(cls):  # type: ignore[arg-type]  # classes hash; mypy cannot tell for type[Any]
        value = getattr(record, name)
        if check(value):
            continue
        inner = problem(value) if hasattr(type(value), "__dataclass_fields__") else None
        if inner:
            return inner.replace("field ", f"field {name}.", 1)
        return f"field {name} is a {type(value).__name__}"
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

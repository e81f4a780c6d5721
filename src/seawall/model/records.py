"""Frozen model records made without their generated `__init__`, where tens of thousands are made per scan.

A frozen dataclass's `__init__` sets each field through `object.__setattr__`, and `dataclasses.replace` adds a
walk of `fields()` and a keyword call on top (about 5 µs a package; the layer merge copies each package up to four
times). The models have no `__post_init__`, `InitVar` or `init=False` fields, so filling `__dict__` at once makes the
same object: same fields, same equality and hash.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, TypeVar

_T = TypeVar("_T")


def frozen(cls: type[_T], fields: dict[str, object]) -> _T:
    """An instance of the frozen dataclass `cls` from every one of its fields."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def evolve(obj: _T, **changes: Any) -> _T:
    """`dataclasses.replace(obj, **changes)` for a model record; an unknown field name is a TypeError, as there."""
    cls: type = type(obj)
    names = _fields(cls)
    if not changes.keys() <= names:
        unknown = sorted(changes.keys() - names)
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
    new: _T = object.__new__(cls)
    state = new.__dict__
    state.update(obj.__dict__)
    state.update(changes)
    return new


@cache
def _fields(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in dataclasses.fields(cls))

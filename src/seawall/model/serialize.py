"""Plain-JSON round trips for the frozen model types (caches and stores never unpickle untrusted bytes)."""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """A dataclass tree as JSON-ready data; tuples become lists, None fields are dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is None or item == () or item == {}:
                continue
            out[field.name] = to_data(item)
        return out
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(options[0], data) if len(options) == 1 else data
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item) for item in data)
        return tuple(_convert(arg, item) for arg, item in zip(args, data, strict=False))
    if dataclasses.is_dataclass(hint):
        return from_data(hint, data)
    return data


def from_data(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass written by `to_data`; unknown keys are ignored (older/newer cache entries)."""
    hints = _hints(cls)
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs = {key: _convert(hints[key], value) for key, value in data.items() if key in names}
    return cls(**kwargs)

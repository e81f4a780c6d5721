"""Plain-JSON round trips for the frozen model types (caches and stores never unpickle untrusted bytes)."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from seawall.model.records import frozen

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """A dataclass tree as JSON-ready data; tuples become lists, None fields are dropped."""
    cls = type(value)
    if cls is str or cls is int or cls is bool or cls is float or value is None:
        return value
    names = _field_names(typing.cast(type, cls))
    if names is not None:
        out: dict[str, Any] = {}
        for name in names:
            item = getattr(value, name)
            if item is None or (not item and isinstance(item, tuple | dict)):
                continue
            out[name] = to_data(item)
        return out
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    return value


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    # Once per class: a layer's cache entry is thousands of records, and fields() rebuilds its tuple on each call.
    return tuple(field.name for field in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """A function turning JSON data into `hint`'s type, or None where the data is already right."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converter(options[0]) if len(options) == 1 else None
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            inner = _converter(args[0])
            if inner is None:
                return tuple
            return lambda data: tuple(inner(item) for item in data)
        inners = [_converter(arg) or (lambda x: x) for arg in args]
        return lambda data: tuple(f(item) for f, item in zip(inners, data, strict=False))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _builder(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint  # written as its value: Severity("high")
    return None


@cache
def _builder(cls: type) -> Callable[[dict[str, Any]], Any]:
    # Resolved once per class: rebuilding thousands of cached packages must not re-walk type hints each time.
    fields = dataclasses.fields(cls)
    converters = {field.name: _converter(_hints(cls)[field.name]) for field in fields}
    # `to_data` drops None values: a required field that may be None comes back as None.
    nullable = {field.name: None for field in fields
                if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
                and type(None) in typing.get_args(_hints(cls)[field.name])}
    plain = (not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
             and all(field.init and field.default_factory is dataclasses.MISSING for field in fields))
    # For a plain record, the fields `__init__` would set are filled at once (`records.frozen`): same object.
    defaults = {field.name: field.default for field in fields if field.default is not dataclasses.MISSING}
    required = frozenset(field.name for field in fields if field.default is dataclasses.MISSING)

    def build(data: dict[str, Any]) -> Any:
        kwargs: dict[str, Any] = dict(nullable)
        for key, value in data.items():
            if key not in converters:
                continue  # written by an older or newer version: ignored
            convert = converters[key]
            kwargs[key] = convert(value) if convert is not None and value is not None else value
        if not plain:
            return cls(**kwargs)
        if not required <= kwargs.keys():
            raise TypeError(f"{cls.__name__} needs {', '.join(sorted(required - kwargs.keys()))}")
        return frozen(cls, {**defaults, **kwargs})

    return build


def from_data(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass written by `to_data`; unknown keys are ignored (older/newer cache entries)."""
    built: T = _builder(typing.cast(type, cls))(data)
    return built


def well_typed(value: Any, hint: Any = None) -> bool:
    """Whether a record tree read back with `from_data` holds what its type hints say, where they name str, int,
    float, bool, None, an enum, a tuple or another record (other hints are taken as they come). `from_data` does
    not check: a damaged cache entry must be refused before a sort or a layout meets a number where text belongs."""
    if hint is None:
        hint = type(value)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(well_typed(value, option) for option in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(well_typed(item, args[0]) for item in value)
        return len(args) == len(value) and all(well_typed(item, arg) for item, arg in zip(args, value, strict=True))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, bool) or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return isinstance(value, hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return isinstance(value, hint) and all(
            well_typed(getattr(value, name), hints[name]) for name in _field_names(hint) or ())
    return True

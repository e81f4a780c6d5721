"""YAML documents that remember where each value was written, so every complaint names FILE:LINE."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError

MAX_BYTES = 8 * 1024 * 1024  # an allowlist or policy is a hand-written file; anything bigger is a mistake


class LDict(dict[str, Any]):
    """A mapping with the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list[Any]):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class Raw(str):
    """A scalar the YAML resolver guessed to be a timestamp, kept as written: dates are checked by the schema."""


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data = LDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in data:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Any:
    data = LList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Raw:
    return Raw(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_located(path: str | os.PathLike[str], what: str, error: type[InputError] = InputError) -> Any:
    """Parse one YAML document from `path`; syntax errors name the file and line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise error(f"{path}: {what} is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                        remedy=f"splitting it into several {what} files")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise error(f"{what} {path} does not exist", remedy="checking the path") from err
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"cannot read {what} {path}: {err}", remedy="checking the file is readable UTF-8 text") from err
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark and "<stream end>" in str(err.problem):  # an unclosed bracket: point at its start
            mark = err.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise error(f"{path}{line}: invalid YAML in {what}: {err.problem or err.context}",
                    remedy="fixing the YAML syntax at that line") from err
    except yaml.YAMLError as err:
        raise error(f"{path}: invalid YAML in {what}: {err}", remedy="fixing the YAML syntax") from err


class Problems:
    """Collects schema complaints as 'FILE:LINE: message' and raises them together, so one run shows them all."""

    def __init__(self, path: str | os.PathLike[str], what: str) -> None:
        self.path = str(path)
        self.what = what
        self.items: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.items.append(f"{self.path}:{line}: {message}")

    def raise_if_any(self, error: type[InputError], remedy: str) -> None:
        if not self.items:
            return
        shown = self.items[:10]
        more = f" (and {len(self.items) - 10} more)" if len(self.items) > 10 else ""
        raise error(f"invalid {self.what}: " + "; ".join(shown) + more, remedy=remedy)


def type_name(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"

"""Inputs near real ones: a real document or file with a few random edits, which reach far deeper into a parser
than random bytes do."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
           | st.text(max_size=12) | st.sampled_from(["", "0", "-1", "1:2.3-4", "sha256:" + "a" * 64, "../..", "/"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=4), max_leaves=10)


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _containers(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _containers(value, (*path, index))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, seed: Any) -> Any:
    """`seed` with one to four values replaced by random JSON, or removed."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _containers(doc) if p]
        if not paths:
            return draw(JSON)
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
    return doc


@st.composite
def mutated_text(draw: st.DrawFn, seed: str) -> str:
    """`seed` with lines inserted, removed, duplicated, cut or changed."""
    lines = seed.split("\n")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "cut", "char", "field"]))
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        if op == "insert":
            lines.insert(at, draw(st.text(max_size=40)))
        elif op == "delete" and lines:
            del lines[at]
        elif op == "duplicate" and lines:
            lines[at:at] = [lines[at]] * draw(st.integers(1, 3))
        elif op == "cut" and lines:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif op == "char" and lines and lines[at]:
            pos = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:pos] + draw(st.characters()) + lines[at][pos + 1 :]
        elif op == "field" and lines:
            name = lines[at].split(":", 1)[0] if ":" in lines[at] else "X"
            lines[at] = f"{name}:{draw(st.text(max_size=30))}"
    return "\n".join(lines)


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes, hot: tuple[int, ...] = ()) -> bytes:
    """`seed` with bytes flipped, set, inserted, removed, or cut; `hot` offsets (headers) are chosen more often."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            return bytes(draw(st.binary(max_size=64)))
        if hot and draw(st.booleans()):
            at = min(draw(st.sampled_from(hot)) + draw(st.integers(0, 511)), len(data) - 1)
        else:
            at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.sampled_from([0, 0x20, 0x30, 0x37, 0x7F, 0x80, 0xFF]) | st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        else:
            del data[at:]
    return bytes(data)

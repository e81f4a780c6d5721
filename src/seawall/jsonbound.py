"""JSON from hostile sources: nesting depth bounded before parsing, shapes checked where fields are read.

The standard parser recurses once per nesting level, so `[[[[…` 100,000 levels deep is a RecursionError, not a
parse error; and anything that walks the parsed document recursively afterwards has the same problem. Real
manifests, configs, package.json files, SBOMs and feed records nest a handful of levels, so a depth bound far
above that and far below the interpreter's recursion limit turns such a document into a one-line input error.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate, repeat
from typing import Any

from seawall.errors import InputError, SeawallError

# What code reading a parsed document of unchecked shape raises when a value has the wrong type or is absent.
MALFORMED = (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError)

MAX_DEPTH = 100  # CycloneDX nests components, OSV nests ranges; none comes close to this

# A JSON string (the unrolled form of "(?:[^"\\]|\\.)*" — linear, no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPEN, _CLOSE = b"[{", b"]}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPEN + _CLOSE)
# Opening brackets become 2, closing ones 0: minus one each, a running sum is the depth.
_STEPS = bytes.maketrans(_OPEN + _CLOSE, b"\x02\x02\x00\x00")


def nesting_depth(data: bytes | str) -> int:
    """The deepest array/object nesting in a JSON text (strings are skipped; no parsing)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS).translate(_STEPS)
    return max(accumulate(map(int.__sub__, brackets, repeat(1))), default=0)


def too_deep(data: bytes | str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether `data` nests deeper than `max_depth` (cheap when it cannot)."""
    opening = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    return opening > max_depth and nesting_depth(data) > max_depth


def check_depth(data: bytes | str, what: str, *, max_depth: int = MAX_DEPTH,
                error: type[SeawallError] = InputError) -> None:
    """Raise `error` naming `what` when `data` nests deeper than `max_depth` (cheap when it cannot)."""
    if too_deep(data, max_depth):
        raise error(f"{what}: JSON nested deeper than {max_depth} levels")


def loads(data: bytes | str, what: str, *, max_depth: int = MAX_DEPTH, prescan: bool = True,
          error: type[SeawallError] = InputError) -> Any:
    """Parse `data` as JSON, or raise `error` (exit 3 by default) with one line naming `what`.

    `prescan=False` (for large feed files from a known source) skips the depth scan and relies on the parser's
    own recursion guard alone.
    """
    if prescan:
        check_depth(data, what, max_depth=max_depth, error=error)
    try:
        return json.loads(data)
    except RecursionError:  # an escaped quote the depth scan misread can hide brackets; the parser still stops
        raise error(f"{what}: JSON nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise error(f"{what}: malformed JSON ({err})") from None


def expect(doc: dict[str, Any], field: str, kind: type | tuple[type, ...], what: str,
           error: type[SeawallError] = InputError) -> Any:
    """doc[field] when it is absent/null (None) or of `kind`; else a one-line error naming the field."""
    value = doc.get(field)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is None or (isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))):
        return value
    shown = {"dict": "object", "list": "array", "str": "string", "int": "integer", "float": "number"}
    names = " or ".join(shown.get(t.__name__, t.__name__) for t in kinds)
    raise error(f"{what}: field {field!r} must be a JSON {names}, not {_json_type(value)}")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "null"

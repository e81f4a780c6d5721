"""The fast indented JSON writer against its oracle, `json.dumps(value, indent=2)`: byte for byte."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seawall.output.json_text import dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2)
    assert dumps(value, ensure_ascii=False) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_it_does_not_know_is_left_to_json_dumps() -> None:
    odd: list[Any] = [{1: "int key", None: "none key", 2.5: True}, OrderedDict(b=1, a=2), {"deep": [{"x": math.inf}]}]
    for value in odd:
        assert dumps(value) == json.dumps(value, indent=2)
    assert dumps({"é": "ü\u2028\x00\U0001f600"}) == json.dumps({"é": "ü\u2028\x00\U0001f600"}, indent=2)

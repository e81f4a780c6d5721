"""Memory tracing for the fuzz tests' per-input bound (tests/fuzz/bounds.py)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module", autouse=True)
def _trace_memory() -> Iterator[None]:
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    yield
    if started:
        tracemalloc.stop()

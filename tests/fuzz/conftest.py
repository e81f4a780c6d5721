"""Hypothesis profiles for the fuzz tests, and the per-input memory bound.

`ci` (the default, run by `.ci/run` with the rest of the suite) tries a few dozen inputs per parser; `long` is
for release checks: `SEAWALL_FUZZ_PROFILE=long python -m pytest -n 2 -q tests/fuzz` (see tests/fuzz/README.md).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
               HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=int(os.environ.get("SEAWALL_FUZZ_EXAMPLES", "60")), deadline=5000,
                          database=None, derandomize=False, suppress_health_check=_SUPPRESSED, print_blob=True)
settings.register_profile("long", max_examples=int(os.environ.get("SEAWALL_FUZZ_EXAMPLES", "20000")),
                          deadline=5000, suppress_health_check=_SUPPRESSED, print_blob=True)
settings.load_profile(os.environ.get("SEAWALL_FUZZ_PROFILE", "ci"))


@pytest.fixture(scope="module", autouse=True)
def _trace_memory() -> Iterator[None]:
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    yield
    if started:
        tracemalloc.stop()

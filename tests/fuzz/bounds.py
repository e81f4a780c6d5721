"""What every fuzz test asserts: the parser returns or raises seawall's own error, within its memory bound."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

from seawall.errors import SeawallError

# `ci` (the default, run with the rest of the suite) tries a few dozen inputs per parser; `long` is for release
# checks: `SEAWALL_FUZZ_PROFILE=long python -m pytest -n 2 -q tests/fuzz` (tests/fuzz/README.md).
PROFILE = os.environ.get("SEAWALL_FUZZ_PROFILE", "ci")
EXAMPLES = int(os.environ.get("SEAWALL_FUZZ_EXAMPLES") or (20_000 if PROFILE == "long" else 60))
fuzz = settings(
    max_examples=EXAMPLES, deadline=5000, print_blob=True,
    database=settings.default.database if PROFILE == "long" else None,  # the long run replays what it found
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.function_scoped_fixture],
)

MEMORY_BOUND = 64 * 1024 * 1024  # peak Python allocation for one small hostile input


def survives(call: Callable[[], Any]) -> Any:
    """Run `call`; an error seawall defines is an answer (None is returned), any other exception fails the test."""
    tracemalloc.reset_peak()
    try:
        return call()
    except SeawallError as err:
        assert "\n" not in err.one_line()
        return None
    except Exception as err:
        if not type(err).__module__.startswith("seawall."):  # a parser's own error class (HeaderError…) is fine
            raise
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        assert peak < MEMORY_BOUND, f"{peak} bytes allocated for one input"

"""What every fuzz test asserts: the parser returns or raises seawall's own error, within its memory bound."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

from seawall.errors import SeawallError

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

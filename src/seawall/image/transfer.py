"""Bounds on one HTTP transfer from a registry: its size, and its duration scaled by its size.

A read timeout alone does not bound a download: a server that sends one byte every ten seconds never trips it.
So every manifest, blob and token response must also arrive at a minimum average rate after a grace period
for the connection to get going; otherwise it is abandoned with a network error naming the registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import httpx

from seawall.errors import IntegrityError, NetworkError


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class TransferBudget:
    """A transfer of `size` bytes may take `grace + size / min_rate` seconds, however the bytes trickle in."""

    min_rate: float = field(default_factory=lambda: _env_float("SEAWALL_REGISTRY_MIN_RATE", 16 * 1024.0))
    grace: float = field(default_factory=lambda: _env_float("SEAWALL_REGISTRY_GRACE", 60.0))
    clock: Callable[[], float] = time.monotonic

    def allowed(self, size: int) -> float:
        return self.grace + size / self.min_rate

    def watch(self, chunks: Iterable[bytes], declared: int | None, what: str, host: str) -> Iterator[bytes]:
        """`chunks` passed through; NetworkError once the transfer falls behind its deadline."""
        start = self.clock()
        received = 0
        for chunk in chunks:
            received += len(chunk)
            elapsed = self.clock() - start
            if elapsed > self.allowed(max(received, declared or 0)):
                raise NetworkError(
                    f"{what} from {host} is too slow: {received} bytes in {elapsed:.0f} s, below the minimum of "
                    f"{self.min_rate:.0f} bytes/s after {self.grace:.0f} s",
                    remedy="again later, or set SEAWALL_REGISTRY_MIN_RATE (bytes/s) for a slow link")
            yield chunk


def read_limited(response: httpx.Response, limit: int, what: str, host: str,
                 budget: TransferBudget | None = None, *, raw: bool = False) -> bytes:
    """The body of a streamed response, refused past `limit` bytes (declared or received) and past its deadline."""
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise IntegrityError(f"{what} is {length} bytes, over the {limit} byte limit")
    budget = budget or TransferBudget()
    declared = int(length) if length is not None and length.isdigit() else None
    chunks: list[bytes] = []
    total = 0
    source = response.iter_raw() if raw else response.iter_bytes()
    try:
        for chunk in budget.watch(source, declared, what, host):
            total += len(chunk)
            if total > limit:
                raise IntegrityError(f"{what} is over the {limit} byte limit")
            chunks.append(chunk)
    except httpx.HTTPError as err:
        raise NetworkError(f"reading {what} from {host} failed: {type(err).__name__}", remedy="again") from None
    return b"".join(chunks)


MAX_ERROR_BODY = 64 * 1024


def error_body(response: httpx.Response, limit: int = MAX_ERROR_BODY) -> bytes:
    """At most `limit` bytes of an error response's body (enough for its JSON error list), the rest left unread."""
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            total += len(chunk)
            if total >= limit:
                break
    except httpx.HTTPError:
        pass
    return b"".join(chunks)[:limit]

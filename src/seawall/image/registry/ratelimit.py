"""Registry rate limits (Docker Hub's `ratelimit-*` headers), `Retry-After` and bounded exponential backoff."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

log = logging.getLogger("seawall.registry")

LOW_REMAINING_FRACTION = 0.1


@dataclass(frozen=True)
class RateLimit:
    """Docker Hub's pull quota as the last response reported it: `limit` pulls per `window` seconds."""

    limit: int
    remaining: int | None
    window: int | None
    source: str | None

    @property
    def low(self) -> bool:
        return self.remaining is not None and self.remaining <= max(1, int(self.limit * LOW_REMAINING_FRACTION))

    def describe(self) -> str:
        window = f" per {self.window // 3600}h" if self.window and self.window % 3600 == 0 else \
            f" per {self.window}s" if self.window else ""
        left = f"{self.remaining} of {self.limit}" if self.remaining is not None else f"limit {self.limit}"
        return f"{left} pulls left{window}" + (f" for {self.source}" if self.source else "")


def _quota(value: str | None) -> tuple[int | None, int | None]:
    """'100;w=21600' → (100, 21600)."""
    if not value:
        return None, None
    head, *params = (part.strip() for part in value.split(";"))
    try:
        amount = int(head)
    except ValueError:
        return None, None
    window = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip() == "w" and val.strip().isdigit():
            window = int(val)
    return amount, window


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimit | None:
    limit, window = _quota(headers.get("ratelimit-limit"))
    if limit is None:
        return None
    remaining, remaining_window = _quota(headers.get("ratelimit-remaining"))
    return RateLimit(limit, remaining, window or remaining_window, headers.get("docker-ratelimit-source"))


def warn_when_low(rate: RateLimit, registry: str) -> None:
    """Default rate-limit callback: one warning when the quota is nearly used up."""
    if rate.low:
        log.warning("%s pull rate limit nearly reached: %s; `docker login %s` raises the limit",
                    registry, rate.describe(), registry)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


@dataclass
class Backoff:
    """Exponential backoff with jitter, `attempts` retries at most; each wait capped at `max_wait` seconds."""

    attempts: int = 3
    base: float = 0.5
    max_wait: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before retry number `attempt` (0-based), or None when retries are exhausted or the
        server asks for a longer wait than `max_wait`."""
        if attempt >= self.attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_wait else None
        wait = self.base * (2 ** attempt)
        return min(self.max_wait, wait * (0.75 + random.random() / 2))  # jitter spreads out parallel clients

"""Progress for long work when stderr is no terminal (CI logs, pipes): plain lines every few seconds, never one per
item, so a log shows the work is alive without drowning in it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

# Seconds between lines; the first line waits as long, so quick work prints nothing at all.
DEFAULT_INTERVAL = 5.0


class PlainProgress:
    """`update(text)` as often as you like; a line reaches the stream at most once per `interval` seconds."""

    def __init__(self, label: str, *, interval: float = DEFAULT_INTERVAL, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.interval = interval
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self._last = self.started
        self._latest = ""

    def update(self, text: str) -> None:
        self._latest = text
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._write(f"{self.label}: {text} ({now - self.started:.0f}s)")

    def done(self, text: str) -> None:
        """A closing line, only when progress lines were printed (quick work stays silent)."""
        if self._last != self.started:
            self._write(f"{self.label}: {text} ({self.clock() - self.started:.0f}s)")

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        print(line, file=stream, flush=True)

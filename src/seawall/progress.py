"""Progress for long work when stderr is no terminal (CI logs, pipes): plain lines every few seconds, never one per
item, so a log shows the work is alive without drowning in it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

# Seconds between lines; the first line waits as long, so quick work prints nothing at all.
DEFAULT_INTERVAL = 5.0


class PlainProgress:
    """`update(text)` as often as you like; a line reaches the stream at most once per `interval` seconds.

    Used as a context manager it also keeps a heartbeat: while one long step (a layer, a download) gives no update,
    the latest text is repeated every `interval` seconds with the time elapsed."""

    def __init__(self, label: str, *, interval: float = DEFAULT_INTERVAL, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, first_at_once: bool = False) -> None:
        self.label = label
        self.interval = interval
        self.stream = stream
        self.clock = clock
        self.started = clock()
        # With `first_at_once`, the first update prints at once: work whose units are long says it has begun.
        self._last = self.started - (interval if first_at_once else 0.0)
        self._printed = False
        self._latest = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, text: str) -> None:
        with self._lock:
            self._latest = text
            now = self.clock()
            if now - self._last >= self.interval:
                self._last = now
                self._write(f"{self.label}: {text} ({now - self.started:.0f}s)")

    def done(self, text: str) -> None:
        """A closing line, only when progress lines were printed (quick work stays silent)."""
        with self._lock:
            if self._printed:
                self._write(f"{self.label}: {text} ({self.clock() - self.started:.0f}s)")

    def __enter__(self) -> PlainProgress:
        self._thread = threading.Thread(target=self._beat, name=f"progress: {self.label}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval / 5):
            if self._latest:
                self.update(self._latest)

    def _write(self, line: str) -> None:
        self._printed = True
        stream = self.stream or sys.stderr
        print(line, file=stream, flush=True)

"""Plain progress lines for logs: at most one every few seconds, none for quick work, a heartbeat for long steps."""

from __future__ import annotations

import io
import time

from seawall.progress import PlainProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_come_every_interval_not_every_update() -> None:
    clock, out = Clock(), io.StringIO()
    lines = PlainProgress("db update", interval=5, stream=out, clock=clock)
    for i in range(1000):  # a thousand records within the first second: nothing yet
        clock.now += 0.001
        lines.update(f"osv: loading ({i} records)")
    assert out.getvalue() == ""
    clock.now = 106.0
    lines.update("osv: loading (2,000 records)")
    clock.now = 107.0
    lines.update("osv: loading (3,000 records)")
    assert out.getvalue().splitlines() == ["db update: osv: loading (2,000 records) (6s)"]
    lines.done("done")
    assert out.getvalue().splitlines()[-1] == "db update: done (7s)"


def test_quick_work_prints_nothing_not_even_done() -> None:
    out = io.StringIO()
    lines = PlainProgress("reading the image", stream=out, clock=Clock())
    lines.update("reading layers 0/2")
    lines.done("done")
    assert out.getvalue() == ""


def test_the_first_result_of_long_units_prints_at_once() -> None:
    out = io.StringIO()
    PlainProgress("fleet run", stream=out, clock=Clock(), first_at_once=True).update("1 images done")
    assert out.getvalue() == "fleet run: 1 images done (0s)\n"


def test_a_long_step_without_updates_still_shows_it_is_alive() -> None:
    out = io.StringIO()
    with PlainProgress("reading the image", interval=0.05, stream=out) as lines:
        lines.update("reading layers 0/3")
        time.sleep(0.3)
    beats = out.getvalue().splitlines()
    assert 2 <= len(beats) <= 7 and all(b.startswith("reading the image: reading layers 0/3 (") for b in beats)

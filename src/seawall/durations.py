"""Durations as people write them (`24h`, `30m`, `7d`), for ages and intervals."""

from __future__ import annotations

import re

from seawall.errors import InputError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    m = _DURATION.match(text.strip().lower())
    if not m:
        raise InputError(f"bad duration {text!r}", remedy="a number with s, m, h, d or w, e.g. 24h")
    return float(m[1]) * _UNITS[m[2]]

"""Filesystem to packages; one module per ecosystem. `CATALOGERS` is the ordered list the core runs."""

from __future__ import annotations

from seawall.catalog.interface import Cataloger

CATALOGERS: list[type[Cataloger]] = []

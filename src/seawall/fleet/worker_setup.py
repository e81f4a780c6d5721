"""Dask worker preload (`dask worker --preload seawall.fleet.worker_setup`): import what a scan needs while the
worker starts, in parallel with the client's HEAD requests, rather than inside the first image's task."""

from __future__ import annotations

import seawall.fleet.records
import seawall.inventory.build
import seawall.match
import seawall.scan  # noqa: F401

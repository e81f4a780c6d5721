"""Dask worker preload (`dask worker --preload seawall.fleet.worker_setup`): import what a scan needs while the
worker starts, in parallel with the client's HEAD requests, rather than inside the first image's task."""

from __future__ import annotations

import seawall.fleet.records
import seawall.fs.collect
import seawall.inventory.build
import seawall.inventory.squash
import seawall.match
import seawall.scan  # noqa: F401

# Catalogers load lazily (a fully cached scan needs none); a fleet worker soon reads a layer that needs them all.
from seawall.catalog import CATALOGERS  # noqa: F401

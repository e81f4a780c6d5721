"""Where one layer blob's bytes are on local disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LayerFile:
    """Where a layer blob's bytes sit on local disk, so whichever thread or process reads it opens it itself.

    The bytes at [offset, offset+size) of `path` are the blob; the source has already verified them or
    `verified` is False and the reader must check `digest` while streaming.
    """

    path: Path
    offset: int
    size: int
    digest: str
    verified: bool

"""What the layer reader hands to whoever asked for files (catalogers, analyzers), and how they ask.

The filesystem layer does all I/O; a `FileRequester` only says which regular files it wants (by path, mode and
size) and receives them as `FileEntry`s. `seawall.catalog.interface.Cataloger` is one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


class FileRequester(Protocol):
    """Anything the layer reader collects files for: named, with a size bound, choosing files by path and mode."""

    @property
    def name(self) -> str: ...

    @property
    def max_file_size(self) -> int: ...

    def wants(self, path: str, mode: int, size: int) -> bool: ...


@dataclass(frozen=True)
class FileEntry:
    """One regular file of one layer, as collected for a cataloger."""

    path: str  # absolute, normalised image path
    size: int
    mode: int
    layer_index: int | None
    data: bytes | None = None  # small files are held in memory
    opener: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)  # large ones spool

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.opener is None:
            raise ValueError(f"no content collected for {self.path}")
        return self.opener()

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.open() as handle:
            return handle.read()

    def text(self) -> str:
        return self.read().decode("utf-8", errors="replace")

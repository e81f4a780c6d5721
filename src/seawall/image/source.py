"""The one interface every image source implements (registry, OCI layout/archive, docker-archive, dir)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from seawall.blobs.layerfile import LayerFile
from seawall.model.image import Image, Layer


class ImageSource(ABC):
    """Resolves to one single-platform `Image` and hands out its layer blobs.

    Every byte handed out is checked: `open_layer` streams raise `IntegrityError` when the blob's digest or
    size does not match what the manifest promised, at the latest when the stream reaches its end.
    """

    transport: str = ""

    @abstractmethod
    def resolve(self) -> Image:
        """Read (and verify) the manifest and config; choose the platform from an index."""

    @abstractmethod
    def open_layer(self, layer: Layer) -> BinaryIO:
        """The layer blob as stored (usually compressed), verified against `layer.digest` while read."""

    def layer_file(self, layer: Layer) -> LayerFile | None:
        """The blob as a local file range (fetching it into the blob cache first for registries), or None."""
        return None

    def rootfs(self) -> Path | None:
        """For `dir:` sources, the directory that is the image's filesystem; None for layered sources."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files, temporary directories and connections."""

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""`dir:PATH`: a root filesystem directory, an image without layers."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from seawall.errors import InputError
from seawall.image.platforms import host_platform
from seawall.image.source import ImageSource
from seawall.model.image import Image, Layer, Platform


class RootfsSource(ImageSource):
    transport = "dir"

    def __init__(self, path: Path, *, platform: Platform | None = None, source: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{self.path} is not a directory", remedy="giving a root filesystem directory: dir:PATH")
        self.platform = platform or host_platform()
        self.source = source or f"dir:{path}"

    def resolve(self) -> Image:
        return Image(source=self.source, transport=self.transport, ref=None, digest=None, index_digest=None,
                     platform=self.platform, manifest_media_type=None, config_digest=None, config={}, layers=())

    def open_layer(self, layer: Layer) -> BinaryIO:
        raise InputError(f"{self.source} has no layers")

    def rootfs(self) -> Path:
        return self.path

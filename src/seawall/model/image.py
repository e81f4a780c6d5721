"""What an image is, independent of where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ImageRef:
    """A normalised image reference: docker.io/library/python:3.12 or host:5000/a/b@sha256:…"""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """registry/repository, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True)
class Platform:
    """The platform of an image, as `os/architecture[/variant]`: what picks one image out of an index."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text


@dataclass(frozen=True)
class Layer:
    """One filesystem layer as the manifest and config describe it."""

    index: int  # position among the image's filesystem layers, 0 = base
    digest: str  # digest of the blob as stored (compressed)
    diff_id: str  # digest of the uncompressed tar, from the config's rootfs.diff_ids
    size: int  # compressed size in bytes, as the manifest says
    media_type: str
    created_by: str = ""  # the history line that made this layer
    created: str | None = None


@dataclass(frozen=True)
class Image:
    """A resolved single-platform image: manifest, config and layers."""

    source: str  # the user's words for where it came from: docker.io/library/python:3.12, oci:dir, …
    transport: str  # registry | oci | oci-archive | docker-archive | dir | sbom
    ref: ImageRef | None
    digest: str | None  # manifest digest (None for dir: sources)
    index_digest: str | None  # digest of the index the manifest was chosen from, if any
    platform: Platform
    manifest_media_type: str | None
    config_digest: str | None
    config: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    layers: tuple[Layer, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    repo_digests: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def created(self) -> str | None:
        return self.config.get("created")

    @property
    def runtime_config(self) -> dict[str, Any]:
        """The `config` section of the image config: User, Env, Cmd, Entrypoint, ExposedPorts, Labels…"""
        return self.config.get("config") or {}

"""`RegistrySource`: an image in a registry resolved to one platform, its blobs fetched into the blob cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, BinaryIO

from seawall import paths
from seawall.blobs.layerfile import LayerFile
from seawall.errors import InputError
from seawall.image import mediatypes
from seawall.image.blobcache import BlobCache
from seawall.image.platforms import host_platform, matches, normalize, select_manifest
from seawall.image.reference import check_digest, parse_reference, with_digest
from seawall.image.registry.client import Manifest, RegistryClient, RegistryOptions
from seawall.image.source import ImageSource
from seawall.model.image import Image, ImageRef, Layer, Platform


class RegistrySource(ImageSource):
    transport = "registry"

    def __init__(self, ref: ImageRef | str, client: RegistryClient | None = None, platform: Platform | None = None,
                 cache: BlobCache | None = None, *, insecure_registries: Sequence[str] = (),
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.text = ref if isinstance(ref, str) else str(ref)
        self.ref = parse_reference(ref) if isinstance(ref, str) else ref
        self._own_client = client is None
        self.client = client or RegistryClient(RegistryOptions(insecure_registries=frozenset(insecure_registries)))
        self.platform_requested = platform is not None
        self.platform = normalize(platform) if platform is not None else host_platform()
        self.cache = cache or BlobCache(paths.blob_dir(cache_dir))
        self._image: Image | None = None

    def resolve(self) -> Image:
        if self._image is not None:
            return self._image
        top = self.client.get_manifest(self.ref)
        index_digest: str | None = None
        manifest = top
        if top.is_index:
            index_digest = top.digest
            chosen = select_manifest(top.doc["manifests"], self.platform, str(self.ref))
            child_digest = check_digest(chosen["digest"], f"index of {self.ref}")
            manifest = self.client.get_manifest(with_digest(self.ref, child_digest))
            if manifest.is_index:
                raise InputError(f"{self.ref}: nested image indexes are not supported")
            if len(manifest.data) != chosen["size"]:
                raise InputError(f"{self.ref}: manifest {child_digest} is {len(manifest.data)} bytes, "
                                 f"the index says {chosen['size']}")
        self._image = self._assemble(manifest, index_digest, top.digest)
        return self._image

    def _assemble(self, manifest: Manifest, index_digest: str | None, top_digest: str) -> Image:
        doc = manifest.doc
        config_desc = doc["config"]
        config_type = config_desc.get("mediaType")
        if config_type is not None and config_type not in mediatypes.CONFIG_TYPES:
            raise InputError(f"{self.ref}: config media type {config_type!r} is not a container image's",
                             remedy="an image reference; this is another kind of OCI artifact")
        config_digest = check_digest(config_desc["digest"], f"config of {self.ref}")
        config = mediatypes.parse_config(
            self.client.blob_bytes(self.ref, config_digest, config_desc["size"], self.cache), f"config of {self.ref}")
        image_platform = Platform(str(config.get("os") or "linux"), str(config.get("architecture") or "unknown"),
                                  config.get("variant") or None)
        if self.platform_requested and index_digest is None and not matches(image_platform, self.platform):
            raise InputError(f"{self.ref} is for platform {normalize(image_platform)}, not {self.platform}",
                             remedy=f"--platform {normalize(image_platform)}, or no --platform")
        layers = assemble_layers(doc, config, str(self.ref))
        return Image(
            source=self.text, transport=self.transport, ref=self.ref, digest=manifest.digest,
            index_digest=index_digest, platform=image_platform, manifest_media_type=manifest.media_type,
            config_digest=config_digest, config=config, layers=layers,
            annotations={k: str(v) for k, v in (doc.get("annotations") or {}).items()},
            repo_digests=(f"{self.ref.name}@{top_digest}",))

    def layer_file(self, layer: Layer) -> LayerFile:
        path = self.client.fetch_blob(self.ref, layer.digest, layer.size, self.cache)
        return LayerFile(path=path, offset=0, size=layer.size, digest=layer.digest, verified=True)

    def open_layer(self, layer: Layer) -> BinaryIO:
        return self.layer_file(layer).path.open("rb")

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def assemble_layers(manifest: dict[str, Any], config: dict[str, Any], what: str) -> tuple[Layer, ...]:
    """Layers from a manifest's descriptors, the config's rootfs.diff_ids and its non-empty history lines."""
    descriptors = manifest.get("layers") or []
    rootfs = config.get("rootfs") or {}
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(descriptors):
        count = len(diff_ids) if isinstance(diff_ids, list) else 0
        raise InputError(f"{what}: the config lists {count} diff_ids for {len(descriptors)} layers")
    history = [h for h in config.get("history") or [] if isinstance(h, dict) and not h.get("empty_layer")]
    layers = []
    for index, (desc, diff_id) in enumerate(zip(descriptors, diff_ids, strict=True)):
        digest = check_digest(desc["digest"], what)
        entry = history[index] if index < len(history) else {}
        created_by = entry.get("created_by") or ""
        layers.append(Layer(index=index, digest=digest, diff_id=check_digest(str(diff_id), what), size=desc["size"],
                            media_type=str(desc.get("mediaType") or mediatypes.OCI_LAYER_GZIP),
                            created_by=str(created_by), created=entry.get("created")))
    return tuple(layers)

"""OCI image layouts: `oci:DIR[:TAG]` (a directory) and `oci-archive:FILE[:TAG]` (a tar of one, read in place).

index.json names images by the `org.opencontainers.image.ref.name` annotation; a descriptor may point at a nested
image index, from which the platform is chosen with the same rules as for registries.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO

from seawall.blobs.layerfile import LayerFile
from seawall.blobs.local import LocalFiles, check_digest, open_verified
from seawall.errors import InputError
from seawall.image import mediatypes as mt
from seawall.image.platforms import matches, normalize, select_manifest
from seawall.image.source import ImageSource
from seawall.jsonbound import check_depth
from seawall.model.image import Image, Layer, Platform

REF_NAME = "org.opencontainers.image.ref.name"
MAX_INDEX_DEPTH = 4


class OCILayoutSource(ImageSource):
    transport = "oci"

    def __init__(self, path: Path, tag: str | None = None, *, platform: Platform | None = None,
                 source: str | None = None) -> None:
        self.path = Path(path)
        self.tag = tag or None
        self.platform = platform
        self.source = source or f"{self.transport}:{path}" + (f":{tag}" if tag else "")
        self.files = self._open_files()
        self._image: Image | None = None

    def _open_files(self) -> LocalFiles:
        if not self.path.is_dir():
            raise InputError(f"OCI layout {self.path} is not a directory",
                             remedy="giving the directory holding index.json, e.g. oci:./image:latest")
        return LocalFiles(self.path, archive=False)

    # -- resolution ------------------------------------------------------------------------------------
    def resolve(self) -> Image:
        if self._image is None:
            self._image = self._resolve()
        return self._image

    def _what(self, name: str) -> str:
        return f"{self.source}: {name}"

    def _resolve(self) -> Image:
        if self.files.exists("oci-layout"):
            layout = _json_object(self.files.read("oci-layout", self._what("oci-layout"), 64 * 1024),
                                  self._what("oci-layout"))
            if not isinstance(layout.get("imageLayoutVersion"), str):
                raise InputError(f"{self._what('oci-layout')}: no imageLayoutVersion")
        what = self._what("index.json")
        media_type, index = mt.parse_manifest(self.files.read("index.json", what, mt.MAX_MANIFEST_BYTES), what,
                                              mt.OCI_INDEX)
        if not mt.is_index(media_type):
            raise InputError(f"{what}: is a {media_type}, not an image index")
        descriptor = self._pick_tagged(index["manifests"], what)
        index_digest: str | None = None
        for _ in range(MAX_INDEX_DEPTH):
            digest = check_digest(descriptor["digest"], what)
            what = self._what(f"manifest {digest}")
            data = self.files.read_blob(digest, descriptor["size"], what, mt.MAX_MANIFEST_BYTES)
            media_type, doc = mt.parse_manifest(data, what, descriptor.get("mediaType"))
            if mt.is_manifest(media_type):
                return self._image_from(doc, media_type, digest, index_digest, what)
            index_digest = digest
            descriptor = select_manifest(doc["manifests"], self.platform, what)
        raise InputError(f"{what}: image indexes nested more than {MAX_INDEX_DEPTH} deep")

    def _pick_tagged(self, manifests: list[dict[str, Any]], what: str) -> dict[str, Any]:
        tags = {d.get("annotations", {}).get(REF_NAME) for d in manifests if isinstance(d.get("annotations"), dict)}
        tags.discard(None)
        if self.tag:
            found = [d for d in manifests if isinstance(d.get("annotations"), dict)
                     and d["annotations"].get(REF_NAME) == self.tag]
            if not found:
                raise InputError(f"{what}: no image tagged {self.tag!r} (tags: {', '.join(sorted(tags)) or 'none'})",
                                 remedy="naming one of the tags after the path, e.g. oci:DIR:TAG")
            if len(found) > 1:  # several platforms under one name, written flat into index.json
                return select_manifest(found, self.platform, what)
            return found[0]
        if len({d["digest"] for d in manifests}) == 1:
            return manifests[0]
        if len(tags) > 1:
            raise InputError(f"{what}: holds several images ({', '.join(sorted(tags))})",
                             remedy="naming one of them after the path, e.g. oci:DIR:TAG")
        return select_manifest(manifests, self.platform, what)

    def _image_from(self, manifest: dict[str, Any], media_type: str, digest: str, index_digest: str | None,
                    what: str) -> Image:
        config_desc = manifest["config"]
        config_type = config_desc.get("mediaType")
        if config_type not in mt.CONFIG_TYPES:
            raise InputError(f"{what}: unknown config media type {config_type!r} (not a container image)",
                             remedy="pointing at a container image, not another kind of artifact")
        config_digest = check_digest(config_desc["digest"], what)
        config_what = self._what(f"config {config_digest}")
        config = mt.parse_config(self.files.read_blob(config_digest, config_desc["size"], config_what,
                                                      mt.MAX_MANIFEST_BYTES), config_what)
        check_platform(config, self.platform, self.source)
        layers = build_layers(manifest["layers"], config, what)
        annotations = manifest.get("annotations")
        if not isinstance(annotations, dict):
            annotations = {}
        return Image(source=self.source, transport=self.transport, ref=None, digest=digest,
                     index_digest=index_digest, platform=config_platform(config), manifest_media_type=media_type,
                     config_digest=config_digest, config=config, layers=tuple(layers),
                     annotations={str(k): str(v) for k, v in annotations.items()})

    # -- layers ----------------------------------------------------------------------------------------
    def layer_file(self, layer: Layer) -> LayerFile:
        what = self._what(f"layer {layer.index}")
        return self.files.layer_file(self.files.blob(layer.digest, layer.size, what), layer.digest)

    def open_layer(self, layer: Layer) -> BinaryIO:
        return io.BufferedReader(open_verified(self.layer_file(layer), self._what(f"layer {layer.digest}")))


class OCIArchiveSource(OCILayoutSource):
    transport = "oci-archive"

    def _open_files(self) -> LocalFiles:
        if not self.path.is_file():
            raise InputError(f"OCI archive {self.path} is not a file", remedy="giving the path of the .tar file")
        return LocalFiles(self.path, archive=True)


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    check_depth(data, what)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{what}: malformed JSON ({err})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{what}: not a JSON object")
    return doc


def check_platform(config: dict[str, Any], wanted: Platform | None, source: str) -> None:
    """A `--platform` the local image does not hold is an error, not a silent scan of another platform."""
    if wanted is None:
        return
    have = config_platform(config)
    if not matches(have, wanted):
        raise InputError(f"{source} holds no image for platform {normalize(wanted)} (it is {normalize(have)})",
                         remedy=f"--platform {normalize(have)}, or no --platform")


def config_platform(config: dict[str, Any]) -> Platform:
    os_name = config.get("os") if isinstance(config.get("os"), str) else "linux"
    arch = config.get("architecture") if isinstance(config.get("architecture"), str) else "amd64"
    variant = config.get("variant") if isinstance(config.get("variant"), str) else None
    return Platform(os=os_name or "linux", architecture=arch or "amd64", variant=variant or None)


def history_lines(config: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(created_by, created) of each history entry that made a filesystem layer, in order."""
    history = config.get("history")
    if not isinstance(history, list):
        return []
    out: list[tuple[str, str | None]] = []
    for entry in history:
        if not isinstance(entry, dict) or entry.get("empty_layer"):
            continue
        created_by, created = entry.get("created_by"), entry.get("created")
        out.append((created_by if isinstance(created_by, str) else "", created if isinstance(created, str) else None))
    return out


def diff_ids(config: dict[str, Any], what: str) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list):
        raise InputError(f"{what}: image config has no rootfs.diff_ids")
    return [check_digest(d, what) for d in ids]


def build_layers(descriptors: list[dict[str, Any]], config: dict[str, Any], what: str) -> list[Layer]:
    """The manifest's layer descriptors joined with the config's diff_ids and history."""
    ids = diff_ids(config, what)
    if len(ids) != len(descriptors):
        raise InputError(f"{what}: manifest lists {len(descriptors)} layers but the config has {len(ids)} diff_ids")
    history = history_lines(config)
    layers = []
    for index, (desc, diff_id) in enumerate(zip(descriptors, ids, strict=True)):
        media_type = desc.get("mediaType") or mt.OCI_LAYER_GZIP
        if media_type not in mt.LAYER_TYPES:
            raise InputError(f"{what}: unknown layer media type {media_type!r} for layer {index}",
                             remedy="pointing at a container image; this manifest holds another kind of artifact")
        created_by, created = history[index] if index < len(history) else ("", None)
        layers.append(Layer(index=index, digest=check_digest(desc["digest"], what), diff_id=diff_id,
                            size=desc["size"], media_type=media_type, created_by=created_by, created=created))
    return layers

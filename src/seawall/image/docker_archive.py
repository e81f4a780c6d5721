"""`docker save` tarballs: `docker-archive:FILE[:NAME:TAG]`, read in place without extracting.

manifest.json lists images as {Config, RepoTags, Layers}. Older docker writes `<id>/layer.tar` and `<id>.json`;
docker ≥25 writes an OCI-style `blobs/sha256/<hex>` tree. Layers are usually uncompressed tars, whose blob digest
is then their diff_id.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, BinaryIO

from seawall.blobs.layerfile import LayerFile
from seawall.blobs.local import (
    LocalFiles,
    Member,
    check_relative,
    digest_from_path,
    hash_range,
    open_verified,
    read_range,
    verify_bytes,
)
from seawall.blobs.readers import GZIP_MAGIC, ZSTD_MAGIC
from seawall.errors import ImageReferenceError, InputError
from seawall.image import mediatypes as mt
from seawall.image.oci_layout import check_platform, config_platform, diff_ids, history_lines
from seawall.image.shapes import check_archive_manifest
from seawall.image.source import ImageSource
from seawall.jsonbound import check_depth
from seawall.model.image import Image, ImageRef, Layer, Platform


class DockerArchiveSource(ImageSource):
    transport = "docker-archive"

    def __init__(self, path: Path, tag: str | None = None, *, platform: Platform | None = None,
                 source: str | None = None) -> None:
        self.path = Path(path)
        self.tag = tag or None
        self.platform = platform
        self.source = source or f"docker-archive:{path}" + (f":{tag}" if tag else "")
        if not self.path.is_file():
            raise InputError(f"docker archive {self.path} is not a file",
                             remedy="giving the path of a `docker save` tar")
        self.files = LocalFiles(self.path, archive=True)
        self._image: Image | None = None
        self._members: dict[int, Member] = {}

    def resolve(self) -> Image:
        if self._image is None:
            self._image = self._resolve()
        return self._image

    def _resolve(self) -> Image:
        what = f"{self.source}: manifest.json"
        raw = self.files.read("manifest.json", what, mt.MAX_MANIFEST_BYTES)
        check_depth(raw, what)
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise InputError(f"{what}: malformed JSON ({err})") from None
        if not isinstance(doc, list) or not doc or not all(isinstance(e, dict) for e in doc):
            raise InputError(f"{what}: expected a list of images")
        check_archive_manifest(doc, what)
        entry = self._pick(doc, what)
        config_name = check_relative(entry.get("Config"), what)
        config_what = f"{self.source}: {config_name}"
        config_bytes = self.files.read(config_name, config_what, mt.MAX_MANIFEST_BYTES)
        config_digest = digest_from_path(config_name)
        if config_digest:
            verify_bytes(config_bytes, config_digest, config_what)
        else:
            import hashlib
            config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
        config = mt.parse_config(config_bytes, config_what)
        check_platform(config, self.platform, self.source)
        names = entry.get("Layers")
        if not isinstance(names, list):
            raise InputError(f"{what}: image has no Layers list")
        ids = diff_ids(config, config_what)
        if len(ids) != len(names):
            raise InputError(f"{what}: lists {len(names)} layers but the config has {len(ids)} diff_ids")
        history = history_lines(config)
        layers = []
        for index, (name, diff_id) in enumerate(zip(names, ids, strict=True)):
            name = check_relative(name, what)
            member = self.files.find(name, what)
            if member is None:
                raise InputError(f"{what}: layer {name} is missing from the archive",
                                 remedy="saving the image again; the archive is incomplete")
            head = read_range(Member(member.file, member.offset, min(4, member.size)))
            compression = "gzip" if head.startswith(GZIP_MAGIC) else "zstd" if head == ZSTD_MAGIC else ""
            # Uncompressed layers are content-addressed by their diff_id; compressed ones need one hashing pass.
            digest = digest_from_path(name) or (diff_id if not compression else hash_range(member))
            media_type = {"gzip": mt.OCI_LAYER_GZIP, "zstd": mt.OCI_LAYER_ZSTD}.get(compression, mt.OCI_LAYER)
            created_by, created = history[index] if index < len(history) else ("", None)
            self._members[index] = member
            layers.append(Layer(index=index, digest=digest, diff_id=diff_id, size=member.size,
                                media_type=media_type, created_by=created_by, created=created))
        repo_tags = [t for t in entry.get("RepoTags") or [] if isinstance(t, str)]
        return Image(source=self.source, transport=self.transport, ref=_ref(repo_tags), digest=None,
                     index_digest=None, platform=config_platform(config), manifest_media_type=None,
                     config_digest=config_digest, config=config, layers=tuple(layers))

    def _pick(self, entries: list[dict[str, Any]], what: str) -> dict[str, Any]:
        all_tags = sorted(t for e in entries for t in (e.get("RepoTags") or []) if isinstance(t, str))
        if self.tag is None:
            if len(entries) == 1:
                return entries[0]
            raise InputError(f"{what}: holds {len(entries)} images ({', '.join(all_tags) or 'untagged'})",
                             remedy="naming one after the path, e.g. docker-archive:FILE:name:tag")
        if self.tag.startswith("@") and self.tag[1:].isdigit() and int(self.tag[1:]) < len(entries):
            return entries[int(self.tag[1:])]  # skopeo's `@N` picks the Nth image

        wanted = self.tag
        # `name` means `name:latest`; a bare word may also be just the tag (`docker-archive:FILE:v2`).
        names = {wanted} if ":" in wanted.rpartition("/")[2] else {wanted, f"{wanted}:latest"}

        def hit(tag: str) -> bool:
            return any(tag == n or tag.endswith("/" + n) for n in names) or (
                ":" not in wanted and tag.endswith(":" + wanted))

        found = [e for e in entries if any(isinstance(t, str) and hit(t) for t in e.get("RepoTags") or [])]
        if len(found) != 1:
            raise InputError(f"{what}: {'no' if not found else 'more than one'} image tagged {self.tag!r} "
                             f"(tags: {', '.join(all_tags) or 'none'})", remedy="naming one of the tags listed")
        return found[0]

    def layer_file(self, layer: Layer) -> LayerFile:
        self.resolve()
        member = self._members[layer.index]
        return LayerFile(path=member.file, offset=member.offset, size=member.size, digest=layer.digest,
                         verified=False)

    def open_layer(self, layer: Layer) -> BinaryIO:
        return io.BufferedReader(open_verified(self.layer_file(layer), f"{self.source}: layer {layer.index}"))


def _ref(repo_tags: list[str]) -> ImageRef | None:
    from seawall.image.reference import parse_reference

    for tag in repo_tags:
        try:
            return parse_reference(tag)
        except ImageReferenceError:
            continue
    return None

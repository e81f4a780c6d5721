"""Media types of Docker v2 schema 2 and OCI manifests, indexes, configs and layers, and a manifest checker."""

from __future__ import annotations

import json
from typing import Any

from seawall.errors import InputError
from seawall.image.shapes import check_config, check_manifest
from seawall.jsonbound import check_depth

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_LAYER_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_LAYER_NONDIST_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_FOREIGN_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
# schema 1 is signed, deprecated and has no config blob; named only to refuse it with a clear message.
DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})
LAYER_TYPES = frozenset({
    OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD,
    OCI_LAYER_NONDIST, OCI_LAYER_NONDIST_GZIP, OCI_LAYER_NONDIST_ZSTD,
    DOCKER_LAYER_GZIP, DOCKER_LAYER_FOREIGN_GZIP,
})
# The Accept header a client sends for a manifest: every type it can read, single-platform and index.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))

MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # manifests and configs are parsed in memory; larger ones are hostile


def compression(media_type: str) -> str:
    """'gzip', 'zstd' or '' (plain tar) for a layer media type."""
    if media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        return "zstd"
    if media_type.endswith("+gzip") or media_type.endswith(".gzip"):
        return "gzip"
    return ""


def is_index(media_type: str | None) -> bool:
    return media_type in INDEX_TYPES


def is_manifest(media_type: str | None) -> bool:
    return media_type in MANIFEST_TYPES


def parse_manifest(data: bytes, what: str, declared_type: str | None = None) -> tuple[str, dict[str, Any]]:
    """Parse a manifest or index; return (media type, JSON) or raise `InputError` with one line naming `what`.

    The media type is the document's own `mediaType`, else the declared one (an HTTP Content-Type or a
    descriptor's), else inferred from the shape (`manifests` → OCI index, `layers` → OCI manifest), as the OCI
    image spec allows the field to be absent.
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError(f"{what}: manifest is {len(data)} bytes, over the {MAX_MANIFEST_BYTES} byte limit")
    check_depth(data, what)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{what}: malformed manifest JSON ({err})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{what}: manifest is not a JSON object")
    check_manifest(doc, what)
    media_type = doc.get("mediaType") or declared_type
    if not media_type or media_type in ("application/json", "text/plain", "application/octet-stream"):
        media_type = OCI_INDEX if "manifests" in doc else OCI_MANIFEST if "layers" in doc else None
    if media_type in (DOCKER_MANIFEST_V1, DOCKER_MANIFEST_V1_SIGNED) or doc.get("schemaVersion") == 1:
        raise InputError(f"{what}: Docker schema 1 manifests are not supported",
                         remedy="re-pushing the image with a current Docker or buildkit")
    if media_type not in MANIFEST_TYPES and media_type not in INDEX_TYPES:
        raise InputError(f"{what}: unknown manifest media type {media_type!r}")
    if media_type in INDEX_TYPES:
        _check_descriptors(doc.get("manifests"), what, "manifests")
    else:
        config = doc.get("config")
        _check_descriptors([config] if config is not None else None, what, "config")
        _check_descriptors(doc.get("layers"), what, "layers")
    return media_type, doc


def _check_descriptors(items: Any, what: str, field: str) -> None:
    if not isinstance(items, list):
        raise InputError(f"{what}: manifest has no {field!r} list")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("digest"), str) \
                or not isinstance(item.get("size"), int) or isinstance(item.get("size"), bool) or item["size"] < 0:
            raise InputError(f"{what}: malformed descriptor in {field!r}: {json.dumps(item)[:200]}")


def parse_config(data: bytes, what: str) -> dict[str, Any]:
    """Parse an image config blob (bounded, one-line error)."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError(f"{what}: config is {len(data)} bytes, over the {MAX_MANIFEST_BYTES} byte limit")
    check_depth(data, what)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{what}: malformed image config JSON ({err})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{what}: image config is not a JSON object")
    check_config(doc, what)
    return doc

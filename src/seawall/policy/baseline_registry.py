"""The baseline in the production registry, so a gate on a machine that never promoted anything still knows it.

Each promotion pushes the new baseline as an OCI artifact under one mutable tag of the production repository,
`<repository>:seawall-baseline`: an image manifest with `artifactType` application/vnd.seawall.baseline.v1+json,
the empty config, and a single layer holding the baseline JSON. It has no `subject`: it belongs to the
repository, not to one image (the copy attached to each promoted image stays in its scan referrer).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime
from typing import Any

from seawall.errors import SeawallError, UndecidedError
from seawall.image.blobcache import BlobCache
from seawall.image.reference import check_digest, parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions, sha256_digest
from seawall.image.registry.push import push_blob, push_manifest
from seawall.model.image import ImageRef
from seawall.paths import blob_dir
from seawall.policy.baseline import MAX_BYTES, Baseline, baseline_from_data

BASELINE_TAG = "seawall-baseline"
BASELINE_TYPE = "application/vnd.seawall.baseline.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY = b"{}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def baseline_tag_ref(repository: str | ImageRef) -> ImageRef:
    """`registry/repository:seawall-baseline`; a tag or digest in `repository` is ignored."""
    ref = parse_reference(repository) if isinstance(repository, str) else repository
    return ImageRef(ref.registry, ref.repository, BASELINE_TAG)


def baseline_manifest(data: bytes, created: str | None) -> bytes:
    annotations = {"org.opencontainers.image.created": created} if created else {}
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BASELINE_TYPE,
        "config": {"mediaType": EMPTY_TYPE, "digest": sha256_digest(EMPTY), "size": len(EMPTY), "data": "e30="},
        "layers": [{"mediaType": BASELINE_TYPE, "digest": sha256_digest(data), "size": len(data),
                    "annotations": {"org.opencontainers.image.title": "baseline.json"}}],
        **({"annotations": annotations} if annotations else {}),
    }, sort_keys=True, separators=(",", ":")).encode()


def publish_baseline(client: RegistryClient, repository: ImageRef, baseline: Baseline,
                     created: datetime | str | None = None) -> str:
    """Push `baseline` under `repository:seawall-baseline`, replacing the previous one; returns the manifest digest.

    The blob goes in before the manifest that names it, so a concurrent reader sees the old artifact or the new.
    """
    tag = baseline_tag_ref(repository)
    data = json.dumps(baseline.to_data(), sort_keys=True).encode()
    push_blob(client, tag, sha256_digest(EMPTY), EMPTY, len(EMPTY))
    push_blob(client, tag, sha256_digest(data), data, len(data))
    stamp = created.isoformat(timespec="seconds").replace("+00:00", "Z") if isinstance(created, datetime) \
        else created or baseline.created_at
    return push_manifest(client, tag, baseline_manifest(data, stamp), OCI_MANIFEST)


def fetch_baseline(client: RegistryClient, repository: str | ImageRef,
                   cache_dir: str | os.PathLike[str] | None = None) -> Baseline | None:
    """The baseline last published to `repository`, or None when it has none.

    Everything else — an unreachable registry, refused credentials, an artifact of the wrong type, too large, not
    matching its digest or not a baseline — raises UndecidedError: a gate never judges by a baseline it could not
    read.
    """
    tag = baseline_tag_ref(repository)
    where = f"the baseline of {tag.name} ({tag})"
    try:
        digest = client.head_manifest(tag)
        if digest is None:
            return None
        # By digest from here on: the bytes read are the ones the tag named, verified.
        manifest = client.get_manifest(replace(tag, digest=check_digest(digest, str(tag))), accept=OCI_MANIFEST)
        layer = _baseline_layer(manifest.doc, where)
        blob_digest, size = check_digest(layer["digest"], where), layer["size"]
        data = client.blob_bytes(tag, blob_digest, size, BlobCache(blob_dir(cache_dir)), limit=MAX_BYTES)
        parsed = json.loads(data.decode("utf-8"))
    except UndecidedError:
        raise
    except SeawallError as err:
        raise UndecidedError(f"cannot read {where}: {err.message}", remedy=err.remedy) from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UndecidedError(f"{where} is not JSON: {err}",
                             remedy=f"promoting to {tag.name} again to publish a new baseline") from err
    return baseline_from_data(parsed, f"{tag.name}@{manifest.digest}")


def _baseline_layer(doc: dict[str, Any], where: str) -> dict[str, Any]:
    def bad(why: str) -> UndecidedError:
        return UndecidedError(f"{where} is not a seawall baseline: {why}",
                              remedy=f"promoting again to publish a new baseline; something else took {BASELINE_TAG}")

    config = doc.get("config")
    kind = doc.get("artifactType") or (config.get("mediaType") if isinstance(config, dict) else None)
    if kind != BASELINE_TYPE:
        raise bad(f"artifact type {kind!r}")
    listed = doc.get("layers")
    layers = [layer for layer in (listed if isinstance(listed, list) else ())
              if isinstance(layer, dict) and layer.get("mediaType") == BASELINE_TYPE]
    if len(layers) != 1:
        raise bad(f"{len(layers)} baseline layers, expected one")
    size = layers[0].get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_BYTES:
        raise bad(f"layer size {size!r} (at most {MAX_BYTES} bytes)")
    if not isinstance(layers[0].get("digest"), str):
        raise bad("layer without a digest")
    return layers[0]


def fetch_baseline_with(options: RegistryOptions, repository: str | ImageRef,
                        cache_dir: str | os.PathLike[str] | None = None) -> Baseline | None:
    """`fetch_baseline` with a client of its own."""
    try:
        with RegistryClient(options) as client:
            return fetch_baseline(client, repository, cache_dir)
    except UndecidedError:
        raise
    except SeawallError as err:  # a malformed repository name
        raise UndecidedError(f"cannot read the baseline of {repository}: {err.message}", remedy=err.remedy) \
            from err

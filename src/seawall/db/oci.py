"""The DB bundle as an OCI artifact: an image manifest with artifactType `application/vnd.seawall.db.v1`, the empty
config, and one layer that is the bundle. `push` and `pull` use the project's registry client."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from seawall.db.build import now_iso
from seawall.db.bundle import MEDIA_TYPE, export_bundle, file_digest, import_bundle
from seawall.errors import InputError
from seawall.image import mediatypes
from seawall.image.blobcache import BlobCache
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions, sha256_digest
from seawall.image.registry.push import push_blob, push_manifest

ARTIFACT_TYPE = "application/vnd.seawall.db.v1"
_EMPTY = b"{}"
MAX_BUNDLE_BYTES = 8 * 1024**3


def push_db(db: Path, reference: str, *, options: RegistryOptions | None = None) -> str:
    """Export the DB at `db` and push it to `reference` (a tag); the manifest digest."""
    ref = parse_reference(reference)
    with tempfile.TemporaryDirectory(prefix="seawall-push-") as tmp:
        bundle = Path(tmp) / "seawall-db.tar.zst"
        manifest_info = export_bundle(db, bundle)
        digest, size = file_digest(bundle), bundle.stat().st_size
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": sha256_digest(_EMPTY), "size": len(_EMPTY)},
            "layers": [{"mediaType": MEDIA_TYPE, "digest": digest, "size": size,
                        "annotations": {"org.opencontainers.image.title": bundle.name}}],
            "annotations": {"org.opencontainers.image.created": now_iso(),
                            "dev.seawall.db.schema_version": str(manifest_info["schema_version"])},
        }
        with RegistryClient(options) as client:
            push_blob(client, ref, sha256_digest(_EMPTY), _EMPTY, len(_EMPTY))
            push_blob(client, ref, digest, bundle, size)
            return push_manifest(client, ref, json.dumps(manifest, separators=(",", ":")).encode(),
                                 mediatypes.OCI_MANIFEST)


def pull_db(reference: str, db: Path, *, options: RegistryOptions | None = None, cache: BlobCache | None = None,
            ) -> dict[str, Any]:
    """Pull the DB artifact at `reference`, verify it, and install it at `db`; the bundle's manifest."""
    ref = parse_reference(reference)
    with RegistryClient(options) as client:
        manifest = client.get_manifest(ref, accept=mediatypes.OCI_MANIFEST)
        doc = manifest.doc
        if manifest.is_index or doc.get("artifactType") != ARTIFACT_TYPE:
            raise InputError(f"{reference} is not a seawall DB (artifactType {doc.get('artifactType')!r})",
                             remedy="a reference pushed with `seawall db push`")
        layers = [layer for layer in doc.get("layers", ()) if layer.get("mediaType") == MEDIA_TYPE]
        if len(layers) != 1:
            raise InputError(f"{reference} holds {len(layers)} DB bundles, expected one")
        layer = layers[0]
        if int(layer.get("size", 0)) > MAX_BUNDLE_BYTES:
            raise InputError(f"{reference}: the DB bundle is {layer['size']} bytes, over the size bound")
        path = client.fetch_blob(ref, layer["digest"], int(layer["size"]), cache or BlobCache())
    return import_bundle(path, db, name=reference)

"""The DB bundle as an OCI artifact: an image manifest with artifactType `application/vnd.seawall.db.v1`, the empty
config, and one layer that is the bundle (tar+zstd). The manifest's annotations describe the DB (schema, when it was
built, each feed's data date and record count) so a client can decide from the manifest alone whether to pull.
`push` and `pull` use the project's registry client; a pull streams download → digest check → decompress → install,
and installs nothing unless every digest matched."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import httpx

from seawall.db.build import now_iso
from seawall.db.bundle import MEDIA_TYPE, export_bundle, file_digest, import_bundle
from seawall.db.store import SCHEMA_VERSION
from seawall.errors import InputError, IntegrityError, NetworkError
from seawall.image import mediatypes
from seawall.image.reference import check_digest, parse_reference
from seawall.image.registry.client import RegistryClient, RegistryOptions, sha256_digest
from seawall.image.registry.push import push_blob, push_manifest
from seawall.model.image import ImageRef

ARTIFACT_TYPE = "application/vnd.seawall.db.v1"
_EMPTY = b"{}"
MAX_BUNDLE_BYTES = 8 * 1024**3
ANNOTATION_SCHEMA = "dev.seawall.db.schema_version"
ANNOTATION_BUILT = "dev.seawall.db.built_at"
ANNOTATION_FEEDS = "dev.seawall.db.feeds"
ANNOTATION_DB_SIZE = "dev.seawall.db.size"


def with_default_tag(reference: str) -> str:
    """A repository named without tag or digest means its schema's tag (`…/seawall-db` → `…/seawall-db:3` for
    schema 3), so a client never pulls a DB of a schema it cannot read."""
    last = reference.rsplit("/", 1)[-1]
    return reference if "@" in reference or ":" in last else f"{reference}:{SCHEMA_VERSION}"


def push_db(db: Path, references: str | Sequence[str], *, options: RegistryOptions | None = None) -> str:
    """Export the DB at `db` and push it under every reference (tags of one or more repositories); its digest."""
    refs = [parse_reference(with_default_tag(r)) for r in ([references] if isinstance(references, str)
                                                           else references)]
    if not refs:
        raise InputError("no reference to push the DB to", remedy="naming a repository, e.g. HOST/seawall-db")
    with tempfile.TemporaryDirectory(prefix="seawall-push-") as tmp:
        bundle = Path(tmp) / "seawall-db.tar.zst"
        info = export_bundle(db, bundle)
        digest, size = file_digest(bundle), bundle.stat().st_size
        feeds = [{"name": f["name"], "data_date": f.get("data_date"), "records": f.get("records", 0)}
                 for f in info["feeds"] if not f.get("error")]
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": mediatypes.OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": mediatypes.OCI_EMPTY, "digest": sha256_digest(_EMPTY), "size": len(_EMPTY)},
            "layers": [{"mediaType": MEDIA_TYPE, "digest": digest, "size": size,
                        "annotations": {"org.opencontainers.image.title": bundle.name}}],
            "annotations": {"org.opencontainers.image.created": now_iso(),
                            ANNOTATION_SCHEMA: str(info["schema_version"]),
                            ANNOTATION_BUILT: str(info.get("updated_at") or ""),
                            ANNOTATION_DB_SIZE: str(info["files"]["seawall.db"]["size"]),
                            ANNOTATION_FEEDS: json.dumps(feeds, separators=(",", ":"))},
        }
        data = json.dumps(manifest, separators=(",", ":")).encode()
        pushed = ""
        with RegistryClient(options) as client:
            for ref in refs:
                push_blob(client, ref, sha256_digest(_EMPTY), _EMPTY, len(_EMPTY))
                push_blob(client, ref, digest, bundle, size)
                pushed = push_manifest(client, ref, data, mediatypes.OCI_MANIFEST)
        return pushed


@dataclass
class PulledDb:
    """What `pull_db` installed: where from, the artifact's manifest digest, and the bytes downloaded."""

    reference: str
    digest: str
    downloaded: int
    annotations: dict[str, str] = field(default_factory=dict)
    bundle: dict[str, Any] = field(default_factory=dict)


def artifact_manifest(client: RegistryClient, reference: str) -> tuple[ImageRef, str, dict[str, Any]]:
    """The DB artifact's manifest at `reference`: (ref, manifest digest, manifest), checked to be a seawall DB."""
    ref = parse_reference(with_default_tag(reference))
    manifest = client.get_manifest(ref, accept=mediatypes.OCI_MANIFEST)
    doc = manifest.doc
    if manifest.is_index or doc.get("artifactType") != ARTIFACT_TYPE:
        raise InputError(f"{ref} is not a seawall DB (artifactType {doc.get('artifactType')!r})",
                         remedy="a reference pushed with `seawall db push`")
    return ref, manifest.digest, doc


def pull_db(reference: str, db: Path, *, options: RegistryOptions | None = None,
            started: Callable[[int], None] | None = None) -> PulledDb:
    """Pull the DB artifact at `reference`, verify it, and install it at `db` atomically; `started` hears the
    bundle's size once the registry has answered with the manifest."""
    with RegistryClient(options) as client:
        ref, manifest_digest, doc = artifact_manifest(client, reference)
        layers = [layer for layer in doc.get("layers", ()) if isinstance(layer, dict)
                  and layer.get("mediaType") == MEDIA_TYPE]
        if len(layers) != 1:
            raise InputError(f"{ref} holds {len(layers)} DB bundles, expected one")
        layer = layers[0]
        digest, size = str(layer.get("digest", "")), layer.get("size")
        check_digest(digest, str(ref))
        if not isinstance(size, int) or size < 0 or size > MAX_BUNDLE_BYTES:
            raise IntegrityError(f"{ref}: the DB bundle's size {size!r} is not a size up to {MAX_BUNDLE_BYTES}")
        if started is not None:
            started(size)
        response = client.request("GET", ref.registry, f"/v2/{ref.repository}/blobs/{digest}",
                                  scopes=(f"repository:{ref.repository}:pull",), stream=True,
                                  headers={"Accept-Encoding": "identity"})
        try:
            client.raise_for_status(response, ref.registry, f"blob {digest}")
            reader = _VerifyingReader(response.iter_raw(), digest, size, str(ref))
            origin = {"origin": "repository", "origin_reference": str(ref), "origin_digest": manifest_digest,
                      "pulled_at": now_iso()}
            try:
                bundle = import_bundle(cast("IO[bytes]", reader), db, name=str(ref), verify=reader.finish, meta=origin)
            except httpx.HTTPError as err:
                raise NetworkError(f"download of the DB from {ref.registry} failed: {err}", remedy="again") from None
        finally:
            response.close()
    annotations = {str(k): str(v) for k, v in (doc.get("annotations") or {}).items()}
    return PulledDb(str(ref), manifest_digest, reader.count, annotations, bundle)


class _VerifyingReader(io.RawIOBase):
    """A file over a blob's byte stream that hashes what passes and refuses more than the declared size;
    `finish` drains what the consumer left and checks the digest (nothing is installed before it passes)."""

    def __init__(self, chunks: Iterator[bytes], digest: str, size: int, label: str) -> None:
        self._chunks = chunks
        self._pending = b""
        self._hash = hashlib.new(digest.split(":", 1)[0])
        self._digest, self._size, self._label = digest, size, label
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.count += len(chunk)
            if self.count > self._size:
                raise IntegrityError(f"{self._label}: the DB bundle is longer than its declared {self._size} bytes")
            self._hash.update(chunk)
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def finish(self) -> None:
        while self.readinto(bytearray(1 << 20)):
            pass
        actual = f"{self._digest.split(':', 1)[0]}:{self._hash.hexdigest()}"
        if self.count != self._size or actual != self._digest:
            raise IntegrityError(f"{self._label}: the DB bundle does not match its digest {self._digest} "
                                 f"(got {actual}, {self.count} of {self._size} bytes)",
                                 remedy="pulling again; nothing was installed")

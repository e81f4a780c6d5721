"""The push side of the distribution API: blobs (monolithic upload, existence check, cross-repository mount),
manifests, whole-image copies between repositories or registries, and pushing a local OCI layout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from seawall.errors import InputError, IntegrityError
from seawall.image import mediatypes
from seawall.image.blobcache import CHUNK, BlobCache
from seawall.image.reference import check_digest, parse_reference, with_digest
from seawall.image.registry.client import Manifest, RegistryClient, registry_error, sha256_digest
from seawall.model.image import ImageRef

_REF_NAME = "org.opencontainers.image.ref.name"


def _push_scopes(ref: ImageRef, mount_from: str | None = None) -> tuple[str, ...]:
    scopes = (f"repository:{ref.repository}:pull,push",)
    return (*scopes, f"repository:{mount_from}:pull") if mount_from and mount_from != ref.repository else scopes


def blob_exists(client: RegistryClient, ref: ImageRef, digest: str, scopes: tuple[str, ...] = ()) -> bool:
    response = client.request("HEAD", ref.registry, f"/v2/{ref.repository}/blobs/{digest}",
                              scopes=scopes or (f"repository:{ref.repository}:pull",))
    if response.status_code == 404:
        return False
    client.raise_for_status(response, ref.registry, f"blob {digest} in {ref.name}")
    return True


BlobData = bytes | Path | Callable[[], Path]


def push_blob(client: RegistryClient, ref: ImageRef, digest: str, data: BlobData, size: int,
              mount_from: str | None = None) -> str:
    """Upload one blob to `ref`'s repository unless it is there; returns 'exists', 'mounted' or 'uploaded'.

    `data` may be a callable giving a local file, called only when bytes must really be sent. With
    `mount_from` (a repository on the same registry) the registry is first asked to link the blob without a
    transfer; a registry that cannot mount answers with an upload session instead, which is then used.
    """
    check_digest(digest)
    scopes = _push_scopes(ref, mount_from)
    if blob_exists(client, ref, digest, scopes):
        return "exists"
    params = {"mount": digest, "from": mount_from} if mount_from and mount_from != ref.repository else None
    response = client.request("POST", ref.registry, f"/v2/{ref.repository}/blobs/uploads/", scopes=scopes,
                              params=params, headers={"Content-Length": "0"})
    if response.status_code == 201 and params:
        return "mounted"
    client.raise_for_status(response, ref.registry, f"upload to {ref.name}")
    location = response.headers.get("location")
    if response.status_code != 202 or not location:
        raise InputError(f"{ref.registry}: unexpected answer to an upload request: {registry_error(response)}")
    url = _absolute(client, ref.registry, location)
    url += f"{'&' if '?' in url else '?'}digest={digest}"
    payload = data() if callable(data) else data

    def body() -> bytes | Iterator[bytes]:
        return payload if isinstance(payload, bytes) else _file_chunks(payload)

    response = client.request("PUT", ref.registry, url, scopes=scopes, content=body,
                              headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
    if response.status_code == 400 and "DIGEST_INVALID" in response.text:
        raise IntegrityError(f"{ref.registry} rejected blob {digest}: its content has a different digest")
    client.raise_for_status(response, ref.registry, f"blob {digest} upload to {ref.name}")
    return "uploaded"


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def push_manifest(client: RegistryClient, ref: ImageRef, data: bytes, media_type: str) -> str:
    """PUT a manifest or index under `ref`'s tag (or digest); returns its digest, checked against the registry's."""
    mediatypes.parse_manifest(data, f"manifest for {ref}", media_type)
    digest = sha256_digest(data)
    reference = ref.tag if ref.tag and not ref.digest else (ref.digest or digest)
    response = client.request("PUT", ref.registry, f"/v2/{ref.repository}/manifests/{reference}",
                              scopes=_push_scopes(ref), content=lambda: data,
                              headers={"Content-Type": media_type})
    client.raise_for_status(response, ref.registry, f"manifest {ref}")
    answered = response.headers.get("docker-content-digest")
    if answered and answered != digest:
        raise IntegrityError(f"{ref.registry} stored manifest {ref} as {answered}, expected {digest}")
    return digest


def copy_image(client: RegistryClient, src: ImageRef, dst: ImageRef, cache: BlobCache | None = None,
               dst_client: RegistryClient | None = None) -> str:
    """Copy `src` (a whole index with every child, or one manifest) to `dst`; returns the digest, unchanged.

    Blobs are mounted across repositories of the same registry, otherwise fetched through the verified blob
    cache and uploaded. Children go in by digest before their index so the registry never holds a dangling one.
    """
    cache = cache or BlobCache()
    target = dst_client or client
    same_registry = target is client and src.registry == dst.registry
    top = client.get_manifest(src)
    _copy_manifest_tree(client, target, src, dst, top, cache, same_registry)
    return push_manifest(target, dst if dst.tag or dst.digest else with_digest(dst, top.digest), top.data,
                         top.media_type)


def _copy_manifest_tree(client: RegistryClient, target: RegistryClient, src: ImageRef, dst: ImageRef,
                        manifest: Manifest, cache: BlobCache, same_registry: bool) -> None:
    if manifest.is_index:
        for child in manifest.doc["manifests"]:
            digest = check_digest(child["digest"], f"index {src}")
            child_manifest = client.get_manifest(with_digest(src, digest),
                                                 accept=child.get("mediaType") or mediatypes.MANIFEST_ACCEPT)
            _copy_manifest_tree(client, target, src, dst, child_manifest, cache, same_registry)
            push_manifest(target, ImageRef(dst.registry, dst.repository, None, digest), child_manifest.data,
                          child_manifest.media_type)
        return
    for desc in [manifest.doc["config"], *manifest.doc["layers"]]:
        digest, size = check_digest(desc["digest"], f"manifest {src}"), desc["size"]

        def fetch(digest: str = digest, size: int = size) -> Path:
            return client.fetch_blob(src, digest, size, cache)

        push_blob(target, dst, digest, fetch, size, mount_from=src.repository if same_registry else None)


def _absolute(client: RegistryClient, registry: str, location: str) -> str:
    if location.startswith(("http://", "https://")):
        return location
    return client.base_url(registry) + ("" if location.startswith("/") else "/") + location


def push_oci_layout(client: RegistryClient, directory: str | Path, ref: ImageRef | str) -> str:
    """Push the image in an OCI layout directory to `ref`; returns the pushed top-level digest.

    The layout's index.json entry whose ref.name annotation equals the tag is pushed, else its only entry,
    else index.json itself as an index of all entries.
    """
    root = Path(directory)
    ref = parse_reference(ref) if isinstance(ref, str) else ref
    index_data = _read_layout_file(root / "index.json", "index.json")
    _, index = mediatypes.parse_manifest(index_data, f"{root}/index.json", mediatypes.OCI_INDEX)
    entries = index["manifests"]
    chosen = [e for e in entries if (e.get("annotations") or {}).get(_REF_NAME) == ref.tag] or \
        (entries if len(entries) == 1 else [])
    if chosen:
        desc = chosen[0]
        data = _layout_blob(root, desc["digest"], desc["size"])
        media_type = mediatypes.parse_manifest(data, desc["digest"], desc.get("mediaType"))[0]
    else:
        data, media_type = index_data, mediatypes.OCI_INDEX
    _push_layout_tree(client, root, ref, data, media_type)
    return push_manifest(client, ref, data, media_type)


def _push_layout_tree(client: RegistryClient, root: Path, ref: ImageRef, data: bytes, media_type: str) -> None:
    media_type, doc = mediatypes.parse_manifest(data, f"{root}", media_type)
    if mediatypes.is_index(media_type):
        for child in doc["manifests"]:
            child_data = _layout_blob(root, child["digest"], child["size"])
            _push_layout_tree(client, root, ref, child_data, child.get("mediaType") or "")
            push_manifest(client, ImageRef(ref.registry, ref.repository, None, child["digest"]), child_data,
                          mediatypes.parse_manifest(child_data, child["digest"], child.get("mediaType"))[0])
        return
    for desc in [doc["config"], *doc["layers"]]:
        digest = check_digest(desc["digest"], str(root))
        push_blob(client, ref, digest, _layout_blob_path(root, digest), desc["size"])


def _layout_blob_path(root: Path, digest: str) -> Path:
    algorithm, hexpart = check_digest(digest, str(root)).split(":", 1)
    return root / "blobs" / algorithm / hexpart


def _layout_blob(root: Path, digest: str, size: int) -> bytes:
    if size > mediatypes.MAX_MANIFEST_BYTES:
        raise IntegrityError(f"{root}: manifest {digest} is {size} bytes, over the limit")
    data = _read_layout_file(_layout_blob_path(root, digest), digest)
    if len(data) != size or sha256_digest(data) != digest:
        raise IntegrityError(f"{root}: blob {digest} does not match its digest or size")
    return data


def _read_layout_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read {what} of the OCI layout at {path}: {err.strerror}") from None


def manifest_digests(manifest: Manifest) -> list[str]:
    """Every blob digest a single-platform manifest references (config first)."""
    doc: dict[str, Any] = manifest.doc
    return [doc["config"]["digest"], *(layer["digest"] for layer in doc["layers"])]

"""Pushing to real registries: blob uploads and existence checks, cross-repository mounts, manifests, and whole
image copies (index, children, blobs) that keep every digest."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
import pytest

from seawall.errors import IntegrityError
from seawall.image.blobcache import BlobCache
from seawall.image.reference import parse_reference
from seawall.image.registry.client import RegistryClient
from seawall.image.registry.push import blob_exists, copy_image, push_blob, push_manifest, push_oci_layout
from seawall.image.registry.source import RegistrySource
from tests.fixtures.registry import PASSWORD, USER, RegistryServer, digest_of, multi_platform_image, single_image

pytestmark = pytest.mark.registry


def test_push_blob_uploads_once_and_verifies(registry: RegistryServer, tmp_path: Path) -> None:
    ref = parse_reference(f"{registry.host}/push/blobs:1")
    data = os.urandom(100_000)
    digest = digest_of(data)
    source = tmp_path / "blob"
    source.write_bytes(data)
    with RegistryClient() as client:
        assert not blob_exists(client, ref, digest)
        assert push_blob(client, ref, digest, source, len(data)) == "uploaded"
        assert push_blob(client, ref, digest, source, len(data)) == "exists"
        assert blob_exists(client, ref, digest)
        assert client.fetch_blob(ref, digest, len(data), BlobCache(tmp_path / "c")).read_bytes() == data
        with pytest.raises(IntegrityError, match="different digest"):
            push_blob(client, ref, digest_of(b"other"), b"not other", 9)


def test_cross_repository_mount(registry: RegistryServer) -> None:
    src = parse_reference(f"{registry.host}/push/mount-src:1")
    dst = parse_reference(f"{registry.host}/push/mount-dst:1")
    data = os.urandom(50_000)
    with RegistryClient() as client:
        push_blob(client, src, digest_of(data), data, len(data))
        assert push_blob(client, dst, digest_of(data), lambda: pytest.fail("no bytes should be sent"), len(data),
                         mount_from=src.repository) == "mounted"
        assert blob_exists(client, dst, digest_of(data))


def test_copy_image_keeps_every_digest(registry: RegistryServer, tmp_path: Path) -> None:
    image = multi_platform_image("copy")
    with RegistryClient() as client:
        pushed = push_oci_layout(client, image.write_layout(tmp_path / "layout"), f"{registry.host}/push/src:v1")
        assert pushed == image.digest
        copied = copy_image(client, parse_reference(f"{registry.host}/push/src:v1"),
                            parse_reference(f"{registry.host}/promoted/app:v1"), BlobCache(tmp_path / "c"))
        assert copied == image.digest
        for digest, data in image.manifests.items():  # index, both platforms and the attestation, byte for byte
            got = client.get_manifest(parse_reference(f"{registry.host}/promoted/app@{digest}"))
            assert got.data == data
        for digest, data in image.blobs.items():
            assert client.fetch_blob(parse_reference(f"{registry.host}/promoted/app:v1"), digest, len(data),
                                     BlobCache(tmp_path / "c2")).read_bytes() == data
    # cross-repository copies on one registry mount: nothing was downloaded into the cache
    assert BlobCache(tmp_path / "c").info().count == 0


def test_copy_between_registries_with_auth(registry: RegistryServer, auth_registry: RegistryServer,
                                           tmp_path: Path) -> None:
    image = single_image("cross-registry")
    config = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"auths": {auth_registry.host: {
        "auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}}}))
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), f"{registry.host}/x/app:1")
        copied = copy_image(client, parse_reference(f"{registry.host}/x/app:1"),
                            parse_reference(f"{auth_registry.host}/mirror/app:1"), BlobCache(tmp_path / "c"))
        assert copied == image.digest
    with RegistrySource(f"{auth_registry.host}/mirror/app:1", cache=BlobCache(tmp_path / "pull")) as source:
        pulled = source.resolve()
        assert pulled.digest == image.digest
        assert source.layer_file(pulled.layers[0]).verified


def test_push_manifest_by_tag_reports_the_digest(registry: RegistryServer, tmp_path: Path) -> None:
    image = single_image("manifest-only")
    ref = parse_reference(f"{registry.host}/push/manifest:t")
    with RegistryClient() as client:
        for digest, data in image.blobs.items():
            push_blob(client, ref, digest, data, len(data))
        assert push_manifest(client, ref, image.top, "application/vnd.oci.image.manifest.v1+json") == image.digest
        assert client.head_manifest(ref) == image.digest
    # the registry itself agrees
    head = httpx.head(f"{registry.url}/v2/push/manifest/manifests/t",
                      headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert head.headers["docker-content-digest"] == image.digest

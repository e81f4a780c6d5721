"""Images and registry checks for promotion tests: Debian-like images built from the tracker excerpt's rootfs,
single- or multi-platform, and what a registry holds after a promotion."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx

from tests.fixtures.registry import (
    OCI_INDEX,
    OCI_MANIFEST,
    PASSWORD,
    USER,
    RegistryServer,
    TestImage,
    digest_of,
    make_layer,
)
from tests.triage_helpers import ROOTFS

STATUS = ROOTFS / "var/lib/dpkg/status"


def dpkg_status(packages: set[str] | None = None, arch: str = "amd64") -> bytes:
    """The rootfs's dpkg status, optionally only some of its packages, as installed on `arch`."""
    stanzas = [s for s in STATUS.read_text().split("\n\n") if s.strip()]
    if packages is not None:
        stanzas = [s for s in stanzas if s.splitlines()[0].removeprefix("Package: ").strip() in packages]
    text = "\n\n".join(stanzas) + "\n"
    return text.replace("Architecture: amd64", f"Architecture: {arch}").encode()


def rootfs_files(status: bytes) -> dict[str, bytes]:
    return {"etc/os-release": (ROOTFS / "etc/os-release").read_bytes(),
            "etc/debian_version": (ROOTFS / "etc/debian_version").read_bytes(), "var/lib/dpkg/status": status}


def add_manifest(image: TestImage, files: dict[str, bytes], arch: str = "amd64", variant: str | None = None) -> bytes:
    """One layer holding `files`, a config for `arch` written here, and the manifest naming both."""
    layer, diff_id = make_layer(files)
    config = json.dumps({"architecture": arch, **({"variant": variant} if variant else {}), "os": "linux",
                         "created": "2024-05-01T00:00:00Z", "config": {"User": "1000"},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "history": [{"created_by": "ADD rootfs.tar /"}]}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image.add(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **image.add(layer)}],
    }).encode()
    image.manifests[digest_of(manifest)] = manifest
    return manifest


def single_image(files: dict[str, bytes]) -> TestImage:
    image = TestImage()
    image.top = add_manifest(image, files)
    return image


def two_platform_image(amd64: dict[str, bytes], arm64: dict[str, bytes]) -> tuple[TestImage, dict[str, str]]:
    """An index: linux/amd64, linux/arm64/v8 and a buildkit attestation; returns it and {platform: digest}."""
    image = TestImage(top_media_type=OCI_INDEX)
    entries, digests = [], {}
    for arch, variant, files in (("amd64", None, amd64), ("arm64", "v8", arm64)):
        manifest = add_manifest(image, files, arch, variant)
        platform = {"os": "linux", "architecture": arch, **({"variant": variant} if variant else {})}
        entries.append({"mediaType": OCI_MANIFEST, "digest": digest_of(manifest), "size": len(manifest),
                        "platform": platform})
        digests["/".join(platform.values())] = digest_of(manifest)
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "test"}).encode()
    attestation = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **image.add(b"{}")},
        "layers": [{"mediaType": "application/vnd.in-toto+json", **image.add(statement)}],
    }).encode()
    image.manifests[digest_of(attestation)] = attestation
    entries.append({"mediaType": OCI_MANIFEST, "digest": digest_of(attestation), "size": len(attestation),
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                    "vnd.docker.reference.digest": entries[0]["digest"]}})
    digests["attestation"] = digest_of(attestation)
    image.top = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
    image.manifests[digest_of(image.top)] = image.top
    return image, digests


def login(server: RegistryServer) -> None:
    """Credentials for the production registry where every seawall command looks: $DOCKER_CONFIG/config.json."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.setdefault("auths", {})[server.host] = {"auth": token}
    path.write_text(json.dumps(existing))


def _auth(server: RegistryServer) -> tuple[str, str] | None:
    return (USER, PASSWORD) if "auth" in str(server.root) else None


def manifest_status(server: RegistryServer, repository: str, reference: str) -> int:
    return httpx.get(f"{server.url}/v2/{repository}/manifests/{reference}", auth=_auth(server),
                     headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}).status_code


def blob_status(server: RegistryServer, repository: str, digest: str) -> int:
    return httpx.head(f"{server.url}/v2/{repository}/blobs/{digest}", auth=_auth(server)).status_code


def tags(server: RegistryServer, repository: str) -> list[str]:
    response = httpx.get(f"{server.url}/v2/{repository}/tags/list", auth=_auth(server))
    return [] if response.status_code == 404 else sorted(response.json().get("tags") or [])

"""Pulling from a real docker-registry: manifests, indexes and platforms, verified blobs, one-line errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from seawall.errors import ExitCode, InputError, IntegrityError, NetworkError
from seawall.image.blobcache import BlobCache
from seawall.image.platforms import host_platform, parse_platform, select_manifest
from seawall.image.registry.client import RegistryClient, RegistryOptions
from seawall.image.registry.push import push_oci_layout
from seawall.image.registry.ratelimit import Backoff
from seawall.image.registry.source import RegistrySource
from seawall.model.image import Platform
from tests.fixtures.registry import RegistryServer, free_port, multi_platform_image, single_image

pytestmark = pytest.mark.registry


@pytest.fixture(scope="module")
def pushed(registry: RegistryServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One single-platform image and one multi-platform index (with an attestation) in the registry."""
    work = tmp_path_factory.mktemp("layouts")
    single, multi = single_image("pull"), multi_platform_image("pull")
    with RegistryClient() as client:
        single_digest = push_oci_layout(client, single.write_layout(work / "single"), f"{registry.host}/pull/app:1")
        multi_digest = push_oci_layout(client, multi.write_layout(work / "multi"), f"{registry.host}/pull/multi:1")
    assert single_digest == single.digest and multi_digest == multi.digest
    return {"single": single_digest, "multi": multi_digest}


def test_anonymous_pull_of_a_single_manifest(registry: RegistryServer, pushed: dict[str, str],
                                             tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    with RegistrySource(f"{registry.host}/pull/app:1", cache=cache) as source:
        image = source.resolve()
        assert image.transport == "registry"
        assert image.digest == pushed["single"] and image.index_digest is None
        assert image.repo_digests == (f"{registry.host}/pull/app@{pushed['single']}",)
        assert image.platform == Platform("linux", "amd64")
        assert image.config["config"]["Cmd"] == ["sh"]
        assert image.annotations["org.opencontainers.image.title"] == "test-amd64"
        # history lines of empty layers (ENV) are skipped when pairing history with layers
        assert [layer.created_by for layer in image.layers] == ["ADD rootfs.tar /", "COPY hello.txt /app/"]
        assert [layer.index for layer in image.layers] == [0, 1]
        layer_file = source.layer_file(image.layers[1])
        assert layer_file.verified and layer_file.path.parent == tmp_path / "sha256"
        with source.open_layer(image.layers[1]) as blob, tarfile.open(fileobj=blob, mode="r:gz") as tar:
            assert tar.extractfile("app/hello.txt").read() == b"hello from amd64pull\n"  # type: ignore[union-attr]
        plain = gzip.decompress(layer_file.path.read_bytes())
        assert image.layers[1].diff_id == "sha256:" + hashlib.sha256(plain).hexdigest()


def test_pull_by_digest_and_by_tag_with_digest(registry: RegistryServer, pushed: dict[str, str],
                                               tmp_path: Path) -> None:
    for text in (f"{registry.host}/pull/app@{pushed['single']}", f"{registry.host}/pull/app:1@{pushed['single']}"):
        with RegistrySource(text, cache=BlobCache(tmp_path)) as source:
            assert source.resolve().digest == pushed["single"]


@pytest.mark.parametrize(("platform", "expected"), [
    ("linux/arm64/v8", "linux/arm64/v8"),
    ("linux/arm64", "linux/arm64/v8"),  # arm64 means v8
    ("aarch64", "linux/arm64/v8"),
    ("linux/amd64", "linux/amd64"),
])
def test_platform_selection_from_an_index(registry: RegistryServer, pushed: dict[str, str], tmp_path: Path,
                                          platform: str, expected: str) -> None:
    with RegistrySource(f"{registry.host}/pull/multi:1", platform=parse_platform(platform),
                        cache=BlobCache(tmp_path)) as source:
        image = source.resolve()
        assert str(image.platform) == expected
        assert image.index_digest == pushed["multi"] and image.digest != pushed["multi"]
        assert image.repo_digests == (f"{registry.host}/pull/multi@{pushed['multi']}",)
        arch = expected.split("/")[1]
        with source.open_layer(image.layers[1]) as blob, tarfile.open(fileobj=blob, mode="r:gz") as tar:
            assert arch.encode() in tar.extractfile("app/hello.txt").read()  # type: ignore[union-attr]


def test_default_platform_is_this_machine(registry: RegistryServer, pushed: dict[str, str], tmp_path: Path) -> None:
    host = host_platform()
    source = RegistrySource(f"{registry.host}/pull/multi:1", cache=BlobCache(tmp_path))
    if host.architecture not in ("amd64", "arm64"):
        pytest.skip(f"the test index has no {host}")
    assert source.resolve().platform.architecture == host.architecture


def test_no_matching_platform_lists_the_available_ones(registry: RegistryServer, pushed: dict[str, str],
                                                       tmp_path: Path) -> None:
    source = RegistrySource(f"{registry.host}/pull/multi:1", platform=parse_platform("linux/s390x"),
                            cache=BlobCache(tmp_path))
    with pytest.raises(InputError) as info:
        source.resolve()
    message = info.value.one_line()
    assert "no image for platform linux/s390x; available: linux/amd64, linux/arm64/v8" in message
    assert "unknown" not in message  # the attestation entry is not a platform


def test_explicit_platform_mismatch_on_a_single_manifest(registry: RegistryServer, pushed: dict[str, str],
                                                         tmp_path: Path) -> None:
    source = RegistrySource(f"{registry.host}/pull/app:1", platform=parse_platform("linux/arm64"),
                            cache=BlobCache(tmp_path))
    with pytest.raises(InputError, match="is for platform linux/amd64, not linux/arm64/v8"):
        source.resolve()


def test_unknown_manifest_is_an_input_error(registry: RegistryServer, pushed: dict[str, str]) -> None:
    source = RegistrySource(f"{registry.host}/pull/app:no-such-tag")
    with pytest.raises(InputError) as info:
        source.resolve()
    assert info.value.one_line().startswith(f"error: manifest unknown: {registry.host}/pull/app:no-such-tag")
    assert info.value.exit_code == ExitCode.INPUT


def test_tampered_blob_is_rejected_and_not_cached(registry: RegistryServer, tmp_path: Path) -> None:
    image = single_image("tampered-blob")
    with RegistryClient() as client:
        push_oci_layout(client, image.write_layout(tmp_path / "layout"), f"{registry.host}/pull/tampered:1")
    source = RegistrySource(f"{registry.host}/pull/tampered:1", cache=BlobCache(tmp_path / "cache"))
    layer = source.resolve().layers[1]
    stored = registry.blob_data_path(layer.digest)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes
    stored.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as info:
        source.layer_file(layer)
    assert f"blob digest mismatch: expected {layer.digest}" in info.value.message
    assert info.value.exit_code == ExitCode.INTEGRITY
    assert source.cache.path(layer.digest) is None
    assert [p.name for p in (tmp_path / "cache" / "sha256").iterdir()] == [source.resolve().config_digest.split(":")[1]]


def test_tampered_manifest_is_rejected(registry: RegistryServer, tmp_path: Path) -> None:
    image = single_image("tampered-manifest")
    with RegistryClient() as client:
        digest = push_oci_layout(client, image.write_layout(tmp_path / "layout"), f"{registry.host}/pull/tm:1")
    stored = registry.blob_data_path(digest)
    doc = json.loads(stored.read_bytes())
    doc["annotations"]["org.opencontainers.image.title"] = "evil"
    stored.write_bytes(json.dumps(doc).encode())
    with pytest.raises(IntegrityError, match="manifest digest mismatch"):
        RegistrySource(f"{registry.host}/pull/tm@{digest}", cache=BlobCache(tmp_path / "c")).resolve()


def test_unreachable_registry_is_one_network_error_line() -> None:
    port = free_port()  # nothing listens there
    options = RegistryOptions(backoff=Backoff(attempts=2, base=0.01))
    source = RegistrySource(f"127.0.0.1:{port}/app:1", client=RegistryClient(options))
    with pytest.raises(NetworkError) as info:
        source.resolve()
    line = info.value.one_line()
    assert line.startswith(f"error: cannot reach registry 127.0.0.1:{port}")
    assert "\n" not in line and info.value.exit_code == ExitCode.NETWORK



@pytest.mark.parametrize(("text", "expected"), [
    ("linux/amd64", "linux/amd64"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/arm64/v8", "linux/arm64/v8"),
    ("linux/arm64", "linux/arm64/v8"),
    ("linux/aarch64", "linux/arm64/v8"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/armhf", "linux/arm/v7"),
    ("arm64", "linux/arm64/v8"),
    ("windows/amd64", "windows/amd64"),
])
def test_platform_parsing(text: str, expected: str) -> None:
    assert str(parse_platform(text)) == expected


@pytest.mark.parametrize("text", ["", "linux//amd64", "linux/arm/v7/extra", "linux/a md64"])
def test_bad_platforms_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match="invalid platform"):
        parse_platform(text)


def test_arm_v7_request_falls_back_to_v6() -> None:
    manifests = [{"digest": "sha256:" + "1" * 64, "size": 1, "platform": {"os": "linux", "architecture": "arm",
                                                                          "variant": "v6"}},
                 {"digest": "sha256:" + "2" * 64, "size": 1, "platform": {"os": "linux", "architecture": "amd64"}}]
    assert select_manifest(manifests, parse_platform("linux/arm/v7"), "test")["digest"].endswith("1" * 64)
    with pytest.raises(InputError, match="available: linux/amd64, linux/arm/v6"):
        select_manifest(manifests, parse_platform("linux/arm/v5"), "test")

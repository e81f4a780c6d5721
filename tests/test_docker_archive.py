"""`docker save` tarballs (old and docker ≥25 layouts): the same image as from an OCI layout."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from seawall.errors import InputError, IntegrityError
from seawall.image.docker_archive import DockerArchiveSource
from seawall.inspect import inspect_image
from tests.conftest import require_tool
from tests.imagebuild import Dir, Hardlink, Opaque, Symlink, Whiteout, build_oci_layout, oci_to_docker_archive

LAYERS = [
    {"/etc": Dir(), "/etc/os-release": Symlink("../usr/lib/os-release"),
     "/usr/lib/os-release": b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', "/opt/x/a": b"a",
     "/usr/bin/perl": b"perl", "/usr/bin/perl5": Hardlink("/usr/bin/perl")},
    {"/opt/x": Opaque(), "/opt/x/b": b"b", "/usr/bin/perl5": Whiteout()},
]
CONFIG = {"User": "app", "Env": ["PATH=/usr/bin"], "ExposedPorts": {"80/tcp": {}}, "Labels": {"a": "b"},
          "Cmd": ["sh"], "WorkingDir": "/app"}


def invariant(doc: dict[str, Any]) -> dict[str, Any]:
    """The inspect document without what depends on how the image was stored (TRANSPORT_FIELDS)."""
    doc = {k: v for k, v in doc.items() if k not in ("source", "transport", "reference", "digest", "index_digest",
                                                     "media_type", "size")}
    doc["layers"] = [{k: v for k, v in layer.items() if k not in ("digest", "size", "media_type")}
                     for layer in doc["layers"]]
    return doc


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_oci_layout(tmp_path_factory.mktemp("docker") / "img", LAYERS, config=CONFIG,
                            history=["FROM debian", "RUN rm perl5"])


@pytest.mark.parametrize("style", ["legacy", "blobs"])
def test_docker_archive_matches_the_oci_layout(layout: Path, tmp_path: Path, style: str) -> None:
    archive = oci_to_docker_archive(layout, tmp_path / "save.tar", repo_tag="example.com/app:1.0", style=style)
    source = DockerArchiveSource(archive, "example.com/app:1.0")
    image = source.resolve()
    assert all(layer.digest == layer.diff_id for layer in image.layers)  # plain tars, addressed by diff_id
    assert str(image.ref) == "example.com/app:1.0"
    oci = inspect_image(f"oci:{layout}:latest").to_json()
    docker = inspect_image(f"docker-archive:{archive}").to_json()
    assert invariant(docker) == invariant(oci)
    assert docker["os"]["id"] == "debian"


def test_skopeo_docker_archive_matches(layout: Path, tmp_path: Path) -> None:
    skopeo = require_tool("skopeo")
    archive = tmp_path / "skopeo.tar"
    subprocess.run([skopeo, "copy", "-q", f"oci:{layout}:latest", f"docker-archive:{archive}:app:2"], check=True)
    docker = inspect_image(f"docker-archive:{archive}:app:2").to_json()
    assert invariant(docker) == invariant(inspect_image(f"oci:{layout}").to_json())
    assert docker["reference"] == "docker.io/library/app:2"


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def layer_and_config(tar_bytes: bytes) -> tuple[bytes, bytes]:
    import hashlib
    diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    config = json.dumps({"os": "linux", "architecture": "arm64", "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "history": [{"created_by": "ADD x"}]}).encode()
    return tar_bytes, config


def small_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    return out.getvalue()


def test_several_images_need_a_tag_and_gzip_layers_are_hashed(tmp_path: Path) -> None:
    tar_bytes, config = layer_and_config(small_tar())
    gz = gzip.compress(tar_bytes)
    manifest = [{"Config": "c1.json", "RepoTags": ["one:latest"], "Layers": ["l1/layer.tar"]},
                {"Config": "c1.json", "RepoTags": ["two:v2"], "Layers": ["l2/layer.tar.gz"]}]
    archive = write_archive(tmp_path / "multi.tar", {"manifest.json": json.dumps(manifest).encode(),
                                                      "c1.json": config, "l1/layer.tar": tar_bytes,
                                                      "l2/layer.tar.gz": gz})
    with pytest.raises(InputError, match=r"holds 2 images \(one:latest, two:v2\)"):
        DockerArchiveSource(archive).resolve()
    two = DockerArchiveSource(archive, "two:v2").resolve()
    assert two.layers[0].media_type.endswith("+gzip") and two.layers[0].digest != two.layers[0].diff_id
    assert str(two.platform) == "linux/arm64"
    assert inspect_image(f"docker-archive:{archive}:two:v2").layer_sizes[0] == len(tar_bytes)
    assert DockerArchiveSource(archive, "one").resolve().layers[0].digest == two.layers[0].diff_id


def test_layer_path_escaping_the_archive_is_refused(tmp_path: Path) -> None:
    _, config = layer_and_config(small_tar())
    manifest = [{"Config": "c.json", "RepoTags": None, "Layers": ["../../etc/passwd"]}]
    archive = write_archive(tmp_path / "evil.tar", {"manifest.json": json.dumps(manifest).encode(),
                                                     "c.json": config})
    with pytest.raises(IntegrityError, match="escapes the archive"):
        DockerArchiveSource(archive).resolve()


def test_tampered_uncompressed_layer_fails_its_diff_id(tmp_path: Path) -> None:
    tar_bytes, config = layer_and_config(small_tar())
    evil = bytearray(tar_bytes)
    evil[512] = ord("H")  # content changed, headers intact
    manifest = [{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l/layer.tar"]}]
    archive = write_archive(tmp_path / "t.tar", {"manifest.json": json.dumps(manifest).encode(), "c.json": config,
                                                 "l/layer.tar": bytes(evil)})
    with pytest.raises(IntegrityError, match="does not match its digest"):
        inspect_image(f"docker-archive:{archive}")

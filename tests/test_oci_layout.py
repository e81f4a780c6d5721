"""OCI layouts and archives: tags, nested indexes and platforms, verified blobs, and the real tools agree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from seawall.errors import InputError, IntegrityError
from seawall.image.oci_layout import OCIArchiveSource, OCILayoutSource
from seawall.image.open import open_source
from seawall.image.platforms import parse_platform
from seawall.inspect import inspect_image
from tests.conftest import require_tool
from tests.imagebuild import Symlink, build_multi_platform_layout, build_oci_layout, oci_to_archive

LAYERS = [{"/etc/os-release": Symlink("../usr/lib/os-release"),
           "/usr/lib/os-release": b'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'},
          {"/app/run": b"#!/bin/sh\n"}]


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_oci_layout(tmp_path_factory.mktemp("oci") / "img", LAYERS, history=["ADD rootfs /", "COPY run /app/"],
                            config={"Entrypoint": ["/app/run"], "User": "nobody"})


def test_layout_resolves_layers_history_and_config(layout: Path) -> None:
    image = OCILayoutSource(layout, "latest").resolve()
    assert [layer.created_by for layer in image.layers] == ["ADD rootfs /", "COPY run /app/"]
    assert image.runtime_config["User"] == "nobody"
    assert image.digest and image.digest.startswith("sha256:")
    assert str(image.platform) == "linux/amd64"
    assert image.layers[0].diff_id != image.layers[0].digest  # gzip blob vs uncompressed tar


def test_untagged_reference_takes_the_only_image_and_unknown_tag_lists_tags(layout: Path) -> None:
    assert OCILayoutSource(layout).resolve().digest == OCILayoutSource(layout, "latest").resolve().digest
    with pytest.raises(InputError, match=r"no image tagged 'nope' \(tags: latest\)"):
        OCILayoutSource(layout, "nope").resolve()


def test_layer_streams_are_verified(layout: Path, tmp_path: Path) -> None:
    source = OCILayoutSource(layout, "latest")
    layer = source.resolve().layers[1]
    with source.open_layer(layer) as stream:
        assert len(stream.read()) == layer.size
    bad = tmp_path / "bad"
    subprocess.run(["cp", "-a", str(layout), str(bad)], check=True)
    blob = bad / "blobs" / "sha256" / layer.digest.split(":")[1]
    data = bytearray(blob.read_bytes())
    data[-5] ^= 0xFF
    blob.write_bytes(bytes(data))
    tampered = OCILayoutSource(bad, "latest")
    with pytest.raises(IntegrityError, match="does not match its digest"), tampered.open_layer(layer) as stream:
        stream.read()


def test_nested_index_chooses_the_platform(tmp_path: Path) -> None:
    layout = build_multi_platform_layout(tmp_path / "multi", {
        "linux/amd64": [{"/arch": b"amd64"}], "linux/arm64/v8": [{"/arch": b"arm64"}], "linux/arm/v7": [{"/a": b"7"}]})
    arm = OCILayoutSource(layout, "latest", platform=parse_platform("linux/arm64")).resolve()
    assert str(arm.platform) == "linux/arm64/v8" and arm.index_digest is not None
    assert arm.layers[0].created_by == "linux/arm64/v8 0"
    amd = OCILayoutSource(layout, "latest", platform=parse_platform("linux/amd64")).resolve()
    assert amd.digest != arm.digest
    with pytest.raises(InputError, match="no image for platform linux/s390x"):
        OCILayoutSource(layout, "latest", platform=parse_platform("linux/s390x")).resolve()


@pytest.mark.parametrize("compression", ["zstd", "none"])
def test_zstd_and_uncompressed_layouts(tmp_path: Path, compression: str) -> None:
    layout = build_oci_layout(tmp_path / "img", LAYERS, compression=compression)
    result = inspect_image(f"oci:{layout}:latest")
    assert result.distro is not None and result.distro.id == "alpine"
    assert result.release_file == "/usr/lib/os-release"


def test_oci_archive_reads_blobs_in_place(layout: Path, tmp_path: Path) -> None:
    archive = oci_to_archive(layout, tmp_path / "img.tar")
    source = open_source(f"oci-archive:{archive}:latest")
    assert isinstance(source, OCIArchiveSource)
    image = source.resolve()
    assert image.digest == OCILayoutSource(layout, "latest").resolve().digest
    layer_file = source.layer_file(image.layers[0])
    assert layer_file.path == archive and layer_file.offset > 0 and not layer_file.verified
    before = sorted(p.name for p in tmp_path.iterdir())
    assert inspect_image(f"oci-archive:{archive}").distro.id == "alpine"  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing extracted next to it


def test_skopeo_reads_our_layouts_and_we_read_its_archives(layout: Path, tmp_path: Path) -> None:
    skopeo = require_tool("skopeo")
    info = json.loads(subprocess.run([skopeo, "inspect", f"oci:{layout}:latest"], check=True, capture_output=True,
                                     text=True).stdout)
    assert info["Digest"] == OCILayoutSource(layout, "latest").resolve().digest
    archive = tmp_path / "skopeo.tar"
    subprocess.run([skopeo, "copy", "-q", f"oci:{layout}:latest", f"oci-archive:{archive}:v1"], check=True)
    ours = inspect_image(f"oci:{layout}:latest").to_json()
    theirs = inspect_image(f"oci-archive:{archive}:v1").to_json()
    assert theirs["layers"] == ours["layers"] and theirs["os"] == ours["os"]


def test_umoci_sees_our_tag(layout: Path) -> None:
    umoci = require_tool("umoci")
    out = subprocess.run([umoci, "ls", "--layout", str(layout)], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["latest"]

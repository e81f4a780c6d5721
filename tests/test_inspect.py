"""`seawall inspect` on real images: a Debian bookworm rootfs from mmdebstrap, as layout, archive, dir and registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from seawall.image.options import FetchOptions
from seawall.inspect import SCHEMA_VERSION, inspect_image
from tests.conftest import require_tool
from tests.fixtures.rootfs import DebianRootfs
from tests.imagebuild import build_oci_layout
from tests.test_docker_archive import invariant

TOP_KEYS = {"schema_version", "source", "transport", "reference", "digest", "index_digest", "media_type",
            "config_digest", "platform", "created", "size", "uncompressed_size", "os", "config", "layers"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=300)


def test_json_shape_is_stable(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [{"/etc/alpine-release": b"3.19.1\n"}], history=["ADD x /"],
                              config={"Entrypoint": "/bin/sh", "Labels": {"z": "1", "a": "2"}})
    result = cli("inspect", "--format", "json", f"oci:{layout}")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == TOP_KEYS and doc["schema_version"] == SCHEMA_VERSION
    assert set(doc["config"]) == {"user", "env", "exposed_ports", "entrypoint", "cmd", "workdir", "labels"}
    assert doc["config"]["entrypoint"] == ["/bin/sh"] and list(doc["config"]["labels"]) == ["a", "z"]
    assert set(doc["layers"][0]) == {"index", "digest", "diff_id", "size", "uncompressed_size", "media_type",
                                     "created_by", "created"}
    assert doc["os"]["id"] == "alpine" and doc["os"]["release_file"] == "/etc/alpine-release"


@pytest.mark.slow
def test_debian_layout_table_and_json(debian_layout: Path) -> None:
    result = cli("inspect", f"oci:{debian_layout}:bookworm")
    assert result.returncode == 0, result.stderr
    assert "Debian GNU/Linux 12 (bookworm)" in result.stdout
    assert "mmdebstrap --variant=minbase bookworm" in result.stdout and "8080/tcp" in result.stdout
    doc = inspect_image(f"oci:{debian_layout}:bookworm").to_json()
    assert doc["os"]["id"] == "debian" and doc["os"]["version_id"].startswith("12")
    assert doc["os"]["release_file"] == "/usr/lib/os-release"  # through the /etc/os-release symlink
    assert [layer["created_by"] for layer in doc["layers"]] == ["mmdebstrap --variant=minbase bookworm",
                                                               "COPY main.py /app/"]
    assert doc["layers"][0]["uncompressed_size"] > 50_000_000
    assert doc["config"]["user"] == "1000" and doc["config"]["cmd"] == ["python3", "/app/main.py"]


@pytest.mark.slow
def test_debian_same_from_layout_docker_archive_and_oci_archive(debian_layout: Path, tmp_path: Path) -> None:
    skopeo = require_tool("skopeo")
    docker = tmp_path / "docker.tar"
    oci_archive = tmp_path / "oci.tar"
    subprocess.run([skopeo, "copy", "-q", f"oci:{debian_layout}:bookworm", f"docker-archive:{docker}:deb:12"],
                   check=True)
    subprocess.run([skopeo, "copy", "-q", f"oci:{debian_layout}:bookworm", f"oci-archive:{oci_archive}:bookworm"],
                   check=True)
    base = inspect_image(f"oci:{debian_layout}:bookworm").to_json()
    from_docker = inspect_image(f"docker-archive:{docker}").to_json()
    from_archive = inspect_image(f"oci-archive:{oci_archive}:bookworm").to_json()
    assert invariant(from_docker) == invariant(base)
    assert invariant(from_archive) == invariant(base) and from_archive["digest"] == base["digest"]


@pytest.mark.slow
def test_debian_dir_rootfs(debian_rootfs: DebianRootfs) -> None:
    doc = inspect_image(f"dir:{debian_rootfs.dir}").to_json()
    assert doc["transport"] == "dir" and doc["layers"] == [] and doc["digest"] is None
    assert doc["os"]["id"] == "debian" and doc["os"]["release_file"] == "/usr/lib/os-release"


@pytest.mark.registry
@pytest.mark.slow
def test_debian_same_from_registry(debian_layout: Path, registry: Any) -> None:
    skopeo = require_tool("skopeo")
    ref = f"{registry.host}/seawall/bookworm:12"
    subprocess.run([skopeo, "copy", "-q", "--dest-tls-verify=false", f"oci:{debian_layout}:bookworm",
                    f"docker://{ref}"], check=True)
    pulled = inspect_image(ref, FetchOptions.of(insecure_registries=[registry.host])).to_json()
    base = inspect_image(f"oci:{debian_layout}:bookworm").to_json()
    assert invariant(pulled) == invariant(base)
    assert pulled["digest"] == base["digest"] and pulled["layers"] == base["layers"]

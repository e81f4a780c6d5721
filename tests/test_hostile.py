"""Hostile images through the real command: one-line errors, the documented exit codes, nothing written outside."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from seawall.errors import ExitCode
from tests.imagebuild import Raw, RawLayer, Symlink, add_image, build_oci_layout, layer_tar, write_index

BASE = {"/usr/lib/os-release": b"ID=alpine\nVERSION_ID=3.20.0\n"}


def run_cli(*args: str, home: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(home / "cache"), "HOME": str(home), "TMPDIR": str(home / "tmp"),
           **extra_env}
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: ExitCode, needle: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == int(code), result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0]


def blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.split(":")[1]


def manifest_of(layout: Path) -> dict:  # type: ignore[type-arg]
    digest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    return json.loads(blob(layout, digest).read_bytes())


def test_malformed_index_json(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE])
    (layout / "index.json").write_text('{"schemaVersion": 2, "manifests": [')
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "index.json: malformed manifest JSON")


def test_malformed_config(tmp_path: Path) -> None:
    layout = tmp_path / "img"
    layout.mkdir()
    write_index(layout, [add_image(layout, [BASE], raw_config=b"{not json")])
    result = run_cli("inspect", f"oci:{layout}:latest", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "malformed image config JSON")


def test_unknown_media_type(tmp_path: Path) -> None:
    layout = tmp_path / "img"
    layout.mkdir()
    desc = add_image(layout, [BASE])
    manifest = json.loads(blob(layout, desc["digest"]).read_bytes())
    manifest["layers"][0]["mediaType"] = "application/vnd.example.weights.v1"
    data = json.dumps(manifest).encode()
    from tests.imagebuild import write_blob
    digest, size = write_blob(layout, data)
    write_index(layout, [{**desc, "digest": digest, "size": size}])
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "unknown layer media type 'application/vnd.example.weights.v1'")


def test_missing_blob(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE])
    blob(layout, manifest_of(layout)["layers"][0]["digest"]).unlink()
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "is missing from")


def test_digest_with_path_escape_is_refused(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE])
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["digest"] = "sha256:../../../../etc/passwd"
    (layout / "index.json").write_text(json.dumps(index))
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INTEGRITY, "invalid blob digest")


def test_tampered_layer_is_refused(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/x": b"y" * 1000}])
    path = blob(layout, manifest_of(layout)["layers"][1]["digest"])
    raw = gzip.decompress(path.read_bytes()).replace(b"y" * 10, b"z" * 10, 1)
    path.write_bytes(gzip.compress(raw)[: path.stat().st_size].ljust(path.stat().st_size, b"\0"))
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INTEGRITY, "layer 1")


def test_truncated_layer_is_refused(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/x": os.urandom(100_000)}])
    path = blob(layout, manifest_of(layout)["layers"][1]["digest"])
    path.write_bytes(path.read_bytes()[:5000])
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INTEGRITY, "bytes, the manifest says")


def test_decompression_bomb_is_stopped(tmp_path: Path) -> None:
    bomb = layer_tar({"/zeros": bytes(48 * 1024 * 1024)})
    layout = build_oci_layout(tmp_path / "img", [BASE, RawLayer(bomb)])
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home", SEAWALL_MAX_LAYER_BYTES=str(8 * 1024 * 1024))
    assert_one_line_error(result, ExitCode.INTEGRITY, "decompression bomb")


def test_hostile_paths_and_links_stay_inside_and_write_nothing(tmp_path: Path) -> None:
    layer = {
        "../../../../../tmp/evil": Raw(data=b"escape"),
        "/etc/os-release": Symlink("../../../../../../../../../usr/lib/os-release"),
        "/loop1": Symlink("loop2"), "/loop2": Symlink("/loop1"),
        "/out": Raw({"type": tarfile.LNKTYPE, "linkname": "../../../../etc/hostname"}),
        "/dev/evil": Raw({"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}),
    }
    layout = build_oci_layout(tmp_path / "img", [BASE, layer])
    home = tmp_path / "home"
    (home / "tmp").mkdir(parents=True)
    snapshot = tree(tmp_path)
    result = run_cli("inspect", "--format", "json", f"oci:{layout}", home=home)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["os"]["id"] == "alpine" and doc["os"]["release_file"] == "/usr/lib/os-release"
    written = tree(tmp_path) - snapshot
    assert all(p.startswith("home/cache") for p in written), written
    assert not (home / "cache" / "tmp").exists() or not any((home / "cache" / "tmp").iterdir())
    assert not Path("/tmp/evil").exists()


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    result = run_cli("inspect", "oci:/nonexistent/layout", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "does not exist")
    result = run_cli("inspect", "--platform", "linux//", f"oci:{tmp_path}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "invalid platform")


@pytest.mark.parametrize("doc", [b"[", b"{}", b'[{"Config": 5}]'])
def test_malformed_docker_manifest(tmp_path: Path, doc: bytes) -> None:
    import io
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(doc)
        tar.addfile(info, io.BytesIO(doc))
    result = run_cli("inspect", f"docker-archive:{archive}", home=tmp_path / "home")
    assert result.returncode in (int(ExitCode.INPUT), int(ExitCode.INTEGRITY)), result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "manifest.json" in lines[0]

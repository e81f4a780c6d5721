"""Hostile images that used to crash or mislead: deep JSON, mis-typed fields, deep paths, root whiteouts, a
package.json that broke its cataloger, duplicate tar entries, files too large to read, oversized dpkg fields."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from seawall.catalog.dpkg import MAX_FIELD, DpkgCataloger
from seawall.catalog.golang import GoBinaryCataloger
from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.java import JavaCataloger
from seawall.errors import ExitCode
from seawall.fs.collect import LayerJob, scan_layer
from seawall.fs.layered import FileView
from seawall.fs.tarlayer import LayerLimits
from seawall.inventory.isolate import catalog_isolated
from seawall.model.sbom import Package
from tests.imagebuild import Raw, RawLayer, add_image, build_oci_layout, layer_tar, write_blob, write_index
from tests.test_hostile import BASE, assert_one_line_error, blob, manifest_of, run_cli

DEEP = b"[" * 100_000 + b"]" * 100_000
DEBIAN = {"/etc/os-release": b"ID=debian\nVERSION_ID=12\n"}


def status(name: str, version: str, **extra: str) -> bytes:
    fields = {"Package": name, "Status": "install ok installed", "Version": version, "Architecture": "amd64", **extra}
    return "".join(f"{k}: {v}\n" for k, v in fields.items()).encode() + b"\n"


def sbom(image: str, home: Path, *args: str) -> dict[str, Any]:
    result = run_cli("sbom", "--format", "json", image, *args, home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# -- JSON nested 100,000 levels deep -----------------------------------------------------------------------------

def _with_config(tmp_path: Path, raw: bytes) -> Path:
    layout = tmp_path / "img"
    layout.mkdir()
    write_index(layout, [add_image(layout, [BASE], raw_config=raw)])
    return layout


def test_deep_json_config(tmp_path: Path) -> None:
    layout = _with_config(tmp_path, b'{"config":' + DEEP + b"}")
    result = run_cli("inspect", f"oci:{layout}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "nested deeper than 100 levels")


def test_deep_json_manifest_and_index(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE])
    manifest = manifest_of(layout)
    data = json.dumps(manifest).encode()[:-1] + b', "x": ' + DEEP + b"}"
    digest, size = write_blob(layout, data)
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0].update(digest=digest, size=size)
    (layout / "index.json").write_text(json.dumps(index))
    assert_one_line_error(run_cli("inspect", f"oci:{layout}", home=tmp_path / "home"), ExitCode.INPUT,
                          "nested deeper than 100 levels")
    (layout / "index.json").write_bytes(b'{"schemaVersion": 2, "manifests": ' + DEEP + b"}")
    assert_one_line_error(run_cli("inspect", f"oci:{layout}", home=tmp_path / "home"), ExitCode.INPUT,
                          "index.json: JSON nested deeper")


def test_deep_json_docker_archive_manifest(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(DEEP)
        tar.addfile(info, io.BytesIO(DEEP))
    result = run_cli("inspect", f"docker-archive:{archive}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "manifest.json: JSON nested deeper")


def test_deep_json_sbom_input(tmp_path: Path) -> None:
    file = tmp_path / "bom.json"
    file.write_bytes(b'{"bomFormat": "CycloneDX", "components": ' + DEEP + b"}")
    result = run_cli("scan", f"sbom:{file}", "--skip-db-update", home=tmp_path / "home")
    assert result.returncode == int(ExitCode.INPUT), result.stderr
    assert "nested deeper" in result.stderr and "Traceback" not in result.stderr


# -- wrong JSON types -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("patch", "field"), [
    ({"config": ["x"]}, "'config' must be a JSON object, not an array"),
    ({"history": "nope"}, "'history' must be a JSON array, not a string"),
    ({"history": ["nope"]}, "'history[0]' must be a JSON object"),
    ({"rootfs": {"diff_ids": {"a": 1}}}, "'rootfs.diff_ids' must be a JSON array"),
    ({"config": {"Env": "A=1"}}, "'config.Env' must be a JSON array"),
    ({"config": {"Labels": ["x"]}}, "'config.Labels' must be a JSON object"),
    ({"os": ["linux"]}, "'os' must be a JSON string"),
    ({"created": {"at": 1}}, "'created' must be a JSON string"),
])
def test_mistyped_config_fields_name_the_field(tmp_path: Path, patch: dict[str, Any], field: str) -> None:
    layer = layer_tar(BASE)
    from tests.imagebuild import digest_of
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]},
              "config": {}, "history": [{"created_by": "x"}], **patch}
    layout = _with_config(tmp_path, json.dumps(config).encode())
    for command in ("inspect", "sbom"):
        result = run_cli(command, f"oci:{layout}", home=tmp_path / "home")
        assert_one_line_error(result, ExitCode.INPUT, field)


@pytest.mark.parametrize(("extra", "field"), [
    ({"annotations": ["x"]}, "'annotations' must be a JSON object"),
    ({"mediaType": ["x"]}, "'mediaType' must be a JSON string"),
    ({"subject": "sha256:x"}, "'subject' must be a JSON object"),
])
def test_mistyped_manifest_fields_name_the_field(tmp_path: Path, extra: dict[str, Any], field: str) -> None:
    layout = tmp_path / "img"
    layout.mkdir()
    write_index(layout, [add_image(layout, [BASE], manifest_extra=extra)])
    assert_one_line_error(run_cli("inspect", f"oci:{layout}", home=tmp_path / "home"), ExitCode.INPUT, field)


def test_mistyped_docker_archive_entry(tmp_path: Path) -> None:
    doc = json.dumps([{"Config": "c.json", "RepoTags": "x:1", "Layers": []}]).encode()
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(doc)
        tar.addfile(info, io.BytesIO(doc))
    result = run_cli("inspect", f"docker-archive:{archive}", home=tmp_path / "home")
    assert_one_line_error(result, ExitCode.INPUT, "'[0].RepoTags' must be a JSON array")


# -- fs/layered.py: deep paths and root whiteouts -------------------------------------------------------------------

def test_path_of_2000_components(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 2000) + "/f"
    layout = build_oci_layout(tmp_path / "img", [BASE, {deep: b"x"}])
    result = run_cli("inspect", "--format", "json", f"oci:{layout}", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    view = FileView()
    view.apply(0, [(deep, "file", 1, 0o644, "")])
    assert view.get(deep) is not None and len(view) == 2001


def test_root_whiteout_and_root_opaque_marker(tmp_path: Path) -> None:
    layer = {".wh.": Raw(), ".wh..wh..opq": Raw(), "/etc/os-release": b"ID=alpine\nVERSION_ID=3.21.0\n"}
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/old": b"gone"}, layer])
    result = run_cli("inspect", "--format", "json", f"oci:{layout}", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["os"]["version_id"] == "3.21.0"
    view = FileView()
    view.apply(0, [("/a/b", "file", 1, 0o644, "")])
    view.apply(1, [("/c", "file", 1, 0o644, "")], whiteouts=["/"], opaque_dirs=["/"])
    assert list(view.iter_paths()) == ["/c"]  # the root stays; only what the top layer wrote is left


# -- catalogers: one bad file costs only itself --------------------------------------------------------------------

def test_hostile_package_json_does_not_hide_its_neighbours(tmp_path: Path) -> None:
    evil = b'{"name": "evil", "version": "1.0.0", "x": ' + DEEP + b"}"
    lodash = json.dumps({"name": "lodash", "version": "4.17.20"}).encode()
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/app/node_modules/evil/package.json": evil,
                                                        "/app/node_modules/lodash/package.json": lodash}])
    doc = sbom(f"oci:{layout}", tmp_path / "home")
    assert [(p["name"], p["version"]) for p in doc["packages"]] == [("lodash", "4.17.20")]
    assert [u["path"] for u in doc["unknowns"]] == ["/app/node_modules/evil/package.json"]


class _Fragile(Cataloger):
    """Reads `name version` files together, and crashes on one it cannot parse (like a cataloger bug would)."""

    name = "fragile"
    version = 1
    globs = ("/*.txt",)

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        found = []
        for entry in files:
            name, version = entry.text().split()  # ValueError on anything else
            found.append(Package(name=name, version=version, type="generic", found_by=self.name))
        return CatalogResult(tuple(found))


def test_every_cataloger_isolates_failures_per_file() -> None:
    files = [FileEntry(path=f"/{i}.txt", size=0, mode=0o644, layer_index=0, data=data)
             for i, data in enumerate([b"a 1", b"not three words here", b"b 2", b"\xff\xfe"])]
    result = catalog_isolated(_Fragile(), files)
    assert [(p.name, p.version) for p in result.packages] == [("a", "1"), ("b", "2")]
    assert [(u.path, u.reason.split(":")[0]) for u in result.unknowns] == [
        ("/1.txt", "fragile could not read this file"), ("/3.txt", "fragile could not read this file")]


# -- duplicate entries in one layer ---------------------------------------------------------------------------------

def _duplicate_status_layer(versions: list[str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for version in versions:
            data = status("bash", version, Source="bash")
            info = tarfile.TarInfo("var/lib/dpkg/status")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_duplicate_tar_entries_last_wins(tmp_path: Path) -> None:
    layers = [DEBIAN, RawLayer(_duplicate_status_layer(["5.1-1", "5.2-1", "5.2.15-2"]))]
    layout = build_oci_layout(tmp_path / "img", layers)
    doc = sbom(f"oci:{layout}", tmp_path / "home")
    assert [(p["name"], p["version"]) for p in doc["packages"]] == [("bash", "5.2.15-2")]
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(["tar", "-xf", "-", "-C", str(extracted)], input=_duplicate_status_layer(["1", "2", "3"]),
                   check=True)  # the real extractor agrees: the last entry is what is on disk
    assert b"Version: 3" in (extracted / "var/lib/dpkg/status").read_bytes()


def test_duplicate_entry_replaced_by_a_symlink_is_not_read(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = status("bash", "5.2.15-2")
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("var/lib/dpkg/status")
        link.type, link.linkname = tarfile.SYMTYPE, "/nowhere"
        tar.addfile(link)
    scan = scan_layer(LayerJob(0, None, catalogers=(DpkgCataloger(),)), str(tmp_path), LayerLimits(),
                      stream=io.BytesIO(out.getvalue()))
    assert scan.files.get("dpkg", []) == []


# -- files skipped for size become unknowns; dpkg fields and files are bounded --------------------------------------

@pytest.mark.parametrize("cataloger", [JavaCataloger(), GoBinaryCataloger(), DpkgCataloger()])
def test_files_too_large_to_read_are_reported(tmp_path: Path, cataloger: Cataloger) -> None:
    path = {"java": "/opt/app/huge.jar", "go-binary": "/usr/bin/huge", "dpkg": "/var/lib/dpkg/status"}[cataloger.name]
    size = 1_000_000
    small = type(f"Small{type(cataloger).__name__}", (type(cataloger),), {"max_file_size": size // 2})()
    layer = layer_tar({path: Raw({"mode": 0o755}, bytes(size))})
    scan = scan_layer(LayerJob(0, None, catalogers=(small,)), str(tmp_path), LayerLimits(), stream=io.BytesIO(layer))
    assert scan.too_large == {cataloger.name: [(path, size)]}
    assert scan.files.get(cataloger.name, []) == []


def test_huge_jar_in_an_image_is_an_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(JavaCataloger, "max_file_size", 100_000)
    from seawall.image.open import open_source
    from seawall.image.options import FetchOptions
    from seawall.inventory.build import build_inventory
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/opt/huge.jar": bytes(200_000)}])
    with open_source(f"oci:{layout}", FetchOptions(cache_dir=tmp_path / "cache")) as source:
        inventory = build_inventory(source, cache_dir=tmp_path / "cache")
    unknowns = [(u.path, u.reason) for u in inventory.sbom.unknowns]
    assert ("/opt/huge.jar", "not read: 200000 bytes is over the 100000-byte bound") in unknowns


def test_dpkg_field_over_the_bound_is_an_unknown_and_neighbours_stay(tmp_path: Path) -> None:
    huge = "x" * (MAX_FIELD + 10)
    data = status("bash", "5.2.15-2") + status("evil", "1.0", Description=huge) + status("zlib1g", "1:1.2.13-1")
    entry = FileEntry(path="/var/lib/dpkg/status", size=len(data), mode=0o644, layer_index=0, data=data)
    result = DpkgCataloger().catalog([entry])
    assert [p.name for p in result.packages] == ["bash", "zlib1g"]
    assert len(result.unknowns) == 1 and f"longer than {MAX_FIELD} bytes" in result.unknowns[0].reason
    many_lines = "\n".join(" " + "y" * 1000 for _ in range(MAX_FIELD // 1000 + 10))
    data = status("evil", "1.0")[:-1] + f"Conffiles:\n{many_lines}\n".encode()
    entry = FileEntry(path="/var/lib/dpkg/status", size=len(data), mode=0o644, layer_index=0, data=data)
    result = DpkgCataloger().catalog([entry])
    assert not result.packages and "field Conffiles is longer than" in result.unknowns[0].reason


def test_unknowns_reach_the_image_scan(tmp_path: Path) -> None:
    layout = build_oci_layout(tmp_path / "img", [BASE, {"/app/node_modules/x/package.json": b"{" * 5000}])
    doc = sbom(f"oci:{layout}", tmp_path / "home")
    assert doc["unknowns"] and doc["unknowns"][0]["path"] == "/app/node_modules/x/package.json"
    assert blob  # the shared helpers stay importable from the older hostile tests

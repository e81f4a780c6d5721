"""Image formats on near-real hostile input: tar headers and pax records, manifests, indexes, configs, `docker
save` manifests, SBOMs and imported reports. A result or one of seawall's errors, never another exception."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from seawall.fs.layered import FileView
from seawall.fs.tarlayer import FILE, LayerLimits, TarLayerReader
from seawall.image import mediatypes
from seawall.image.oci_layout import build_layers, config_platform, diff_ids, history_lines
from seawall.image.options import FetchOptions
from seawall.image.platforms import host_platform, select_manifest
from seawall.image.shapes import check_archive_manifest
from seawall.inspect import inspect_image
from seawall.jsonbound import loads
from seawall.reports import parse_report
from seawall.reports.sbom_input import read_sbom_data
from tests.fuzz.bounds import fuzz, survives
from tests.fuzz.strategies import JSON, mutated_bytes, mutated_json
from tests.imagebuild import add_image, layer_tar, write_index

ROOT = Path(__file__).resolve().parents[1] / "assets"


def _seed_tar() -> bytes:
    """Every kind of header a layer holds: ustar, pax path and xattr records, a GNU long name, links, a whiteout."""
    out = bytearray()

    def add(name: str, data: bytes = b"", fmt: int = tarfile.PAX_FORMAT, **attrs: object) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        for key, value in attrs.items():
            setattr(info, key, value)
        out.extend(info.tobuf(fmt, "utf-8", "surrogateescape") + data + bytes(-len(data) % 512))

    add("etc", type=tarfile.DIRTYPE, mode=0o755)
    add("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.0\n")
    add("usr/" + "long-directory-name/" * 8 + "file", b"x" * 700,
        pax_headers={"SCHILY.xattr.user.x": "1", "mtime": "1700000000.5"})
    add("bin/sh", type=tarfile.SYMTYPE, linkname="/bin/busybox")
    add("usr/bin/os-release", type=tarfile.LNKTYPE, linkname="etc/os-release")
    add("etc/.wh.passwd")
    add("opt/" + "g" * 120, b"abc", fmt=tarfile.GNU_FORMAT)
    return bytes(out + bytes(1024))


TAR = _seed_tar()
TAR_HEADERS = tuple(range(0, len(TAR), 512))


def _walk(data: bytes) -> int:
    limits = LayerLimits(max_uncompressed=4 * 1024 * 1024, max_entries=10_000, max_file_read=1024 * 1024)
    view = FileView()
    entries = []
    with TarLayerReader(io.BytesIO(data), digest=None, limits=limits, what="fuzzed layer") as reader:
        for entry in reader:
            entries.append((entry.path, entry.type, entry.size, entry.mode, entry.linkname))
            if entry.type == FILE and entry.size < 64 * 1024:
                reader.read()
    view.apply(0, entries)
    view.resolve("/bin/sh")
    return len(entries)


@fuzz
@given(mutated_bytes(TAR, hot=TAR_HEADERS))
def test_tar_headers_and_pax_records(data: bytes) -> None:
    survives(lambda: _walk(data))


@fuzz
@given(st.dictionaries(st.sampled_from(["path", "linkpath", "size", "uid", "mtime", "GNU.sparse.map",
                                        "SCHILY.xattr.a", "hdrcharset", "x" * 30]),
                       st.text(max_size=30), max_size=4))
def test_pax_records(records: dict[str, str]) -> None:
    body = b"".join(_pax_record(k, v) for k, v in records.items())
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, len(body)
    data = header.tobuf(tarfile.USTAR_FORMAT) + body + bytes(-len(body) % 512) + TAR
    survives(lambda: _walk(data))


def _pax_record(key: str, value: str) -> bytes:
    text = f" {key}={value}\n".encode("utf-8", "surrogatepass")
    size = len(text)
    while len(str(size)) + len(text) != size:
        size = len(str(size)) + len(text)
    return str(size).encode() + text


MANIFEST = {
    "schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
    "config": {"mediaType": mediatypes.OCI_CONFIG, "digest": "sha256:" + "a" * 64, "size": 1469},
    "layers": [{"mediaType": mediatypes.OCI_LAYER_GZIP, "digest": "sha256:" + "b" * 64, "size": 3623807,
                "annotations": {"org.opencontainers.image.title": "x"}}],
    "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
}
INDEX = {
    "schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX,
    "manifests": [{"mediaType": mediatypes.OCI_MANIFEST, "digest": "sha256:" + "c" * 64, "size": 1024,
                   "platform": {"os": "linux", "architecture": arch, **({"variant": "v8"} if arch == "arm64" else {})}}
                  for arch in ("amd64", "arm64")]
                 + [{"mediaType": mediatypes.OCI_MANIFEST, "digest": "sha256:" + "d" * 64, "size": 840,
                     "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                     "platform": {"os": "unknown", "architecture": "unknown"}}],
}
CONFIG = {
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"], "User": "app", "ExposedPorts": {"80/tcp": {}},
               "Labels": {"a": "b"}, "Healthcheck": {"Test": ["CMD", "true"]}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "e" * 64]},
    "history": [{"created_by": "/bin/sh -c #(nop) ADD file:x in /"}, {"created_by": "ENV A=1", "empty_layer": True}],
}


def _manifest(data: bytes) -> None:
    media_type, doc = mediatypes.parse_manifest(data, "fuzzed manifest")
    if mediatypes.is_index(media_type):
        select_manifest(doc["manifests"], host_platform(), "fuzzed index")
    else:
        build_layers(doc["layers"], CONFIG, "fuzzed manifest")


def _config(data: bytes) -> None:
    config = mediatypes.parse_config(data, "fuzzed config")
    config_platform(config)
    history_lines(config)
    diff_ids(config, "fuzzed config")
    build_layers(MANIFEST["layers"], config, "fuzzed config")  # type: ignore[arg-type]


@fuzz
@given(mutated_json(MANIFEST) | mutated_json(INDEX))
def test_manifests_and_indexes(doc: object) -> None:
    survives(lambda: _manifest(json.dumps(doc).encode()))


@fuzz
@given(mutated_json(CONFIG))
def test_image_configs(doc: object) -> None:
    survives(lambda: _config(json.dumps(doc).encode()))


@fuzz
@given(mutated_bytes(json.dumps(MANIFEST).encode()) | mutated_bytes(json.dumps(CONFIG).encode()))
def test_manifest_and_config_bytes(data: bytes) -> None:
    survives(lambda: _manifest(data))
    survives(lambda: _config(data))


@fuzz
@given(mutated_json([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l/layer.tar"]}]))
def test_docker_save_manifest(doc: object) -> None:
    def check() -> None:
        if isinstance(doc, list) and all(isinstance(e, dict) for e in doc):
            check_archive_manifest(doc, "manifest.json")
    survives(check)


@fuzz
@given(mutated_json(CONFIG), mutated_json(MANIFEST))
def test_inspect_a_layout_with_hostile_config_and_manifest(tmp_path_factory: object, config: object,
                                                           manifest: object) -> None:
    layout = tmp_path_factory.mktemp("layout")  # type: ignore[attr-defined]
    desc = add_image(layout, [{"/etc/os-release": b"ID=alpine\nVERSION_ID=3.20.0\n"}],
                     raw_config=json.dumps(config).encode(),
                     manifest_extra={k: v for k, v in manifest.items() if k not in ("config", "layers")}
                     if isinstance(manifest, dict) else None)
    write_index(layout, [desc])
    result = survives(lambda: inspect_image(f"oci:{layout}", FetchOptions(cache_dir=layout / "cache"), workers=1))
    if result is not None:
        json.dumps(result.to_json())


@fuzz
@given(JSON)
def test_bounded_json_loader(doc: object) -> None:
    text = json.dumps(doc)
    assert survives(lambda: loads(text, "fuzzed")) == json.loads(text)


SBOMS = [json.loads((ROOT / "sbom" / name).read_text()) for name in (
    "syft-1.18.1-rootfs-alpine.cdx.json", "trivy-0.59.1-rootfs-alpine.cdx.json",
    "trivy-0.59.1-rootfs-alpine.spdx.json")]


@fuzz
@given(st.sampled_from(range(len(SBOMS))).flatmap(lambda i: mutated_json(SBOMS[i])))
def test_sbom_input(doc: object) -> None:
    survives(lambda: read_sbom_data(doc, "fuzzed.json"))


REPORTS = [json.loads((ROOT / "reports" / name).read_text())
           for name in ("grype-bookworm.json", "trivy-bookworm.json", "trivy-bookworm.cdx.json",
                        "grype-bookworm.sarif")]


@fuzz
@given(st.sampled_from(range(len(REPORTS))).flatmap(lambda i: mutated_json(REPORTS[i])))
def test_imported_reports(doc: object) -> None:
    survives(lambda: parse_report(doc, "fuzzed.json"))


def test_seed_tar_is_read_whole() -> None:
    assert _walk(TAR) == 7
    _manifest(json.dumps(INDEX).encode())
    _config(json.dumps(CONFIG).encode())
    assert layer_tar({"/x": b"y"})

"""Build real OCI image layouts (and docker-archive / oci-archive tarballs) for tests.

    layout = build_oci_layout(tmp_path / "img", layers=[
        {"/etc/os-release": b"ID=debian\\n", "/bin": Dir(), "/bin/sh": Symlink("dash")},
        {"/etc/os-release": Whiteout(), "/opt": Opaque(), "/usr/bin/x": File(b"#!", mode=0o755)},
        tmp_path / "some-folder",        # a directory tree becomes a layer as it is
        RawLayer(tar_bytes),             # bytes written as the layer tar as they are (hostile tests)
    ], config={"User": "app", "Env": ["A=1"]}, history=["RUN one", "RUN two"])

`build_oci_layout` returns the layout directory; `oci:{layout}:latest` is then a valid seawall image argument.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
               "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
               "none": "application/vnd.oci.image.layer.v1.tar"}
MTIME = 1_700_000_000


@dataclass(frozen=True)
class File:
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Dir:
    mode: int = 0o755


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Hardlink:
    target: str  # an image path written earlier in the same layer


@dataclass(frozen=True)
class Whiteout:
    """Deletes the path (and its subtree) of lower layers: written as `.wh.NAME`."""


@dataclass(frozen=True)
class Opaque:
    """Marks the directory opaque (hides lower contents): written as `DIR/.wh..wh..opq`."""


@dataclass(frozen=True)
class RawLayer:
    """A layer tar given as bytes, written as it is."""

    tar: bytes


@dataclass(frozen=True)
class Raw:
    """One member with a name written exactly as given (`../../x`, `/abs`), for hostile archives."""

    info: dict[str, Any] = field(default_factory=dict)  # tarfile.TarInfo attributes: type, linkname, mode…
    data: bytes = b""


LayerSpec = Mapping[str, "bytes | File | Dir | Symlink | Hardlink | Whiteout | Opaque | Raw"] | Path | RawLayer


def layer_tar(spec: LayerSpec) -> bytes:
    """The uncompressed tar of one layer spec, deterministic (fixed mtime, sorted when built from a folder)."""
    if isinstance(spec, RawLayer):
        return spec.tar
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if isinstance(spec, Path):
            _add_tree(tar, spec)
        else:
            for path, value in spec.items():
                _add_member(tar, path, value)
    return out.getvalue()


def _info(name: str, **attrs: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = MTIME
    info.uname = info.gname = ""
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def _add_member(tar: tarfile.TarFile, path: str, value: Any) -> None:
    name = path.lstrip("/")
    if isinstance(value, bytes):
        value = File(value)
    if isinstance(value, File):
        tar.addfile(_info(name, size=len(value.data), mode=value.mode, uid=value.uid, gid=value.gid),
                    io.BytesIO(value.data))
    elif isinstance(value, Dir):
        tar.addfile(_info(name, type=tarfile.DIRTYPE, mode=value.mode))
    elif isinstance(value, Symlink):
        tar.addfile(_info(name, type=tarfile.SYMTYPE, linkname=value.target, mode=0o777))
    elif isinstance(value, Hardlink):
        tar.addfile(_info(name, type=tarfile.LNKTYPE, linkname=value.target.lstrip("/"), mode=0o644))
    elif isinstance(value, Whiteout):
        parent, _, base = name.rpartition("/")
        tar.addfile(_info(f"{parent}/.wh.{base}" if parent else f".wh.{base}", size=0, mode=0o644))
    elif isinstance(value, Opaque):
        tar.addfile(_info(f"{name}/.wh..wh..opq", size=0, mode=0o644))
    elif isinstance(value, Raw):
        info = _info(path, **{"mode": 0o644, **value.info})
        info.size = len(value.data) if info.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
        tar.addfile(info, io.BytesIO(value.data) if info.size else None)
    else:
        raise TypeError(f"unknown layer member {value!r} for {path}")


def _add_tree(tar: tarfile.TarFile, root: Path) -> None:
    """A folder as a layer: every entry under it, sorted, with real modes and link targets, ids zeroed."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            entries.append(Path(dirpath) / name)
    entries.sort(key=lambda p: str(p.relative_to(root)))
    seen_inodes: dict[tuple[int, int], str] = {}
    for full in entries:
        name = str(full.relative_to(root))
        info = tar.gettarinfo(str(full), arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        st = full.lstat()
        if info.isreg() and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            if key in seen_inodes:
                info.type, info.linkname, info.size = tarfile.LNKTYPE, seen_inodes[key], 0
                tar.addfile(info)
                continue
            seen_inodes[key] = name
        if info.isreg():
            with open(full, "rb") as handle:
                tar.addfile(info, handle)
        elif info.ischr() or info.isblk() or info.isfifo() or info.isdir() or info.issym() or info.islnk():
            tar.addfile(info)


def compress(data: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=1).compress(data)
    return data


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_blob(layout: Path, data: bytes) -> tuple[str, int]:
    digest = digest_of(data)
    path = layout / "blobs" / "sha256" / digest.split(":", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest, len(data)


def write_json_blob(layout: Path, doc: Any) -> tuple[str, int]:
    return write_blob(layout, json.dumps(doc, separators=(",", ":"), sort_keys=True).encode())


def add_image(layout: Path, layers: Sequence[LayerSpec], *, config: Mapping[str, Any] | None = None,
              history: Sequence[str] | None = None, compression: str = "gzip", platform: str = "linux/amd64",
              raw_config: bytes | None = None, manifest_extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write one image's blobs into `layout`; returns the manifest descriptor (with platform)."""
    os_name, arch, *variant = platform.split("/")
    tars = [layer_tar(spec) for spec in layers]
    layer_descs = []
    for tar_bytes in tars:
        digest, size = write_blob(layout, compress(tar_bytes, compression))
        layer_descs.append({"mediaType": LAYER_TYPES[compression], "digest": digest, "size": size})
    lines = list(history) if history is not None else [f"layer {i}" for i in range(len(tars))]
    image_config = {
        "architecture": arch, "os": os_name, **({"variant": variant[0]} if variant else {}),
        "created": "2024-01-01T00:00:00Z",
        "config": dict(config or {}),
        "rootfs": {"type": "layers", "diff_ids": [digest_of(t) for t in tars]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": line} for line in lines],
    }
    config_digest, config_size = write_blob(layout, raw_config) if raw_config is not None \
        else write_json_blob(layout, image_config)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
                "layers": layer_descs, **(manifest_extra or {})}
    digest, size = write_json_blob(layout, manifest)
    plat = {"os": os_name, "architecture": arch, **({"variant": variant[0]} if variant else {})}
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": plat}


def write_index(layout: Path, manifests: Sequence[dict[str, Any]], tag: str | None = "latest") -> None:
    """index.json naming `manifests`; the first gets the tag annotation."""
    entries = []
    for i, desc in enumerate(manifests):
        desc = dict(desc)
        if tag and i == 0:
            desc["annotations"] = {**desc.get("annotations", {}), "org.opencontainers.image.ref.name": tag}
        entries.append(desc)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                                   "manifests": entries}))


def build_oci_layout(dest: Path, layers: Sequence[LayerSpec], *, config: Mapping[str, Any] | None = None,
                     history: Sequence[str] | None = None, compression: str = "gzip", tag: str | None = "latest",
                     platform: str = "linux/amd64") -> Path:
    """A one-image OCI layout at `dest` tagged `tag`."""
    dest.mkdir(parents=True, exist_ok=True)
    desc = add_image(dest, layers, config=config, history=history, compression=compression, platform=platform)
    write_index(dest, [desc], tag)
    return dest


def build_multi_platform_layout(dest: Path, images: Mapping[str, Sequence[LayerSpec]], *,
                                tag: str = "latest", compression: str = "gzip") -> Path:
    """A layout whose index.json points (tagged) at an image index with one manifest per platform."""
    dest.mkdir(parents=True, exist_ok=True)
    descs = [add_image(dest, layers, platform=plat, compression=compression, history=[f"{plat} {i}"
             for i in range(len(layers))]) for plat, layers in images.items()]
    digest, size = write_json_blob(dest, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs})
    write_index(dest, [{"mediaType": OCI_INDEX, "digest": digest, "size": size}], tag)
    return dest


def _layout_image(layout: Path, tag: str | None) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    index = json.loads((layout / "index.json").read_text())
    desc = index["manifests"][0]
    if tag:
        desc = next(d for d in index["manifests"]
                    if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    blob = layout / "blobs" / "sha256"
    manifest = json.loads((blob / desc["digest"].split(":")[1]).read_bytes())
    config_bytes = (blob / manifest["config"]["digest"].split(":")[1]).read_bytes()
    return desc, manifest, config_bytes


def _uncompressed(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def oci_to_docker_archive(layout: Path, file: Path, *, tag: str | None = "latest", repo_tag: str = "test/image:latest",
                          style: str = "blobs") -> Path:
    """Write the layout's image as `docker save` does: `style="blobs"` as docker ≥25 (blobs/sha256/…, uncompressed
    layers), `style="legacy"` as older docker (`<id>/layer.tar`, `<config-hex>.json`)."""
    _desc, manifest, config_bytes = _layout_image(layout, tag)
    config_hex = hashlib.sha256(config_bytes).hexdigest()
    members: list[tuple[str, bytes]] = []
    layer_paths = []
    for desc in manifest["layers"]:
        tar_bytes = _uncompressed((layout / "blobs" / "sha256" / desc["digest"].split(":")[1]).read_bytes())
        hex_id = hashlib.sha256(tar_bytes).hexdigest()
        name = f"blobs/sha256/{hex_id}" if style == "blobs" else f"{hex_id}/layer.tar"
        if name not in layer_paths:
            members.append((name, tar_bytes))
        layer_paths.append(name)
    config_name = f"blobs/sha256/{config_hex}" if style == "blobs" else f"{config_hex}.json"
    members.append((config_name, config_bytes))
    entry = {"Config": config_name, "RepoTags": [repo_tag] if repo_tag else None, "Layers": layer_paths}
    members.append(("manifest.json", json.dumps([entry]).encode()))
    file.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(file, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            tar.addfile(_info(name, size=len(data), mode=0o644), io.BytesIO(data))
    return file


def oci_to_archive(layout: Path, file: Path) -> Path:
    """An oci-archive: the layout directory packed in a tar, as skopeo writes it."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(file, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("oci-layout", "index.json"):
            tar.add(layout / name, arcname=name)
        blobs = layout / "blobs"
        for path in sorted(blobs.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    return file


def copy_layout(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest

"""Layers as real diffs between two root filesystem snapshots, and an OCI image layout written from them.

Written here rather than with a container builder because none runs on this machine; the format is small:
`oci-layout`, `index.json`, `blobs/sha256/…`, gzip layer tars, a config whose `rootfs.diff_ids` and `history`
describe the layers.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
# Contents of these are host state (device nodes, mounts), never part of an image; the directories themselves are.
VIRTUAL_DIRS = ("dev", "proc", "sys", "run")


@dataclass(frozen=True)
class LayerBlob:
    """One written layer: its compressed blob in the layout and its history line."""

    digest: str
    size: int
    diff_id: str
    created_by: str


def _walk(root: Path) -> Iterator[str]:
    """Every path under `root`, relative, parents before children, sorted, without descending into symlinks."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir in VIRTUAL_DIRS:
            dirnames[:] = []
            continue
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            yield name if rel_dir == "." else f"{rel_dir}/{name}"


def _same(old: Path, new: Path, new_st: os.stat_result) -> bool:
    try:
        old_st = old.lstat()
    except FileNotFoundError:
        return False
    if stat.S_IFMT(old_st.st_mode) != stat.S_IFMT(new_st.st_mode) or old_st.st_mode != new_st.st_mode:
        return False
    if (old_st.st_uid, old_st.st_gid) != (new_st.st_uid, new_st.st_gid):
        return False
    if stat.S_ISLNK(new_st.st_mode):
        return os.readlink(old) == os.readlink(new)
    if stat.S_ISREG(new_st.st_mode):
        if old_st.st_size != new_st.st_size:
            return False
        if old_st.st_mtime_ns == new_st.st_mtime_ns:
            return True
        return filecmp.cmp(old, new, shallow=False)
    return True  # directories and special files: same type and mode


def diff_entries(old: Path | None, new: Path) -> tuple[list[str], list[str]]:
    """(paths of `new` added or changed since `old`, paths of `old` gone from `new`)."""
    changed = []
    for rel in _walk(new):
        full = new / rel
        if old is None or not _same(old / rel, full, full.lstat()):
            changed.append(rel)
    removed: list[str] = []
    if old is not None:
        gone_dirs: list[str] = []
        for rel in _walk(old):
            if any(rel.startswith(d + "/") for d in gone_dirs):
                continue
            if not os.path.lexists(new / rel):
                removed.append(rel)
                if (old / rel).is_dir() and not (old / rel).is_symlink():
                    gone_dirs.append(rel)
    return changed, removed


def write_diff_tar(old: Path | None, new: Path, tar_path: Path) -> None:
    """The layer that turns `old` into `new`: changed entries (with their parent directories) and whiteouts."""
    changed, removed = diff_entries(old, new)
    wanted = set(changed)
    for rel in changed + removed:
        parent = os.path.dirname(rel)
        while parent:
            wanted.add(parent)
            parent = os.path.dirname(parent)
    whiteouts = {f"{os.path.dirname(rel)}/.wh.{os.path.basename(rel)}".lstrip("/") for rel in removed}
    seen_inodes: dict[tuple[int, int], str] = {}
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(wanted | whiteouts):
            if rel in whiteouts:
                info = tarfile.TarInfo(rel)
                info.mtime = 0
                tar.addfile(info)
                continue
            full = new / rel
            info = tar.gettarinfo(str(full), arcname=rel)
            info.uname = info.gname = ""
            st = full.lstat()
            if info.isreg() and st.st_nlink > 1:
                key = (st.st_dev, st.st_ino)
                if key in seen_inodes:
                    info.type, info.linkname, info.size = tarfile.LNKTYPE, seen_inodes[key], 0
                    tar.addfile(info)
                    continue
                seen_inodes[key] = rel
            if info.isreg():
                with open(full, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _put_blob(layout: Path, data_path: Path) -> tuple[str, int]:
    digest = _sha256_file(data_path)
    dest = layout / "blobs" / "sha256" / digest.split(":", 1)[1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = data_path.stat().st_size
    shutil.move(data_path, dest)
    return digest, size


def _put_json(layout: Path, doc: object) -> tuple[str, int]:
    with tempfile.NamedTemporaryFile(dir=layout, delete=False) as tmp:
        tmp.write(json.dumps(doc, separators=(",", ":")).encode())
    return _put_blob(layout, Path(tmp.name))


def add_layer(layout: Path, tar_path: Path, created_by: str) -> LayerBlob:
    """Compress `tar_path` (pigz, both cores) into the layout's blobs; the tar is removed."""
    layout.mkdir(parents=True, exist_ok=True)
    diff_id = _sha256_file(tar_path)
    gz_path = layout / (tar_path.name + ".gz")
    with open(gz_path, "wb") as out:
        subprocess.run(["pigz", "-n", "-6", "-c", str(tar_path)], stdout=out, check=True)
    tar_path.unlink()
    digest, size = _put_blob(layout, gz_path)
    return LayerBlob(digest, size, diff_id, created_by)


def write_image(layout: Path, layers: Sequence[LayerBlob], *, tag: str = "latest",
                config: dict[str, object] | None = None) -> Path:
    """Config, manifest and index.json for `layers` (already in the layout's blobs)."""
    image_config = {
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": config or {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                             "Cmd": ["/bin/bash"]},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": layer.created_by} for layer in layers],
    }
    config_digest, config_size = _put_json(layout, image_config)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
                "layers": [{"mediaType": GZIP_LAYER, "digest": layer.digest, "size": layer.size} for layer in layers]}
    manifest_digest, manifest_size = _put_json(layout, manifest)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest_size,
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps(index))
    return layout


def layer_blobs(layout: Path) -> list[Path]:
    """The compressed layer blobs of the layout's (single) image, bottom first."""
    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":", 1)[1]).read_text())
    return [blobs / layer["digest"].split(":", 1)[1] for layer in manifest["layers"]]

"""`seawall inspect`: what an image is — digest, platform, layers and their history, runtime config, distribution.

The JSON shape (`to_json`, schema_version 1) is stable:

    {"schema_version": 1, "source": str, "transport": str, "reference": str|null, "digest": str|null,
     "index_digest": str|null, "media_type": str|null, "config_digest": str|null, "platform": "os/arch[/variant]",
     "created": str|null, "size": int, "uncompressed_size": int,
     "os": {"id", "version_id", "codename", "name", "pretty_name", "eol", "eol_date", "release_file"} | null,
     "config": {"user": str, "env": [str], "exposed_ports": [str], "entrypoint": [str]|null, "cmd": [str]|null,
                "workdir": str, "labels": {str: str}},
     "layers": [{"index": int, "digest": str, "diff_id": str, "size": int, "uncompressed_size": int,
                 "media_type": str, "created_by": str, "created": str|null}]}

`TRANSPORT_FIELDS` lists the members that depend on how the image was stored (the same image read from an OCI
layout and from a `docker save` tar differs only in those).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from seawall.catalog.distro import DISTRO_PATHS, MAX_RELEASE_FILE, detect_distro
from seawall.fs.collect import LayerCollector, LayerJob, LayerScan, build_view, read_paths
from seawall.fs.layered import FileView
from seawall.image.open import open_source
from seawall.image.options import DEFAULT_FETCH, FetchOptions
from seawall.image.source import ImageSource
from seawall.model.image import Image
from seawall.model.sbom import Distro

SCHEMA_VERSION = 1
TRANSPORT_FIELDS = ("source", "transport", "reference", "digest", "index_digest", "media_type", "size",
                    "layers[].digest", "layers[].size", "layers[].media_type")


@dataclass(frozen=True)
class InspectResult:
    """What `seawall inspect` tells of an image: the image, its distribution, and each layer's unpacked size."""

    image: Image
    distro: Distro | None
    release_file: str | None  # the file the distribution was read from, after following symlinks
    layer_sizes: tuple[int, ...]  # uncompressed bytes of each layer

    def to_json(self) -> dict[str, Any]:
        image = self.image
        runtime = image.runtime_config
        distro = self.distro
        return {
            "schema_version": SCHEMA_VERSION,
            "source": image.source,
            "transport": image.transport,
            "reference": str(image.ref) if image.ref else None,
            "digest": image.digest,
            "index_digest": image.index_digest,
            "media_type": image.manifest_media_type,
            "config_digest": image.config_digest,
            "platform": str(image.platform),
            "created": image.created,
            "size": image.size,
            "uncompressed_size": sum(self.layer_sizes),
            "os": None if distro is None else {
                "id": distro.id, "version_id": distro.version_id, "codename": distro.codename, "name": distro.name,
                "pretty_name": distro.pretty_name, "eol": distro.eol, "eol_date": distro.eol_date,
                "release_file": self.release_file,
            },
            "config": {
                "user": _str(runtime.get("User")),
                "env": _strings(runtime.get("Env")) or [],
                "exposed_ports": sorted(runtime["ExposedPorts"]) if isinstance(runtime.get("ExposedPorts"), dict)
                else [],
                "entrypoint": _strings(runtime.get("Entrypoint")),
                "cmd": _strings(runtime.get("Cmd")),
                "workdir": _str(runtime.get("WorkingDir")),
                "labels": {str(k): str(v) for k, v in sorted((runtime.get("Labels") or {}).items())}
                if isinstance(runtime.get("Labels"), dict) else {},
            },
            "layers": [
                {"index": layer.index, "digest": layer.digest, "diff_id": layer.diff_id, "size": layer.size,
                 "uncompressed_size": self.layer_sizes[layer.index] if layer.index < len(self.layer_sizes) else 0,
                 "media_type": layer.media_type, "created_by": layer.created_by, "created": layer.created}
                for layer in image.layers
            ],
        }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [value]
    return None


def inspect_image(text: str, fetch: FetchOptions = DEFAULT_FETCH, *, workers: int | None = None) -> InspectResult:
    """Resolve the image, walk every layer once, and read its distribution from the final filesystem."""
    with open_source(text, fetch) as source:
        return inspect_source(source, cache_dir=fetch.cache_dir, workers=workers)


def inspect_source(source: ImageSource, *, cache_dir: str | os.PathLike[str] | None = None,
                   workers: int | None = None) -> InspectResult:
    image = source.resolve()
    with LayerCollector(cache_dir=cache_dir, workers=workers) as collector:
        root = source.rootfs()
        if root is not None:
            scans = [collector.scan_rootfs(root, extra_paths=DISTRO_PATHS)]

            def rescan(index: int, wanted: frozenset[str]) -> LayerScan:
                return collector.scan_rootfs(root, extra_paths=wanted)
        else:
            jobs = {layer.index: walk_job(source, layer.index, frozenset(DISTRO_PATHS)) for layer in image.layers}
            scans = collector.run(list(jobs.values()), source)

            def rescan(index: int, wanted: frozenset[str]) -> LayerScan:
                job = jobs[index]
                return collector.run([LayerJob(index, job.layer_file, None, (), wanted, job.what)], source)[0]
        view = build_view(scans)
        distro, release_file = _distro(view, scans, rescan)
    return InspectResult(image=image, distro=distro, release_file=release_file,
                         layer_sizes=tuple(scan.uncompressed_size for scan in scans) if root is None else ())


def walk_job(source: ImageSource, index: int, extra_paths: frozenset[str]) -> LayerJob:
    """A job that indexes one layer and checks its diff_id (a plain tar whose digest is its diff_id: once)."""
    layer = source.resolve().layers[index]
    layer_file = source.layer_file(layer)
    diff_id = None if layer.digest == layer.diff_id else layer.diff_id
    return LayerJob(index, layer_file, diff_id, (), extra_paths, what=f"{source.resolve().source}: layer {index}")


def _distro(view: FileView, scans: list[LayerScan], rescan: Any) -> tuple[Distro | None, str | None]:
    found = read_paths(view, scans, DISTRO_PATHS, rescan)
    contents = {path: entry.read()[:MAX_RELEASE_FILE] for path, entry in found.items()
                if entry.size <= MAX_RELEASE_FILE}
    distro = detect_distro(contents)
    release = next((p for p in DISTRO_PATHS if p in contents), None)
    return distro, view.resolve(release) if release else None

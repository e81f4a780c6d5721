"""Time the full walk of a ~100 MB multi-layer image: every layer decompressed and indexed, os-release read.

    python bench/pull_walk.py [--layout DIR] [--rounds 3] [--no-registry]

Without --layout it builds one under bench/out/: a Debian bookworm minbase rootfs (mmdebstrap) as the base layer
and a few layers of real files copied from this machine's /usr. It reports the walk from the OCI layout (worker
pool and single process), the same after a pull from a local docker-registry (cold cache, then warm), and
`gzip -dc` of the same layer blobs, one after another, as the floor.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.imagebuild import RawLayer, build_oci_layout

from seawall.image.options import FetchOptions
from seawall.inspect import inspect_image

OUT = REPO / "bench" / "out"
EXTRA_TREES = ("/usr/share/perl", "/usr/lib/python3.11", "/usr/share/zoneinfo", "/usr/share/i18n")


def build_layout(dest: Path) -> Path:
    if (dest / "index.json").exists():
        return dest
    work = Path(tempfile.mkdtemp(dir=OUT))
    rootfs = work / "rootfs.tar"
    print("building the base rootfs with mmdebstrap…", file=sys.stderr)
    subprocess.run(["mmdebstrap", "--quiet", "--format=tar", "--variant=minbase", "bookworm", str(rootfs)],
                   check=True)
    layers: list = [RawLayer(rootfs.read_bytes())]
    for tree in EXTRA_TREES:
        if Path(tree).is_dir():
            copy = work / tree.strip("/").replace("/", "_")
            target = copy / tree.lstrip("/")
            shutil.copytree(tree, target, symlinks=True)
            layers.append(copy)
    build_oci_layout(dest, layers, history=["mmdebstrap bookworm", *[f"COPY {t} {t}" for t in EXTRA_TREES]],
                     tag="bench")
    shutil.rmtree(work)
    return dest


def best(rounds: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def layer_blobs(layout: Path) -> list[Path]:
    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_bytes())
    return [blobs / layer["digest"].split(":")[1] for layer in manifest["layers"]]


def gzip_floor(blobs: list[Path]) -> None:
    for blob in blobs:
        subprocess.run(["gzip", "-dc", str(blob)], stdout=subprocess.DEVNULL, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def registry_times(layout: Path, rounds: int) -> tuple[float, float] | None:
    if not Path("/usr/bin/docker-registry").exists() or not shutil.which("skopeo"):
        return None
    work = Path(tempfile.mkdtemp(dir=OUT))
    port = free_port()
    config = work / "config.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {work / 'data'}\n"
                      f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n")
    server = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        host = f"127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ref = f"{host}/bench/image:1"
        subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:bench", f"docker://{ref}"],
                       check=True)
        cold = []
        for i in range(rounds):
            cache = work / f"cache-{i}"
            start = time.perf_counter()
            inspect_image(ref, FetchOptions.of(insecure_registries=[host], cache_dir=cache))
            cold.append(time.perf_counter() - start)
        warm_cache = work / "cache-0"
        warm_fetch = FetchOptions.of(insecure_registries=[host], cache_dir=warm_cache)
        warm = best(rounds, lambda: inspect_image(ref, warm_fetch))
        return min(cold), warm
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", type=Path, default=OUT / "pull-walk-layout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-registry", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    layout = build_layout(args.layout)
    blobs = layer_blobs(layout)
    compressed = sum(b.stat().st_size for b in blobs)
    cache = Path(tempfile.mkdtemp(dir=OUT))
    try:
        result = inspect_image(f"oci:{layout}:bench", FetchOptions(cache_dir=cache))
        uncompressed = sum(result.layer_sizes)
        fetch = FetchOptions(cache_dir=cache)
        pool = best(args.rounds, lambda: inspect_image(f"oci:{layout}:bench", fetch))
        single = best(args.rounds, lambda: inspect_image(f"oci:{layout}:bench", fetch, workers=1))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    floor = best(args.rounds, lambda: gzip_floor(blobs))
    print(f"image: {len(blobs)} layers, {compressed / 1e6:.1f} MB compressed, {uncompressed / 1e6:.1f} MB "
          f"uncompressed; os: {result.distro.pretty_name if result.distro else 'unknown'}")
    print(f"gzip -dc of the layer blobs (floor)   {floor:7.2f} s")
    print(f"walk from OCI layout, worker pool     {pool:7.2f} s   ({pool / floor:.2f}x the floor)")
    print(f"walk from OCI layout, one process     {single:7.2f} s   ({single / floor:.2f}x the floor)")
    if not args.no_registry:
        times = registry_times(layout, args.rounds)
        if times:
            cold, warm = times
            print(f"pull + walk from local registry, cold {cold:7.2f} s   ({cold / floor:.2f}x the floor)")
            print(f"walk from registry, blobs cached      {warm:7.2f} s   ({warm / floor:.2f}x the floor)")


if __name__ == "__main__":
    main()

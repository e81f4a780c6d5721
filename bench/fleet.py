"""Fleet throughput: images per minute for ~20 images in a local registry, with 1 and 2 Dask workers.

    python bench/fleet.py [--images 20]

Starts Debian's docker-registry on 127.0.0.1, pushes N small Debian-based images (each with its own layer of
files, so no two share a digest), builds a small Debian DB, then runs `seawall fleet run` over them with a fresh
cache and store per worker count (no layer cache and no re-use between the measurements).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()

    from tests.fixtures.registry import start_registry
    from tests.imagebuild import File, build_oci_layout

    from seawall.db.build import update_db
    from seawall.feeds import select_feeds
    from seawall.fleet.runner import RunOptions, run_fleet
    from seawall.image.registry.client import RegistryClient
    from seawall.image.registry.push import push_oci_layout

    work = Path(tempfile.mkdtemp(prefix="seawall-bench-fleet-"))
    server = start_registry(work / "registry")
    try:
        catalog = work / "catalog.txt"
        refs = []
        with RegistryClient() as client:
            for index in range(args.images):
                payload = {f"/opt/app{index}/file{n}.txt": File(os.urandom(64 * 1024)) for n in range(16)}
                layout = build_oci_layout(work / f"img{index}", [REPO / "tests/assets/match/debian-bookworm", payload])
                ref = f"{server.host}/bench/app{index}:1.{index}"
                push_oci_layout(client, layout, ref)
                refs.append(ref)
        catalog.write_text("\n".join(refs) + "\n")
        db = work / "vuln.db"
        update_db(db, select_feeds(["debian"], [f"debian={REPO / 'tests/assets/match/debian-tracker.json'}"]))
        print(f"{args.images} images, {os.cpu_count()} CPUs")
        for workers in (int(w) for w in args.workers.split(",")):
            cache = work / f"cache-{workers}"
            started = time.perf_counter()
            summary = run_fleet(RunOptions(catalog=str(catalog), store_url=f"sqlite:///{work / f'store-{workers}.db'}",
                                           workers=workers, cache_dir=str(cache), db=str(db), auto_update=False,
                                           reuse=False))
            seconds = time.perf_counter() - started
            assert summary.errors == 0, summary
            print(f"workers={workers}: {summary.scanned} images in {seconds:.1f}s "
                  f"= {summary.scanned / seconds * 60:.0f} images/min (cluster start-up included)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""Fleet throughput at catalog scale: 150 images in a local registry, cold cache, 0 / 1 / 2 Dask workers, and the
report of the run: its size, its load time and a screenshot in headless Chromium.

    python bench/corpus.py debian-minbase py-app node-app     # the base images (once)
    python bench/fleet.py [--images 150] [--workers 0,1,2] [--repeat 3] [--bases debian-minbase,py-app,node-app]

Starts Debian's docker-registry on 127.0.0.1 and pushes a synthetic catalog: each image is a corpus image plus one
small layer of its own (so no two share a digest), under `library/app-NNN` with 2–3 tags (`1.N`, `1`, and `latest`
for every other image) — alias tags are pulled once, as in the official catalog. Then, for each worker count, a
`seawall fleet run` over the catalog with a fresh cache and a fresh store (cold: no blob cache, no re-use), timed.
Images per minute counts distinct digests; with `--repeat N` the runs are interleaved and the best of each counts
(the load average and CPU seconds of every run are printed). Writes bench/out/fleet-report.html and .png.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
from common import OUT, human_size, layout_of

if TYPE_CHECKING:
    from seawall.fleet.records import ImageResult

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
TIMING_SCRIPT = """<script>window.addEventListener("load", function () {
  var nav = performance.getEntriesByType("navigation")[0];
  document.body.setAttribute("data-bench-load", String(Math.round(performance.now())));
  document.body.setAttribute("data-bench-dcl", String(Math.round(nav ? nav.domContentLoadedEventEnd : -1)));
});</script>"""


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _small_layer(index: int) -> tuple[bytes, bytes]:
    """(gzipped tar, uncompressed tar) of a few files unique to image `index`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for n in range(4):
            body = f"app {index} file {n}\n".encode() * 512 + os.urandom(4096)
            info = tarfile.TarInfo(f"opt/app-{index:03d}/part{n}.txt")
            info.size, info.mode, info.mtime = len(body), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(body))
    plain = raw.getvalue()
    return gzip.compress(plain, compresslevel=6, mtime=0), plain


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def build_catalog(host: str, count: int, bases: list[str], work: Path) -> tuple[Path, int]:
    """Push `count` images under library/app-NNN; returns (catalog file, number of tags)."""
    from seawall.image import mediatypes
    from seawall.image.reference import parse_reference
    from seawall.image.registry.client import RegistryClient
    from seawall.image.registry.push import push_blob, push_manifest

    base_docs = []
    for name in bases:
        layout = layout_of(name)
        if not (layout / "index.json").exists():
            raise SystemExit(f"corpus image {name} is missing: python bench/corpus.py {name}")
        index = json.loads((layout / "index.json").read_text())
        manifest = json.loads(_blob(layout, index["manifests"][0]["digest"]))
        config = json.loads(_blob(layout, manifest["config"]["digest"]))
        base_docs.append((name, layout, manifest, config))
    lines: list[str] = []
    first_home: dict[str, str] = {}  # blob digest -> repository that has it (mounted from there, not re-sent)
    with RegistryClient() as client:
        for index in range(count):
            name, layout, manifest, config = base_docs[index % len(base_docs)]
            repository = f"library/app-{index:03d}"
            ref = parse_reference(f"{host}/{repository}:1.{index}")
            packed, plain = _small_layer(index)
            extra = work / f"layer-{index}.tar.gz"
            extra.write_bytes(packed)
            new_config = json.loads(json.dumps(config))
            new_config["rootfs"]["diff_ids"].append(_sha256(plain))
            new_config.setdefault("history", []).append({"created_by": f"COPY app-{index} /opt/"})
            config_bytes = json.dumps(new_config, separators=(",", ":")).encode()
            layers = [*manifest["layers"], {"mediaType": mediatypes.OCI_LAYER_GZIP, "digest": _sha256(packed),
                                            "size": len(packed)}]
            for desc in manifest["layers"]:
                path = layout / "blobs" / "sha256" / desc["digest"].split(":", 1)[1]
                push_blob(client, ref, desc["digest"], path, desc["size"], mount_from=first_home.get(desc["digest"]))
                first_home.setdefault(desc["digest"], repository)
            push_blob(client, ref, _sha256(packed), extra, len(packed))
            push_blob(client, ref, _sha256(config_bytes), config_bytes, len(config_bytes))
            document = {"schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
                        "config": {"mediaType": mediatypes.OCI_CONFIG, "digest": _sha256(config_bytes),
                                   "size": len(config_bytes)}, "layers": layers}
            data = json.dumps(document, separators=(",", ":")).encode()
            tags = [f"1.{index}", "1"] + (["latest"] if index % 2 == 0 else [])
            for tag in tags:
                push_manifest(client, parse_reference(f"{host}/{repository}:{tag}"), data, mediatypes.OCI_MANIFEST)
                lines.append(f"{host}/{repository}:{tag}")
            extra.unlink()
    catalog = work / "catalog.txt"
    catalog.write_text("\n".join(lines) + "\n")
    return catalog, len(lines)


def _arrived(arrivals: list[float], result: ImageResult) -> None:
    if result.alias_of is None:
        arrivals.append(time.perf_counter())


def chromium_load(report: Path, work: Path) -> tuple[float, float, float]:
    """(ms to the load event, ms to DOMContentLoaded, wall seconds of the headless run) for `report`."""
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    timed = work / "timed.html"
    timed.write_text(report.read_text().replace("</body>", TIMING_SCRIPT + "</body>"))
    started = time.perf_counter()
    done = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}", "--dump-dom",
                           timed.as_uri()], capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    load = re.search(r'data-bench-load="(\d+)"', done.stdout)
    dcl = re.search(r'data-bench-dcl="(-?\d+)"', done.stdout)
    if not load or not dcl:
        raise SystemExit(f"chromium did not load the report: {done.stderr[-2000:]}")
    return float(load.group(1)), float(dcl.group(1)), wall


def screenshot(report: Path, target: Path, work: Path) -> None:
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile-shot'}", f"--screenshot={target}",
                    "--window-size=1400,2600", "--hide-scrollbars", report.as_uri()],
                   capture_output=True, timeout=300, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=150)
    parser.add_argument("--workers", default="0,1,2")
    parser.add_argument("--bases", default="debian-minbase,py-app,node-app")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count, interleaved; the best counts")
    parser.add_argument("--db", help="vulnerability DB (default: a small Debian DB built from the test tracker)")
    args = parser.parse_args()

    from tests.fixtures.registry import start_registry

    from seawall.db.build import update_db
    from seawall.feeds import select_feeds
    from seawall.fleet.report import build_report, render
    from seawall.fleet.runner import RunOptions, run_fleet
    from seawall.fleet.store import ResultsStore

    # As installing the wheel does: an editable install under PYTHONDONTWRITEBYTECODE would recompile every module
    # in every worker process it starts.
    subprocess.run([sys.executable, "-c", "import compileall, seawall, sys; "
                    "sys.exit(not compileall.compile_dir(seawall.__path__[0], quiet=1))"], check=True)
    work = Path(tempfile.mkdtemp(prefix="seawall-bench-fleet-"))
    server = start_registry(work / "registry")
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        catalog, tags = build_catalog(server.host, args.images, args.bases.split(","), work)
        print(f"catalog: {args.images} images, {tags} tags from {args.bases} "
              f"(pushed in {time.perf_counter() - started:.0f}s); {os.cpu_count()} CPUs")
        db = Path(args.db) if args.db else work / "vuln.db"
        if not args.db:  # the tests' Debian tracker, plus Debian's advisories and PyPA's OSV records when present
            shared = Path(os.environ.get("SEAWALL_SHARED_DATA", BENCH.parent.parent / "shared" / "data"))
            sources = {"debian": str(BENCH.parent / "tests/assets/match/debian-tracker.json")}
            if (shared / "debian-security-tracker" / "data").is_dir():
                sources["debian-advisories"] = str(shared / "debian-security-tracker" / "data")
            if (shared / "pypa-advisory-db" / "vulns").is_dir():
                sources["osv"] = str(shared / "pypa-advisory-db" / "vulns")
            update_db(db, select_feeds(list(sources), [f"{name}={path}" for name, path in sources.items()]))
            print(f"DB from {', '.join(sources)}")
        rates: dict[int, list[float]] = {}
        last_store = ""
        counts = [int(w) for w in args.workers.split(",")]
        for attempt in range(args.repeat):  # interleaved, so a burst of other load hits every worker count alike
            for workers in counts:
                cache = work / f"cache-{workers}"
                store = f"sqlite:///{work / f'store-{workers}-{attempt}.db'}"
                load = os.getloadavg()[0]
                cpu, children = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
                arrivals: list[float] = []
                started = time.perf_counter()
                summary = run_fleet(RunOptions(catalog=str(catalog), store_url=store, workers=workers,
                                               cache_dir=str(cache), db=str(db), auto_update=False, reuse=False),
                                    on_result=partial(_arrived, arrivals))
                seconds = time.perf_counter() - started
                # Between the first and the last result: the scanning itself, without start-up and shutdown.
                steady = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) * 60 if len(arrivals) > 1 else 0.0
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                workers_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
                if summary.errors:
                    raise SystemExit(f"workers={workers}: {summary.errors} errors")
                rates.setdefault(workers, []).append(summary.scanned / seconds * 60)
                print(f"workers={workers}: {summary.scanned} images ({summary.aliases} alias tags) in {seconds:.1f}s "
                      f"= {rates[workers][-1]:.0f} images/min (cold cache, cluster start-up included; "
                      f"{steady:.0f}/min from the first result to the last); CPU: "
                      f"{time.process_time() - cpu:.1f}s this process, {workers_cpu:.1f}s workers; load {load:.1f}",
                      flush=True)
                shutil.rmtree(cache, ignore_errors=True)
                last_store = store
        best = {workers: max(values) for workers, values in rates.items()}
        if args.repeat > 1:
            print("best of", args.repeat, ", ".join(f"workers={w}: {r:.0f} images/min" for w, r in best.items()))
        if 1 in best and 2 in best:
            print(f"2 workers / 1 worker: {best[2] / best[1]:.2f}x")
        with ResultsStore.open(last_store) as results:
            html = render(build_report(results), "html")
        report = OUT / "fleet-report.html"
        report.write_text(html)
        load_ms, dcl_ms, wall = chromium_load(report, work)
        shot = OUT / "fleet-report.png"
        screenshot(report, shot, work)
        print(f"report: {human_size(report.stat().st_size)} HTML; headless Chromium: DOMContentLoaded {dcl_ms:.0f} ms, "
              f"load event {load_ms:.0f} ms (whole browser run {wall:.1f}s); screenshot {shot}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Matching speed: 2,000 packages against a DB holding every feed (target: under 100 ms).

The DB holds a synthetic Debian tracker of the real size plus the real DSA/DLA lists, Alpine secdb and PyPA
database from ../shared/data; the SBOM is 1,500 Debian packages of tracker source packages and 500 PyPI
packages with advisories. Nine Debian packages in ten are at their release's current version (as in a
maintained image: their unfixed issues match, fixed ones do not). Prints the first run (cold version cache)
and the median of the next five.

    python bench/match_speed.py [--tracker-mb 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from db_ingest import SHARED, synthetic_tracker
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from seawall.match import match_sbom
from seawall.model.image import Image, Platform
from seawall.model.sbom import SBOM, Distro, Package


def build_db(work: Path, tracker_mb: int) -> tuple[Path, Path]:
    tracker = work / "tracker.json"
    if not tracker.exists():
        synthetic_tracker(tracker, tracker_mb)
    db = work / "all.db"
    if not db.exists():
        names, sources = ["debian"], [f"debian={tracker}"]
        if SHARED.is_dir():
            names += ["debian-advisories", "alpine", "osv"]
            sources += [f"debian-advisories={SHARED / 'debian-security-tracker' / 'data'}",
                        f"alpine={SHARED / 'alpine-secdb'}", f"osv={SHARED / 'pypa-advisory-db' / 'vulns'}"]
        report = update_db(db, select_feeds(names, sources), http=Http(backoff=0))
        assert report.installed, report.failed
    return db, tracker


def sbom_of(tracker: Path) -> SBOM:
    rnd = random.Random(3)
    sources = list(json.loads(tracker.read_text()))
    packages = []
    for n in range(1500):
        source = rnd.choice(sources)
        # Most installed packages are at their release's current version (only unfixed issues apply); some lag.
        version = f"{rnd.randint(0, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 9)}-{rnd.randint(1, 9)}"
        if rnd.random() < 0.9:
            version = f"9:{version}"
        packages.append(Package(name=f"{source}-bin{n}", version=version, type="deb", found_by="bench",
                                source_name=source, source_version=version))
    vulns = SHARED / "pypa-advisory-db" / "vulns"
    names = sorted(p.name for p in vulns.iterdir()) if vulns.is_dir() else [f"pkg{n}" for n in range(500)]
    for name in rnd.sample(names, min(500, len(names))):
        packages.append(Package(name=name, version=f"{rnd.randint(0, 3)}.{rnd.randint(0, 20)}.0", type="python",
                                found_by="bench", purl=f"pkg:pypi/{name}"))
    image = Image(source="bench", transport="sbom", ref=None, digest=None, index_digest=None, platform=Platform(),
                  manifest_media_type=None, config_digest=None)
    return SBOM(image=image, distro=Distro(id="debian", version_id="12", codename="bookworm"),
                packages=tuple(packages))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracker-mb", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the DB and synthetic tracker here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seawall-match-speed-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, tracker = build_db(work, args.tracker_mb)
        sbom = sbom_of(tracker)
        with VulnStore.open(db) as store:
            times, findings = [], []
            for _ in range(6):
                started = time.perf_counter()
                findings = match_sbom(sbom, store)
                times.append(time.perf_counter() - started)
        print(f"{len(sbom.packages)} packages, {len(findings)} findings, DB {db.stat().st_size / 1e6:.0f} MB")
        print(f"first run (cold version cache): {times[0] * 1000:.0f} ms; "
              f"median of next 5: {statistics.median(times[1:]) * 1000:.0f} ms (target < 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

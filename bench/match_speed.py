"""Matching speed: 2,000 packages against a DB holding every feed (target: under 100 ms).

The DB holds a synthetic Debian tracker of the real size plus the real DSA/DLA lists, Alpine secdb and PyPA
database from ../shared/data. Two SBOMs of 2,000 packages each:

  heavy      1,500 Debian packages of random tracker source packages and 500 PyPI packages with advisories;
             nine Debian packages in ten at their release's current version (their unfixed issues match, fixed
             ones do not), PyPI versions at random: ~15,000 findings.
  realistic  a large maintained Debian-based image: 300 Debian binaries built from 120 source packages, all at
             their release's current version, 600 PyPI packages mostly at recent versions, 1,100 npm packages:
             ~2,900 findings, about what Trivy reports for such an image.

Prints, per profile, the first run (cold version and decode caches) and the median of the next five.

    python bench/match_speed.py [--profile heavy|realistic|both] [--tracker-mb 100] [--keep DIR]
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
from seawall.db import store as store_module
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.errors import DatabaseError
from seawall.feeds import select_feeds
from seawall.feeds.http import Http
from seawall.match import match_sbom
from seawall.match import matcher as matcher_module
from seawall.match import ranges as ranges_module
from seawall.match import targets as targets_module
from seawall.model.image import Image, Platform
from seawall.model.sbom import SBOM, Distro, Package
from seawall.versions import SCHEMES


def build_db(work: Path, tracker_mb: int) -> tuple[Path, Path]:
    tracker = work / "tracker.json"
    if not tracker.exists():
        synthetic_tracker(tracker, tracker_mb)
    db = work / "all.db"
    try:
        VulnStore.open(db).close()
    except DatabaseError:  # none yet, or built by a seawall with another DB schema
        db.unlink(missing_ok=True)
    if not db.exists():
        names, sources = ["debian"], [f"debian={tracker}"]
        if SHARED.is_dir():
            names += ["debian-advisories", "alpine", "osv"]
            sources += [f"debian-advisories={SHARED / 'debian-security-tracker' / 'data'}",
                        f"alpine={SHARED / 'alpine-secdb'}", f"osv={SHARED / 'pypa-advisory-db' / 'vulns'}"]
        report = update_db(db, select_feeds(names, sources), http=Http(backoff=0))
        assert report.installed, report.failed
    return db, tracker


def sbom_of(tracker: Path, profile: str = "heavy") -> SBOM:
    rnd = random.Random(3)
    sources = list(json.loads(tracker.read_text()))
    vulns = SHARED / "pypa-advisory-db" / "vulns"
    pypi = sorted(p.name for p in vulns.iterdir()) if vulns.is_dir() else [f"pkg{n}" for n in range(600)]
    packages = _heavy(rnd, sources, pypi) if profile == "heavy" else _realistic(rnd, sources, pypi)
    image = Image(source="bench", transport="sbom", ref=None, digest=None, index_digest=None, platform=Platform(),
                  manifest_media_type=None, config_digest=None)
    return SBOM(image=image, distro=Distro(id="debian", version_id="12", codename="bookworm"),
                packages=tuple(packages))


def _deb_version(rnd: random.Random, current: float) -> str:
    version = f"{rnd.randint(0, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 9)}-{rnd.randint(1, 9)}"
    # The epoch puts a package above every fix in the tracker: it is at its release's current version.
    return f"9:{version}" if rnd.random() < current else version


def _heavy(rnd: random.Random, sources: list[str], pypi: list[str]) -> list[Package]:
    packages = []
    for n in range(1500):
        source = rnd.choice(sources)
        version = _deb_version(rnd, 0.9)
        packages.append(Package(name=f"{source}-bin{n}", version=version, type="deb", found_by="bench",
                                source_name=source, source_version=version))
    for name in rnd.sample(pypi, min(500, len(pypi))):
        packages.append(Package(name=name, version=f"{rnd.randint(0, 3)}.{rnd.randint(0, 20)}.0", type="python",
                                found_by="bench", purl=f"pkg:pypi/{name}"))
    return packages


def _realistic(rnd: random.Random, sources: list[str], pypi: list[str]) -> list[Package]:
    packages: list[Package] = []
    for source in rnd.sample(sources, 120):
        version = _deb_version(rnd, 1.0)
        for _ in range(rnd.choice((1, 2, 3, 4, 5))):
            if len(packages) == 300:
                break
            packages.append(Package(name=f"{source}-bin{len(packages)}", version=version, type="deb",
                                    found_by="bench", source_name=source, source_version=version))
    for name in rnd.sample(pypi, min(600, len(pypi))):
        # Mostly recent releases: an advisory's range rarely reaches them.
        major = 30 if rnd.random() < 0.85 else rnd.randint(0, 3)
        packages.append(Package(name=name, version=f"{major}.{rnd.randint(0, 20)}.0", type="python",
                                found_by="bench", purl=f"pkg:pypi/{name}"))
    while len(packages) < 2000:
        name = f"npm-pkg{len(packages)}"
        packages.append(Package(name=name, version="1.0.0", type="npm", found_by="bench", purl=f"pkg:npm/{name}@1.0.0"))
    return packages


def run(sbom: SBOM, store: VulnStore, label: str) -> None:
    clear_caches()
    times, findings = [], []
    for _ in range(6):
        started = time.perf_counter()
        findings = match_sbom(sbom, store)
        times.append(time.perf_counter() - started)
    print(f"{label}: {len(sbom.packages)} packages, {len(findings)} findings")
    print(f"  first run (cold caches): {times[0] * 1000:.0f} ms; "
          f"median of next 5: {statistics.median(times[1:]) * 1000:.0f} ms (target < 100 ms)")


def clear_caches() -> None:
    """Empty the in-process caches (version keys, decoded DB columns) so the first run is a cold one."""
    for scheme in SCHEMES.values():
        scheme._cached_key.cache_clear()
    for module in (store_module, matcher_module, ranges_module, targets_module):
        for name in dir(module):
            cache_clear = getattr(getattr(module, name), "cache_clear", None)
            if callable(cache_clear):
                cache_clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("heavy", "realistic", "both"), default="both")
    parser.add_argument("--tracker-mb", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the DB and synthetic tracker here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seawall-match-speed-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, tracker = build_db(work, args.tracker_mb)
        profiles = ("heavy", "realistic") if args.profile == "both" else (args.profile,)
        print(f"DB {db.stat().st_size / 1e6:.0f} MB")
        with VulnStore.open(db) as store:
            for profile in profiles:
                run(sbom_of(tracker, profile), store, profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

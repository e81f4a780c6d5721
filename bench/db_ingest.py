"""Vulnerability DB ingest: time and size for the real data in ../shared/data and for a synthetic Debian tracker JSON
of the real file's size (~100 MB, the real shape: ~250k (package, CVE) entries over 4-5 releases).

    python bench/db_ingest.py [--tracker-mb 100] [--keep DIR]
    python bench/db_ingest.py --updates [--scale 1.0] [--nvd-cves 100000] [--keep DIR]

`--updates` times incremental updates instead (bench/db_updates.py): the full build from a local mirror of every
default feed plus the NVD API, a check where nothing changed, and one where 1% of the records changed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from seawall.db.build import update_db
from seawall.db.bundle import export_bundle
from seawall.feeds import select_feeds
from seawall.feeds.http import Http

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RELEASES = ("bullseye", "bookworm", "trixie", "forky", "sid")
WORDS = ("buffer overflow", "use-after-free", "NULL pointer dereference", "integer overflow", "in the parser",
         "allows remote attackers", "to cause a denial of service", "via a crafted file", "or possibly execute code")


def synthetic_tracker(path: Path, target_mb: int, seed: int = 7) -> int:
    """Write a tracker JSON of about `target_mb` MB; returns its (package, id) entry count."""
    rnd = random.Random(seed)
    entries = 0
    packages = [f"pkg{n}-{rnd.choice(['lib', 'python', 'node', 'golang', ''])}{n % 97}" for n in range(9000)]
    with open(path, "w") as out:
        out.write("{")
        first_pkg = True
        for pkg in packages:
            if out.tell() > target_mb * 1_000_000:
                break
            issues = {}
            for _ in range(int(rnd.paretovariate(1.2) * 12)):
                year = rnd.randint(2005, 2025)
                vid = f"CVE-{year}-{rnd.randint(1000, 59999)}" if rnd.random() > 0.03 else \
                    f"TEMP-{rnd.randint(0, 9999999):07d}-{rnd.randint(0, 0xFFFFFF):06X}"
                releases = {}
                for rel in RELEASES[rnd.randint(0, 2):]:
                    version = f"{rnd.randint(0, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 9)}-{rnd.randint(1, 9)}"
                    roll = rnd.random()
                    entry: dict[str, object] = {"status": "resolved", "repositories": {rel: version},
                                                "urgency": rnd.choice(["not yet assigned", "low", "medium", "high",
                                                                       "unimportant", "low*"])}
                    if roll < 0.65:
                        entry["fixed_version"] = version
                    elif roll < 0.72:
                        entry["fixed_version"] = "0"
                    elif roll < 0.95:
                        entry["status"] = "open"
                        if rnd.random() < 0.5:
                            entry |= {"nodsa": "Minor issue", "nodsa_reason": rnd.choice(["", "ignored", "postponed"])}
                    else:
                        entry["status"] = "undetermined"
                    releases[rel] = entry
                issues[vid] = {"description": " ".join(rnd.sample(WORDS, 5)), "scope": rnd.choice(["local", "remote"]),
                               "releases": releases}
                if rnd.random() < 0.3:
                    issues[vid]["debianbug"] = rnd.randint(800000, 1100000)
            entries += len(issues)
            out.write(("" if first_pkg else ",") + json.dumps(pkg) + ":" + json.dumps(issues, separators=(",", ":")))
            first_pkg = False
        out.write("}")
    return entries


def _run(label: str, db: Path, names: list[str], sources: list[str]) -> None:
    started = time.perf_counter()
    report = update_db(db, select_feeds(names, sources), http=Http(backoff=0))
    elapsed = time.perf_counter() - started
    assert report.installed and not report.failed, report.failed
    bundle = db.with_suffix(".tar.zst")
    t0 = time.perf_counter()
    export_bundle(db, bundle)
    export_s = time.perf_counter() - t0
    records = sum(o.records for o in report.outcomes)
    print(f"{label:<28} {elapsed:7.1f} s  {records:>10,} records  db {db.stat().st_size / 1e6:7.1f} MB  "
          f"bundle {bundle.stat().st_size / 1e6:6.1f} MB (export {export_s:.1f} s)")
    for o in report.outcomes:
        print(f"    {o.name:<20} {o.seconds:6.1f} s {o.records:>10,} records {o.skipped:>6,} skipped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracker-mb", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="keep the DBs and the synthetic tracker here")
    parser.add_argument("--updates", action="store_true", help="time full, no-change and 1%%-changed updates")
    parser.add_argument("--scale", type=float, default=1.0, help="--updates: mirror size relative to the real feeds")
    parser.add_argument("--nvd-cves", type=int, default=100_000, help="--updates: CVEs the local NVD API serves")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seawall-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.updates:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from bench.db_updates import run_updates

            run_updates(work, args.scale, args.nvd_cves)
            return 0
        if SHARED.is_dir():
            _run("shared data (lists+secdb+pypa)", work / "shared.db", ["debian-advisories", "alpine", "osv"], [
                f"debian-advisories={SHARED / 'debian-security-tracker' / 'data'}",
                f"alpine={SHARED / 'alpine-secdb'}", f"osv={SHARED / 'pypa-advisory-db' / 'vulns'}"])
        else:
            print("../shared/data absent: skipping the real-data run", file=sys.stderr)
        tracker = work / "tracker.json"
        t0 = time.perf_counter()
        entries = synthetic_tracker(tracker, args.tracker_mb)
        print(f"synthetic tracker: {tracker.stat().st_size / 1e6:.0f} MB, {entries:,} (package, id) entries, "
              f"generated in {time.perf_counter() - t0:.0f} s")
        _run("synthetic Debian tracker", work / "tracker.db", ["debian"], [f"debian={tracker}"])
        if SHARED.is_dir():
            _run("everything together", work / "all.db", ["debian", "debian-advisories", "alpine", "osv"], [
                f"debian={tracker}", f"debian-advisories={SHARED / 'debian-security-tracker' / 'data'}",
                f"alpine={SHARED / 'alpine-secdb'}", f"osv={SHARED / 'pypa-advisory-db' / 'vulns'}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How much of the corpus and of the repo-info images a DB built from ../shared/data covers.

    python bench/coverage.py [--data ../shared/data]

Builds a DB from the Debian DSA/DLA lists, Alpine's secdb and the PyPA database, then states per image the
namespaces its packages fall in, how many packages the DB could judge, and whether the image is fully covered.
The corpus images are those `bench/corpus.py` built (missing ones are listed as such).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import IMAGE_NAMES, REPO, layout_of
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.fleet.repo_info import read_repo_info
from seawall.match.coverage import compute_coverage
from seawall.model.coverage import Coverage
from seawall.model.sbom import SBOM


def build_db(data: Path, db: Path) -> None:
    feeds = select_feeds(["debian-advisories", "alpine", "osv"], [
        f"debian-advisories={data}/debian-security-tracker/data", f"alpine={data}/alpine-secdb",
        f"osv.pypi={data}/pypa-advisory-db/vulns"])
    if not update_db(db, feeds).installed:
        raise SystemExit("could not build the DB from the shared data")


def line(name: str, coverage: Coverage) -> str:
    parts = [f"{n.namespace} {n.packages}" + ("" if n.covered else " (not covered)") for n in coverage.namespaces]
    verdict = "fully covered" if coverage.complete else f"{coverage.uncovered_packages} not checked"
    return f"{name:<36} {coverage.covered_packages:>4}/{coverage.packages:<4} {verdict:<20} {', '.join(parts)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    from seawall.inventory.api import load_inventory

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "seawall.db"
        build_db(args.data, db)
        with VulnStore.open(db) as store:
            rows = store.coverage()
        totals: dict[str, list[bool]] = {"corpus": [], "repo-info": []}
        print("corpus (bench/corpus.py)")
        for name in IMAGE_NAMES:
            layout = layout_of(name)
            if not (layout / "index.json").exists():
                print(f"{name:<36} not built")
                continue
            sbom: SBOM = load_inventory(f"oci:{layout}", cache_dir=Path(tmp) / "cache").sbom
            coverage = compute_coverage(sbom, rows)
            totals["corpus"].append(coverage.complete)
            print(line(name, coverage))
        print("\nrepo-info inventories (../shared/data/repo-info-inventories)")
        for path in sorted((args.data / "repo-info-inventories").glob("*.json")):
            coverage = compute_coverage(read_repo_info(path), rows)
            totals["repo-info"].append(coverage.complete)
            print(line(path.stem.replace("__", ":"), coverage))
    print()
    for group, flags in totals.items():
        print(f"{group}: {sum(flags)} of {len(flags)} images fully covered")


if __name__ == "__main__":
    main()

"""A local mirror of every feed seawall downloads by default, at realistic size, built from the shapes of the real
excerpts in ../shared/data (or the test excerpts): Debian's tracker JSON, Alpine's secdb per branch, OSV's all.zip
per ecosystem, KEV and EPSS. Used by `db_ingest.py --first-use` to time a first build against a DB pull.

Record counts per OSV ecosystem follow the public bucket's order of magnitude (npm dominated by malicious-package
reports); `--scale` shrinks or grows all of them together.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import random
import sys
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench.db_ingest import synthetic_tracker

SHARED = HERE.parent.parent / "shared" / "data"
ASSETS = HERE.parent / "tests" / "assets" / "feeds"
OSV_RECORDS = {"PyPI": 16_000, "npm": 190_000, "Go": 5_500, "Maven": 6_000, "crates.io": 2_000, "RubyGems": 1_200,
               "Packagist": 4_500, "NuGet": 1_000, "Ubuntu": 45_000, "Debian": 55_000, "Alpine": 18_000,
               "Rocky Linux": 3_000, "AlmaLinux": 3_500, "SUSE": 40_000, "openSUSE": 30_000}
# The feeds this mirror serves; the vendor feeds without OSV data (Red Hat CSAF, Oracle OVAL, ALAS, Photon, Wolfi,
# Chainguard) and NVD are not mirrored, so builds timed against it leave them out and say so.
MIRRORED_FEEDS = frozenset({"debian", "debian-advisories", "alpine", "osv", "kev", "epss"})
ALPINE_BRANCHES = ("v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge")
TRACKER_MB = 100
KEV_ENTRIES = 1_400
EPSS_ROWS = 280_000


def _templates() -> list[dict[str, object]]:
    folder = SHARED / "pypa-advisory-db" / "vulns"
    paths = sorted(folder.rglob("*.yaml"))[:400] if folder.is_dir() else sorted((ASSETS / "osv").rglob("*.json"))
    out = []
    for path in paths:
        doc = yaml.safe_load(path.read_text()) if path.suffix == ".yaml" else json.loads(path.read_text())
        if isinstance(doc, dict) and doc.get("affected"):
            out.append(doc)
    return out


def osv_zip(path: Path, ecosystem: str, count: int, templates: list[dict[str, object]], rnd: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(count):
            record = copy.deepcopy(rnd.choice(templates))
            prefix = {"Ubuntu": "UBUNTU-CVE", "Debian": "DEBIAN-CVE", "Alpine": "ALPINE-CVE", "Rocky Linux": "RLSA",
                      "AlmaLinux": "ALSA", "SUSE": "SUSE-SU", "openSUSE": "openSUSE-SU"}.get(ecosystem, "GHSA")
            record["id"] = f"{prefix}-{n:06d}-{rnd.randint(0, 0xFFFF):04x}"
            record["aliases"] = [f"CVE-{rnd.randint(2005, 2026)}-{rnd.randint(1000, 99999)}"]
            eco = {"Ubuntu": "Ubuntu:22.04:LTS", "Debian": "Debian:12", "Alpine": "Alpine:v3.20",
                   "Rocky Linux": "Rocky Linux:9", "AlmaLinux": "AlmaLinux:9",
                   "SUSE": "SUSE:Linux Enterprise Server 15 SP5", "openSUSE": "openSUSE:Leap 15.5"}.get(ecosystem,
                                                                                                       ecosystem)
            for affected in record["affected"]:  # type: ignore[union-attr]
                affected["package"] = {"ecosystem": eco, "name": f"pkg-{rnd.randint(0, count // 3)}",
                                       "purl": None}
                affected["package"].pop("purl")
            zf.writestr(f"{record['id']}.json", json.dumps(record, default=str))


def alpine_branch(path: Path, rnd: random.Random, branch: str, repo: str) -> None:
    packages = []
    for n in range(1_600 if repo == "main" else 900):
        fixes = {f"{rnd.randint(1, 9)}.{rnd.randint(0, 20)}.{rnd.randint(0, 9)}-r{rnd.randint(0, 5)}":
                 [f"CVE-{rnd.randint(2010, 2026)}-{rnd.randint(1000, 99999)}" for _ in range(rnd.randint(1, 4))]
                 for _ in range(rnd.randint(1, 6))}
        packages.append({"pkg": {"name": f"{repo}-pkg{n}", "secfixes": fixes}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"apkurl": "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}",
                                "archs": ["x86_64", "aarch64"], "reponame": repo, "urlprefix": "x",
                                "distroversion": branch, "packages": packages}))


def build_mirror(root: Path, scale: float = 1.0, seed: int = 11) -> dict[str, int]:
    """Write the mirror under `root`; bytes per top-level folder."""
    rnd = random.Random(seed)
    templates = _templates()
    (root / "debian").mkdir(parents=True, exist_ok=True)
    synthetic_tracker(root / "debian" / "tracker.json", max(1, int(TRACKER_MB * scale)))
    for branch in ALPINE_BRANCHES:
        for repo in ("main", "community"):
            alpine_branch(root / "alpine" / branch / f"{repo}.json", rnd, branch, repo)
    for eco, count in OSV_RECORDS.items():
        osv_zip(root / "osv" / eco / "all.zip", eco, max(10, int(count * scale)), templates, rnd)
    kev = {"catalogVersion": "2026.12.06", "dateReleased": "2026-12-06T17:00:00.000Z", "count": KEV_ENTRIES,
           "vulnerabilities": [{"cveID": f"CVE-{rnd.randint(2005, 2026)}-{n:05d}", "vendorProject": "v",
                                "product": "p", "vulnerabilityName": "n", "dateAdded": "2024-01-01",
                                "shortDescription": "d", "requiredAction": "a", "dueDate": "2024-02-01",
                                "knownRansomwareCampaignUse": "Unknown", "notes": ""}
                               for n in range(KEV_ENTRIES)]}
    (root / "kev").mkdir(parents=True, exist_ok=True)
    (root / "kev" / "kev.json").write_text(json.dumps(kev))
    rows = io.StringIO()
    rows.write("#model_version:v2025.03.14,score_date:2026-12-06T00:00:00+0000\ncve,epss,percentile\n")
    for n in range(int(EPSS_ROWS * scale)):
        rows.write(f"CVE-{2000 + n % 27}-{n:06d},{rnd.random():.5f},{rnd.random():.5f}\n")
    (root / "epss").mkdir(parents=True, exist_ok=True)
    (root / "epss" / "epss.csv.gz").write_bytes(gzip.compress(rows.getvalue().encode()))
    return {d.name: sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) for d in root.iterdir()}

"""Matching accuracy on real data, each side checked by a reading written apart from the matcher.

1. The corpus' py-app and node-app images against the full PyPA advisory database: per package, the advisories
   seawall reports must be exactly those an independent reading of the OSV YAML gives (ranges and explicit
   versions compared with `packaging`, nothing of seawall's version code).
2. Every PyPA record against generated versions on both sides of each of its events (the event's version, `.dev0`
   just below it, `.post1` just above it) and every version it lists: one SBOM of all those (name, version) pairs
   scanned at once; each package's advisories compared with the same independent reading. Records with a bound
   `packaging` cannot parse must come out flagged `range unparseable` wherever the reading cannot rule them out.
   Every disagreement is printed with its explanation; unexplained ones fail the run.
3. The real package inventory of debian:bullseye-20230109-slim against the DSA list: seawall must report exactly
   the DSAs whose bullseye fixed version is newer than the installed source version (python-debian compares).

Usage: python bench/match_accuracy.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from debian.debian_support import Version as DebVersion
from packaging.version import InvalidVersion, Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CORPUS, REPO
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.image.open import open_source
from seawall.inventory.build import build_sbom
from seawall.match import match_sbom
from seawall.model.image import Image, Platform
from seawall.model.sbom import SBOM, Distro, Package

PEP503 = re.compile(r"[-_.]+")


def pypa_expected(vulns: Path, name: str, version: str) -> set[str]:
    """Advisory ids affecting `name==version`, read straight from the YAML records."""
    folder = vulns / PEP503.sub("-", name).lower()
    if not folder.is_dir():
        matches = [d for d in vulns.iterdir() if PEP503.sub("-", d.name).lower() == PEP503.sub("-", name).lower()]
        if not matches:
            return set()
        folder = matches[0]
    try:
        installed = Version(version)
    except InvalidVersion:
        return set()
    out = set()
    for record_file in folder.glob("*.yaml"):
        record = yaml.safe_load(record_file.read_text())
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            if PEP503.sub("-", affected["package"]["name"]).lower() != PEP503.sub("-", name).lower():
                continue
            if version in (affected.get("versions") or []):
                out.add(record["id"])
                continue
            for rng in affected.get("ranges", []):
                if rng["type"] != "ECOSYSTEM":
                    continue
                if _in_range(installed, rng["events"]):
                    out.add(record["id"])
    return out


def _in_range(installed: Version, events: list[dict[str, str]]) -> bool:
    introduced = [Version(e["introduced"]) if e["introduced"] != "0" else None for e in events if "introduced" in e]
    ends = [(k, Version(v)) for e in events for k, v in e.items() if k in ("fixed", "last_affected", "limit")]
    for start in introduced:
        if start is not None and installed < start:
            continue
        bound = [(k, v) for k, v in ends if start is None or v > start]
        if not bound:
            return True
        kind, end = min(bound, key=lambda kv: kv[1])
        if installed < end or (kind == "last_affected" and installed == end):
            return True
    return False


def check_pypa(shared: Path, work: Path) -> int:
    vulns = shared / "pypa-advisory-db" / "vulns"
    db = work / "pypa.db"
    update_db(db, select_feeds(["osv"], [f"osv={vulns}"]))
    problems = 0
    with VulnStore.open(db) as store:
        for image in ("py-app", "node-app"):
            layout = CORPUS / image
            if not layout.is_dir():
                print(f"  {image}: not built (python bench/corpus.py)")
                continue
            with open_source(f"oci:{layout}") as source:
                sbom = build_sbom(source, cache_dir=work / "cache")
            findings = match_sbom(sbom, store)
            got: dict[tuple[str, str], set[str]] = defaultdict(set)
            for f in findings:
                if f.package.type == "python":
                    got[(f.package.name, f.package.version)] |= {d.advisory_id for d in f.details}
            python_packages = [p for p in sbom.packages if p.type == "python" and not p.owned_by]
            agree = 0
            for package in python_packages:
                expected = pypa_expected(vulns, package.name, package.version)
                mine = got.get((package.name, package.version), set())
                if expected == mine:
                    agree += 1
                    continue
                problems += 1
                print(f"  {image}: {package.name} {package.version}: only seawall {sorted(mine - expected)}, "
                      f"only independent reading {sorted(expected - mine)}")
            total = sum(len(v) for v in got.values())
            print(f"  {image}: {len(python_packages)} Python packages, {total} advisories, "
                  f"{agree}/{len(python_packages)} packages agree")
    return problems


def _load_records(vulns: Path) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """PEP 503 name → (record id, affected entry) for every PyPI entry of every record not withdrawn."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(vulns.rglob("*.yaml")):
        record = yaml.load(path.read_text(), Loader=loader)
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected") or ():
            package = affected.get("package") or {}
            if package.get("ecosystem") == "PyPI" and package.get("name"):
                out[PEP503.sub("-", package["name"]).lower()].append((record["id"], affected))
    return out


def _parses(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _reading(installed: Version, text: str, affected: dict[str, Any]) -> str:
    """The independent reading of one affected entry: "affected", "clean", "undecidable" (a bound does not parse
    and the version is not below every introduced), or "silent" (no ranges and no versions: nothing is stated)."""
    ranges = [r for r in affected.get("ranges") or () if r.get("type") == "ECOSYSTEM"]
    listed = [str(v) for v in affected.get("versions") or ()]
    if not ranges and not listed:
        return "silent"
    if text in listed or any(_parses(v) and Version(v) == installed for v in listed):
        return "affected"
    undecidable = False
    for rng in ranges:
        events = [{k: str(v) for k, v in e.items()} for e in rng["events"]]
        if all(v == "0" or _parses(v) for e in events for v in e.values()):
            if _in_range(installed, events):
                return "affected"
            continue
        starts = [e["introduced"] for e in events if "introduced" in e]
        if not all(v == "0" or _parses(v) for v in starts) or any(v == "0" or installed >= Version(v) for v in starts):
            undecidable = True
    return "undecidable" if undecidable else "clean"


def _probes(affected: dict[str, Any]) -> set[str]:
    out = {str(v) for v in affected.get("versions") or () if _parses(str(v))}
    for rng in affected.get("ranges") or ():
        if rng.get("type") != "ECOSYSTEM":
            continue
        for event in rng["events"]:
            for value in event.values():
                value = str(value)
                if value == "0" or not _parses(value):
                    continue
                out |= {c for c in (value, f"{value}.dev0", f"{value}.post1") if _parses(c)}
    return out or {"0.0.1"}


def check_pypa_records(shared: Path, work: Path) -> tuple[int, dict[str, int]]:
    vulns = shared / "pypa-advisory-db" / "vulns"
    records = _load_records(vulns)
    db = work / "pypa-records.db"
    update_db(db, select_feeds(["osv"], [f"osv={vulns}"]))
    probes = sorted({(name, version) for name, entries in records.items() for _, affected in entries
                     for version in _probes(affected)})
    image = Image(source="pypa-probes", transport="sbom", ref=None, digest=None, index_digest=None,
                  platform=Platform(), manifest_media_type=None, config_digest=None)
    packages = tuple(Package(name=name, version=version, type="python", found_by="probe",
                             purl=f"pkg:pypi/{name}@{version}") for name, version in probes)
    with VulnStore.open(db) as store:
        findings = match_sbom(SBOM(image=image, distro=None, packages=packages), store)
    got: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)  # advisory id → flagged
    for finding in findings:
        for detail in finding.details:
            got[(finding.package.name, finding.package.version)][detail.advisory_id] = detail.range_unparseable
    counts = {"records": len({i for entries in records.values() for i, _ in entries}), "probes": len(probes),
              "judgements": 0, "agree": 0, "flagged as expected": 0}
    unexplained = 0
    explained: dict[str, list[str]] = defaultdict(list)
    for name, version in probes:
        installed = Version(version)
        mine = got.get((name, version), {})
        for vuln_id, affected in records[name]:
            reading = _reading(installed, version, affected)
            if reading == "silent":
                continue
            counts["judgements"] += 1
            reported, flagged = vuln_id in mine, mine.get(vuln_id, False)
            if reported == (reading == "affected") and reading != "undecidable" and not flagged:
                counts["agree"] += 1
            elif reading == "undecidable" and reported and flagged:
                counts["flagged as expected"] += 1
            elif reading == "affected" and vuln_id in _SAME_VERSION_EVENTS:
                explained[_SAME_VERSION_EVENTS[vuln_id]].append(f"{vuln_id} {name} {version}")
            else:
                unexplained += 1
                print(f"    UNEXPLAINED {vuln_id} {name} {version}: reading {reading}, seawall "
                      f"{'flagged' if flagged else 'reports' if reported else 'clean'}")
    for why, cases in explained.items():
        print(f"    explained ({len(cases)}): {why}: {', '.join(cases[:4])}")
    counts["explained"] = sum(len(c) for c in explained.values())
    print("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f", unexplained {unexplained}")
    return unexplained, counts


# Records the independent reading and the schema's algorithm read differently, with the reason (none at present:
# the touching ranges of PYSEC-2022-42972, -2022-236 and -2023-72 read the same both ways).
_SAME_VERSION_EVENTS: dict[str, str] = {}


def dsa_expected(dsa_list: Path, release: str, installed: dict[str, str]) -> set[str]:
    out = set()
    current = None
    for line in dsa_list.read_text(encoding="utf-8", errors="replace").splitlines():
        head = re.match(r"^\[[^\]]+\]\s+(DSA-\d+-\d+)\s", line)
        if head:
            current = head.group(1)
            continue
        entry = re.match(rf"^\s+\[{release}\]\s+-\s+(\S+)\s+(\S+)", line)
        if entry and current:
            source, fixed = entry.groups()
            if source in installed and not fixed.startswith("<") and DebVersion(installed[source]) < DebVersion(fixed):
                out.add(current)
    return out


def check_dsa(shared: Path, work: Path) -> int:
    inventory = json.loads((shared / "repo-info-inventories" / "debian__bullseye-20230109-slim.json").read_text())
    packages = tuple(
        Package(name=p["name"], version=p["version"], type="deb", found_by="repo-info", arch=p.get("arch"),
                source_name=p.get("source") or p["name"], source_version=p.get("source_version") or p["version"])
        for p in inventory["packages"]
    )
    image = Image(source="debian:bullseye-20230109-slim", transport="sbom", ref=None, digest=None,
                  index_digest=None, platform=Platform(), manifest_media_type=None, config_digest=None)
    sbom = SBOM(image=image, distro=Distro(id="debian", version_id="11", codename="bullseye"), packages=packages)
    data = shared / "debian-security-tracker" / "data"
    db = work / "dsa.db"
    update_db(db, select_feeds(["debian-advisories"], [f"debian-advisories.dsa={data / 'DSA' / 'list'}",
                                                       f"debian-advisories.dla={data / 'DLA' / 'list'}"]))
    with VulnStore.open(db) as store:
        findings = match_sbom(sbom, store)
    mine = {i for f in findings for i in f.ids if i.startswith("DSA-")}
    installed = {p.source_name: p.source_version for p in packages if p.source_name and p.source_version}
    expected = dsa_expected(data / "DSA" / "list", "bullseye", installed)
    print(f"  bullseye-slim: {len(packages)} packages, {len(installed)} source packages; "
          f"DSAs expected {len(expected)}, reported {len(mine)}, agreeing {len(expected & mine)}")
    for dsa in sorted(expected - mine):
        print(f"    missing {dsa}")
    for dsa in sorted(mine - expected):
        print(f"    extra {dsa}")
    return len(expected ^ mine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    if not args.shared.is_dir():
        print(f"{args.shared} is absent: nothing to measure")
        return 0
    with tempfile.TemporaryDirectory(prefix="seawall-match-") as tmp:
        work = Path(tmp)
        print("PyPA advisory database vs an independent reading of the OSV ranges:")
        problems = check_pypa(args.shared, work)
        print("Every PyPA record, versions on both sides of each event, vs the same reading:")
        problems += check_pypa_records(args.shared, work)[0]
        print("DSA list vs bullseye-slim inventory:")
        problems += check_dsa(args.shared, work)
    print("differences:", problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

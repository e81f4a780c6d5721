"""Line up seawall's findings with each report's: same package (by purl identity, else name) and same vulnerability
(any id of one side among the other's ids, aliases taken from the DB and from each report's own related ids)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.compare import Row
from seawall.db.store import VulnStore
from seawall.match.findings import BUNDLE_PREFIXES, IdGroups, primary_id
from seawall.model.ecosystem import DISTRIBUTIONS, ECOSYSTEMS, PackageType, ecosystem_of_purl_type
from seawall.model.finding import Finding, ScanReport
from seawall.model.imported import ImportedFinding, ImportedPackage, ImportedReport
from seawall.model.sbom import Package

OS_CLASS = "os"
# Every spelling of a package type in seawall, Trivy, Grype and purls, to one class per ecosystem.
_CLASSES = {
    **{name.lower(): OS_CLASS for row in DISTRIBUTIONS
       for name in (row.id, row.purl_namespace, row.trivy_family, *row.aliases)},
    **{name.lower(): OS_CLASS if row.os else row.purl_type for row in ECOSYSTEMS if row.type is not PackageType.BINARY
       for name in (row.type.value, row.purl_type, row.trivy_type, row.grype_type, *row.aliases)},
    **dict.fromkeys(("alpm", "os", "opkg"), OS_CLASS),  # other tools list these as the system's packages
}
_PEP503 = re.compile(r"[-_.]+")


def package_class(ptype: str, purl: str | None) -> str:
    parsed = _purl(purl)
    if parsed is not None and parsed.type in _CLASSES:
        return _CLASSES[parsed.type]
    return _CLASSES.get(ptype.lower(), ptype.lower() or "unknown")


def _purl(purl: str | None) -> PackageURL | None:
    if not purl:
        return None
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def package_name_key(name: str, purl: str | None, cls: str) -> str:
    """The name two tools agree on for one package: maven by artifact, npm/go with scope/path, pypi normalised."""
    parsed = _purl(purl)
    row = ecosystem_of_purl_type(cls)
    style = row.advisory_name if row is not None else "name"
    if style == "purl:":
        return (parsed.name if parsed else name.replace("/", ":").split(":")[-1]).lower()
    if style == "purl/" and parsed is not None:
        return (f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name).lower()
    if style == "pep503":
        return _PEP503.sub("-", parsed.name if parsed else name).lower()
    return name.lower()


def bare_version(version: str) -> str:
    """Without a leading epoch (Trivy and Grype write `1:2.3-4`, some tools `2.3-4`) or a `v` prefix."""
    head, sep, tail = version.partition(":")
    if sep and head.isdigit():
        version = tail
    return version.removeprefix("v")


def _pkey(package: Package) -> tuple[str, str, str, str]:
    return (package.type, package.name, package.version, package.locations[0].path if package.locations else "")


class PackageIndex:
    """seawall's inventory, looked up by another tool's package."""

    def __init__(self, packages: Iterable[Package]) -> None:
        self.by_name: dict[tuple[str, str], list[Package]] = defaultdict(list)
        for package in packages:
            cls = package_class(package.type, package.purl)
            self.by_name[(cls, package_name_key(package.name, package.purl, cls))].append(package)

    def find(self, imported: ImportedPackage) -> Package | None:
        cls = package_class(imported.type, imported.purl)
        candidates = self.by_name.get((cls, package_name_key(imported.name, imported.purl, cls)), [])
        if not candidates and cls not in _CLASSES.values():
            # an unknown type word: try every class by name
            candidates = [p for (_, name), ps in self.by_name.items() for p in ps if name == imported.name.lower()]
        if not candidates:
            return None
        wanted = bare_version(imported.version)
        same = [p for p in candidates if bare_version(p.version) == wanted]
        if len(same) > 1 and imported.locations:
            by_path = [p for p in same if any(loc.path in imported.locations for loc in p.locations)]
            same = by_path or same
        return (same or candidates)[0]


def _bundle_cves(finding: Finding) -> list[str]:
    """The CVEs of a finding named by a DSA/DLA that fixes several: the others report each CVE on its own."""
    if not finding.id.startswith(BUNDLE_PREFIXES):
        return []
    cves = [i for i in finding.aliases if i.startswith("CVE-")]
    return cves if len(cves) > 1 else []


def align(scan: ScanReport, reports: Sequence[ImportedReport], store: VulnStore) -> list[Row]:
    """One row per (package, vulnerability) any side reports, in a stable order."""
    groups = IdGroups()
    every_id: set[str] = set()
    for finding in scan.findings:
        if not _bundle_cves(finding):  # a DSA's CVEs are separate vulnerabilities: each gets its own row
            groups.join(finding.ids)
        every_id.update(finding.ids)
    for report in reports:
        for imported in report.findings:
            groups.join(imported.ids)
            every_id.update(imported.ids)
    for vuln_id, aliases in store.aliases_many(sorted(i for i in every_id if not i.startswith(BUNDLE_PREFIXES))
                                               ).items():
        groups.join([vuln_id, *sorted(aliases)])

    index = PackageIndex(scan.sbom.packages or {f.package: None for f in scan.findings})
    slots: dict[tuple[object, str], dict[str, object]] = {}
    order: list[tuple[object, str]] = []

    def slot(pkey: object, root: str, name: str, version: str, ptype: str, package: Package | None
             ) -> dict[str, object]:
        key = (pkey, root)
        if key not in slots:
            slots[key] = {"name": name, "version": version, "type": ptype, "package": package, "seawall": None,
                          "others": [None] * len(reports), "ids": set()}
            order.append(key)
        return slots[key]

    for finding in scan.findings:
        package = finding.package
        for vuln_id, ids in [(c, {c, finding.id}) for c in _bundle_cves(finding)] or [(finding.id, set(finding.ids))]:
            entry = slot(_pkey(package), groups.find(vuln_id), package.name, package.version, package.type, package)
            entry["ids"].update(ids)  # type: ignore[attr-defined]
            if entry["seawall"] is None:
                entry["seawall"] = finding
    for number, report in enumerate(reports):
        for imported in report.findings:
            found = index.find(imported.package)
            if found is not None:
                pkey: object = _pkey(found)
                name, version, ptype = found.name, found.version, found.type
            else:
                cls = package_class(imported.package.type, imported.package.purl)
                pkey = ("absent", cls, package_name_key(imported.package.name, imported.package.purl, cls),
                        bare_version(imported.package.version))
                name, version, ptype = imported.package.name, imported.package.version, imported.package.type
            entry = slot(pkey, groups.find(imported.id), name, version, ptype, found)
            entry["ids"].update(imported.ids)  # type: ignore[attr-defined]
            others: list[ImportedFinding | None] = entry["others"]  # type: ignore[assignment]
            if others[number] is None:
                others[number] = imported
    rows = []
    for key in order:
        entry = slots[key]
        row_ids: set[str] = entry["ids"]  # type: ignore[assignment]
        seawall: Finding | None = entry["seawall"]  # type: ignore[assignment]
        shown = seawall.id if seawall is not None and not _bundle_cves(seawall) else primary_id(row_ids)
        rows.append(Row(
            vulnerability=shown, ids=tuple(sorted(row_ids)), package_name=str(entry["name"]),
            package_version=str(entry["version"]), package_type=str(entry["type"]),
            package=entry["package"], seawall=seawall, others=tuple(entry["others"]),  # type: ignore[arg-type]
        ))
    rows.sort(key=lambda r: (r.vulnerability, r.package_name, r.package_version))
    return rows


@dataclass(frozen=True)
class InventoryDiff:
    """Package-level differences with a report that lists its whole inventory."""

    report: int
    only_seawall: tuple[Package, ...]  # seawall found them, the report does not list them
    only_report: tuple[ImportedPackage, ...]  # the report lists them, seawall's inventory has no such package
    other_version: tuple[tuple[Package, ImportedPackage], ...]  # same package, another version
    agree: int


def inventory_diff(packages: Sequence[Package], report: ImportedReport, number: int) -> InventoryDiff | None:
    if not report.lists_all_packages:
        return None
    mine = PackageIndex(packages)
    theirs = PackageIndex(Package(name=p.name, version=p.version, type=p.type, found_by=report.tool, purl=p.purl)
                          for p in report.packages)
    only_report, other, agree = [], [], 0
    for imported in dict.fromkeys(report.packages):
        found = mine.find(imported)
        if found is None:
            only_report.append(imported)
        elif bare_version(found.version) != bare_version(imported.version):
            other.append((found, imported))
        else:
            agree += 1
    only_seawall = [p for p in packages
                    if theirs.find(ImportedPackage(name=p.name, version=p.version, type=p.type, purl=p.purl)) is None]
    return InventoryDiff(number, tuple(only_seawall), tuple(only_report), tuple(other), agree)

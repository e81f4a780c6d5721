"""Which packages of an SBOM the DB can judge: a package is covered when the DB holds advisories for its namespace
(`debian:12`, `alpine:3.17`) or ecosystem (`pypi`, `npm`). A language package installed by the OS package manager
is covered iff its distribution is; an OS package from another vendor's repository never is."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from seawall.match.targets import ECOSYSTEMS, OS_TYPES, distro_namespace
from seawall.model.coverage import Coverage, DbCoverage, NamespaceCoverage, UncoveredPackage
from seawall.model.records import evolve
from seawall.model.sbom import SBOM, Distro, Package


def coverage_namespace(package: Package, distro: Distro | None) -> str:
    """The namespace or ecosystem whose advisories would judge `package`."""
    if package.vendor:
        return f"vendor:{package.vendor}"
    if package.type in OS_TYPES or package.owned_by:
        return distro_namespace(distro) or "unknown-distro"
    return ECOSYSTEMS.get(package.type, package.type)


def _reason(namespace: str, distro: Distro | None) -> str:
    if namespace.startswith("vendor:"):
        return (f"{namespace.removeprefix('vendor:')} packages come from a third-party repository, which the "
                "distribution's advisories do not cover")
    if namespace == "unknown-distro":
        return "the distribution was not recognised (no os-release)" if distro is None else \
            f"no advisory namespace for {distro.id} {distro.version_id or ''}".rstrip()
    if namespace in ECOSYSTEMS.values() or ":" in namespace:
        return f"the DB has no advisories for {namespace}"
    return f"no advisory source judges {namespace} packages"


def compute_coverage(sbom: SBOM, db: Iterable[DbCoverage]) -> Coverage:
    by_namespace: dict[str, list[DbCoverage]] = defaultdict(list)
    for row in db:
        if row.advisories:
            by_namespace[row.namespace].append(row)
    counts: dict[str, int] = defaultdict(int)
    uncovered: list[UncoveredPackage] = []
    for package in sbom.packages:
        namespace = coverage_namespace(package, sbom.distro)
        counts[namespace] += 1
        if namespace not in by_namespace:
            uncovered.append(UncoveredPackage(package.name, package.version, package.type, namespace, package.purl,
                                              package.layer_index))
    namespaces = []
    for namespace in sorted(counts):
        rows = by_namespace.get(namespace)
        if not rows:
            namespaces.append(NamespaceCoverage(namespace, counts[namespace], False,
                                                reason=_reason(namespace, sbom.distro)))
            continue
        dates = [r.data_date for r in rows if r.data_date]
        # The verdict is as current as the freshest feed covering it: a live tracker beside an archived list is
        # live. A namespace no feed dates has no date.
        namespaces.append(NamespaceCoverage(
            namespace, counts[namespace], True, feeds=tuple(sorted({r.feed for r in rows})),
            advisories=sum(r.advisories for r in rows), data_date=max(dates) if dates else None,
            fixed_only=all(r.fixed_only for r in rows)))
    return Coverage(tuple(namespaces), tuple(uncovered))


def mark_covered(sbom: SBOM, coverage: Coverage) -> SBOM:
    """The SBOM with each package's `covered` flag set."""
    missing = {(p.type, p.name, p.version, p.namespace) for p in coverage.uncovered}
    packages = tuple(
        evolve(p, covered=(p.type, p.name, p.version, coverage_namespace(p, sbom.distro)) not in missing)
        for p in sbom.packages)
    return dataclasses.replace(sbom, packages=packages)

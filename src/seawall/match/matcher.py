"""SBOM × vulnerability DB → raw matches: every (package, advisory) whose verdict says the package is affected."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from seawall.db.store import VulnStore
from seawall.match.ranges import evaluate
from seawall.match.targets import Target, target_for
from seawall.model.finding import MatchDetail
from seawall.model.sbom import SBOM, Package
from seawall.model.vuln import Advisory, Status
from seawall.versions import InvalidVersion


@dataclass(frozen=True)
class RawMatch:
    package: Package
    advisory: Advisory
    detail: MatchDetail


def raw_matches(sbom: SBOM, store: VulnStore) -> list[RawMatch]:
    targets: list[tuple[Package, Target]] = []
    wanted: dict[str, set[str]] = defaultdict(set)
    for package in sbom.packages:
        target = target_for(package, sbom.distro)
        if target is None:
            continue
        targets.append((package, target))
        wanted[target.namespace].add(target.name)
    found = {namespace: store.advisories_for(namespace, names) for namespace, names in wanted.items()}
    out: list[RawMatch] = []
    # Binary packages built from one source share its verdicts: judge each (source, version) once.
    judged: dict[tuple[str, str, str, str], list[tuple[Advisory, MatchDetail]]] = {}
    for package, target in targets:
        key = (target.matcher, target.namespace, target.name, target.version)
        if key not in judged:
            hits = []
            for advisory in found[target.namespace].get(target.name, ()):
                detail = judge(target, advisory)
                if detail is not None:
                    hits.append((advisory, detail))
            judged[key] = hits
        out.extend(RawMatch(package, advisory, detail) for advisory, detail in judged[key])
    return out


def judge(target: Target, advisory: Advisory) -> MatchDetail | None:
    """The match detail when `advisory` affects the target's version, else None."""
    if advisory.status is Status.NOT_AFFECTED:
        return None
    ranges = advisory.ranges
    unknown = False
    if target.matcher == "distro-source" and not ranges and advisory.fixed_versions:
        verdict_affected, unknown, constraint = _below_fix(target, advisory.fixed_versions)
    else:
        verdict = evaluate(target.scheme, target.version, ranges, advisory.versions)
        verdict_affected, unknown, constraint = verdict.affected, verdict.unknown, verdict.constraint
        if target.matcher == "distro-source" and not ranges and not advisory.versions:
            constraint = "no fixed version in this release"
    if not verdict_affected:
        return None
    return MatchDetail(
        matcher=target.matcher,
        feed=advisory.feed,
        advisory_id=advisory.id,
        namespace=target.namespace,
        searched_name=target.name,
        installed_version=target.version,
        constraint=constraint,
        status=advisory.status,
        version_unknown=unknown,
    )


def _below_fix(target: Target, fixed: Iterable[str]) -> tuple[bool, bool, str]:
    fixes = list(fixed)
    try:
        lowest = min(fixes, key=target.scheme.key)
        return target.scheme.compare(target.version, lowest) < 0, False, f"< {lowest}"
    except InvalidVersion:
        return True, True, f"< {', '.join(fixes)} (versions not comparable)"

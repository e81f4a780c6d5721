"""Raw matches → findings: one per (vulnerability, package), aliases merged, enriched with scores and feeds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from seawall.db.store import VulnStore
from seawall.match.matcher import RawMatch
from seawall.match.severity import rate, worst
from seawall.model.ecosystem import advisory_url
from seawall.model.finding import Finding, MatchDetail
from seawall.model.records import frozen
from seawall.model.sbom import Package
from seawall.model.vuln import CVSS, Severity, Status, VulnerabilityMeta

# Ids that bundle several vulnerabilities (a DSA fixes many CVEs): attached to findings, never merging them.
BUNDLE_PREFIXES = ("DSA-", "DLA-", "DTSA-", "USN-", "RHSA-", "RLSA-", "ALSA-", "ALAS", "ELSA-", "SUSE-SU-",
                   "openSUSE-SU-")
_ID_RANK = ("CVE-", "GHSA-", "GO-", "PYSEC-", "RUSTSEC-", "OSV-")
# Which verdict wins when feeds disagree about the same vulnerability in the same package.
_STATUS_RANK = [Status.FIXED, Status.AFFECTED, Status.UNDETERMINED, Status.FIX_DEFERRED, Status.MINOR,
                Status.WILL_NOT_FIX, Status.NEGLIGIBLE, Status.UNSUPPORTED]
_STATUS_ORDER = {status: rank for rank, status in enumerate(_STATUS_RANK)}
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(
    [Severity.UNKNOWN, Severity.NEGLIGIBLE, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL])}


def primary_id(ids: Iterable[str]) -> str:
    def rank(vuln_id: str) -> tuple[int, str]:
        for index, prefix in enumerate(_ID_RANK):
            if vuln_id.startswith(prefix):
                return index, vuln_id
        if vuln_id.startswith(BUNDLE_PREFIXES):
            return len(_ID_RANK) + 1, vuln_id
        return len(_ID_RANK), vuln_id

    return min(ids, key=rank)


class IdGroups:
    """Union-find over vulnerability ids (shared by the matcher and the report comparison)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def join(self, ids: Iterable[str]) -> None:
        """Put ids in one group; bundle advisories (a DSA fixing several CVEs) never join two vulnerabilities."""
        linking = [i for i in ids if not i.startswith(BUNDLE_PREFIXES)]
        for other in linking[1:]:
            self.union(linking[0], other)


def build_findings(matches: Sequence[RawMatch], store: VulnStore) -> list[Finding]:
    alias_cache: dict[str, set[str]] = store.aliases_many({m.advisory.id for m in matches})

    def aliases(vuln_id: str) -> set[str]:
        if vuln_id not in alias_cache:
            alias_cache.update(store.aliases_many([vuln_id]))
        return alias_cache[vuln_id]

    by_package: dict[tuple[str, str, str, str], list[RawMatch]] = defaultdict(list)
    for match in matches:
        p = match.package
        by_package[(p.type, p.name, p.version, p.locations[0].path if p.locations else "")].append(match)

    every_id = set(alias_cache) | {a for ids in alias_cache.values() for a in ids}
    # Every id's own aliases decide whether the DB knows it at all: read only those not read above.
    every_alias = alias_cache | store.aliases_many(every_id - alias_cache.keys())
    found_meta = store.vulnerabilities(every_id, aliases=every_alias)
    meta_cache: dict[str, VulnerabilityMeta | None] = {i: found_meta.get(i) for i in every_id}
    findings: list[Finding] = []
    for group in by_package.values():
        ids = {m.advisory.id for m in group}
        bundles: dict[str, set[str]] = defaultdict(set)  # member id → bundle ids mentioning it
        if not any(alias_cache.get(i) for i in ids):
            # No id of this package names another: one finding per id, nothing to merge.
            merged: dict[str, list[RawMatch]] = defaultdict(list)
            for match in group:
                merged[match.advisory.id].append(match)
        else:
            merged = _merge(group, ids, aliases, bundles)
        for members in merged.values():
            findings.append(_finding(members, aliases, bundles, store, meta_cache))
    findings.sort(key=lambda f: (f.package.type, f.package.name, f.package.version, f.id))
    return findings


def _merge(group: list[RawMatch], ids: set[str], aliases: Callable[[str], set[str]],
           bundles: dict[str, set[str]]) -> dict[str, list[RawMatch]]:
    """One package's matches grouped by the vulnerability they name; fills `bundles` on the way."""
    groups = IdGroups()
    for vuln_id in ids:
        groups.find(vuln_id)
        if vuln_id.startswith(BUNDLE_PREFIXES):
            continue
        for alias in aliases(vuln_id):
            if alias.startswith(BUNDLE_PREFIXES):
                bundles[vuln_id].add(alias)
            elif alias in ids:
                groups.union(vuln_id, alias)
    # A bundle id naming one matched vulnerability merges into its finding; one naming several is attached to each
    # of them (its match explains each), so no vulnerability is reported twice for one package.
    shared: dict[str, list[str]] = {}
    for vuln_id in [i for i in ids if i.startswith(BUNDLE_PREFIXES)]:
        covered = [i for i in ids if not i.startswith(BUNDLE_PREFIXES) and vuln_id in bundles.get(i, set())]
        covered = covered or [i for i in ids if i in aliases(vuln_id) and not i.startswith(BUNDLE_PREFIXES)]
        if len(covered) == 1:
            groups.union(covered[0], vuln_id)
        elif covered:
            shared[vuln_id] = covered
    merged: dict[str, list[RawMatch]] = defaultdict(list)
    for match in group:
        if match.advisory.id in shared:
            for member in shared[match.advisory.id]:
                merged[groups.find(member)].append(match)
        else:
            merged[groups.find(match.advisory.id)].append(match)
    return merged


def _finding(members: list[RawMatch], aliases: Callable[[str], set[str]], bundles: dict[str, set[str]],
             store: VulnStore, meta_cache: dict[str, VulnerabilityMeta | None]) -> Finding:
    package: Package = members[0].package
    if len(members) == 1:
        advisory = members[0].advisory
        matched_ids = {advisory.id}
        status = advisory.status
        details: tuple[MatchDetail, ...] = (members[0].detail,)
    else:
        matched_ids = {m.advisory.id for m in members}
        status = min((m.advisory.status for m in members), key=_STATUS_ORDER.__getitem__)
        details = tuple(sorted({m.detail for m in members}, key=lambda d: (d.feed, d.advisory_id)))
    all_ids = set(matched_ids)
    bundle_cves: list[str] = []
    for vuln_id in matched_ids:
        if not vuln_id.startswith(BUNDLE_PREFIXES):
            all_ids |= aliases(vuln_id)
            all_ids |= bundles.get(vuln_id, set())
    if all(i.startswith(BUNDLE_PREFIXES) for i in matched_ids):
        # Only a DSA/DLA matched: it carries the CVEs it fixes, so every CVE-keyed feature finds it.
        for vuln_id in matched_ids:  # its CVEs and their aliases; other bundles naming the same CVEs stay out
            all_ids |= {a for a in aliases(vuln_id) if not a.startswith(BUNDLE_PREFIXES)}
        bundle_cves = sorted(i for i in all_ids if i.startswith("CVE-"))
    # Name the finding by its CVE when the aliases point at exactly one (a GHSA-only match still says CVE-…).
    if len(all_ids) == 1:
        main = next(iter(all_ids))
        meta = _meta(store, main, meta_cache)
        metas = [meta] if meta else []
    else:
        cves = {i for i in all_ids if i.startswith("CVE-")}
        main = primary_id(matched_ids | cves if len(cves) == 1 else matched_ids)
        metas = [meta for vuln_id in sorted(all_ids | {main}) if (meta := _meta(store, vuln_id, meta_cache))]
    fixed: tuple[str, ...] = ()
    if status is Status.FIXED:
        fixed = tuple(sorted({v for m in members for v in m.advisory.fixed_versions if v and v != "0"}))
    vendor = _vendor_severity(members)
    ghsa = worst(m.advisory.severity for m in members
                 if m.advisory.severity_source == "ghsa" and m.advisory.severity not in (None, Severity.UNKNOWN))
    rating = rate(vendor, ghsa, metas, bundle_cves)
    cvss = rating.cvss or best_cvss(metas)
    first = next((m for m in metas if m.id == main), metas[0] if metas else None)
    if len(metas) == 1:
        kev, epss = first.kev, first.epss  # type: ignore[union-attr]
        references = first.references[:20]  # type: ignore[union-attr]
    else:
        kev = next((m.kev for m in metas if m.kev), None)
        epss = max((m.epss for m in metas if m.epss), key=lambda e: e.score, default=None)
        references = tuple(dict.fromkeys(r for m in metas for r in m.references))[:20]
    # Built field by field (`frozen`): a scan makes one per finding, tens of thousands of them.
    return frozen(Finding, {
        "id": main,
        "aliases": tuple(sorted(all_ids - {main})),
        "package": package,
        "status": status,
        "severity": rating.severity,
        "severity_source": rating.source,
        "severity_id": rating.vuln_id,
        "fixed_versions": fixed,
        "vendor_severity": vendor[0] if vendor else ghsa,
        "vendor_severity_source": vendor[1] if vendor else "ghsa" if ghsa else None,
        "cvss": cvss,
        "kev": kev,
        "epss": epss,
        "title": first.summary if first else None,
        "description": first.description if first else None,
        "published": first.published if first else None,
        "references": references,
        "details": details,
        "version_unknown": any(d.version_unknown for d in details),
        # Flagged only when no advisory of the finding decides it: one readable range that matches settles it.
        "range_unparseable": bool(details) and all(d.range_unparseable for d in details),
        "in_base_image": None,
        "suppressions": (),
        "data_source": data_source(main, members[0]),
    })


def _meta(store: VulnStore, vuln_id: str, cache: dict[str, VulnerabilityMeta | None]) -> VulnerabilityMeta | None:
    if vuln_id not in cache:
        cache[vuln_id] = store.vulnerability(vuln_id)
    return cache[vuln_id]


def _vendor_severity(members: list[RawMatch]) -> tuple[Severity, str] | None:
    """The distribution's own rating (GHSA's is not a distribution's: it comes after OSV's CVSS vectors)."""
    rated = [(m.advisory.severity, m.advisory.severity_source or m.advisory.feed) for m in members
             if m.advisory.severity and m.advisory.severity is not Severity.UNKNOWN
             and m.advisory.severity_source != "ghsa"]
    if not rated:
        return None
    if len(rated) == 1:
        return rated[0]  # type: ignore[return-value]
    return max(rated, key=lambda pair: _SEVERITY_RANK[pair[0]])  # type: ignore[index]


def best_cvss(metas: Sequence[VulnerabilityMeta]) -> CVSS | None:
    """NVD's own v3.x score first, then any v3.x, then v4, then v2."""
    scores = [c for m in metas for c in m.cvss if c.score is not None]
    if not scores:
        return None

    def rank(c: CVSS) -> tuple[int, int]:
        family = 0 if c.version.startswith("3") else 1 if c.version.startswith("4") else 2
        nvd_own = 0 if c.source.startswith("nvd") and c.primary else 1
        return (family, nvd_own)

    return min(scores, key=rank)


def data_source(vuln_id: str, match: RawMatch) -> str:
    return advisory_url(match.detail.namespace, vuln_id) or f"https://osv.dev/vulnerability/{match.advisory.id}"

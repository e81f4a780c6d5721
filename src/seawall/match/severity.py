"""Which rating a finding reports, and where it came from. The order, first that has a rating wins:

1. the distribution's own rating of the advisory that matched (Debian urgency, Ubuntu priority, Alpine, vendor feeds);
2. a CVSS vector in the OSV record (`severity[]`), scored with the `cvss` library;
3. the GitHub advisory's `database_specific.severity` (GHSA);
4. NVD's CVSS: v4.0, then v3.1, v3.0, v2.0; within a version NVD's own (Primary) score before a CNA's (Secondary).

A finding named by a bundle advisory (a DSA or DLA fixing several CVEs) has no rating of its own beyond the
distribution's: steps 2-4 take the highest rating among its CVEs, and `severity_id` says which CVE that was.

`severity_source` says which step decided and, for CVSS, whose score and which version: `debian`, `ubuntu`, `ghsa`,
`cvss:osv:3.1`, `cvss:nvd@nist.gov:3.1`, `cvss:secalert@redhat.com:4.0`; `none` when nothing rates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from seawall.model.vuln import CVSS, Severity, VulnerabilityMeta, split_source

__all__ = ["Rating", "cvss_source", "ordered_cvss", "rate", "split_source", "worst"]

OSV_SCORER = "osv"  # the `source` the OSV parser gives vectors from a record's severity[]
_VERSIONS = ("4.0", "3.1", "3.0", "2.0")
_RANK = {s: i for i, s in enumerate(
    (Severity.UNKNOWN, Severity.NEGLIGIBLE, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL))}


@dataclass(frozen=True)
class Rating:
    """The rating a finding reports and the step that decided it (`severity_source`), with the CVSS score that did."""

    severity: Severity
    source: str  # see the module docstring
    cvss: CVSS | None = None  # the score that decided, when a CVSS score did
    vuln_id: str | None = None  # the id whose rating this is, when not the finding's own (a DSA's worst CVE)


UNRATED = Rating(Severity.UNKNOWN, "none")


def cvss_source(cvss: CVSS) -> str:
    return f"cvss:{cvss.source}:{cvss.version}"


def _version_rank(version: str) -> int:
    return _VERSIONS.index(version) if version in _VERSIONS else len(_VERSIONS)


def ordered_cvss(scores: Iterable[CVSS]) -> list[CVSS]:
    """Scores with a base score, in the order above: by version, NVD's own before a CNA's, higher score first."""
    return sorted((c for c in scores if c.score is not None),
                  key=lambda c: (_version_rank(c.version), not c.primary, -(c.score or 0.0), c.source))


def _from_scores(metas: Sequence[VulnerabilityMeta], ghsa: Severity | None) -> Rating:
    scores = [c for m in metas for c in m.cvss]
    osv = ordered_cvss(c for c in scores if c.source == OSV_SCORER)
    if osv:
        return Rating(osv[0].rating, cvss_source(osv[0]), osv[0])
    if ghsa is not None:
        return Rating(ghsa, "ghsa")
    nvd = ordered_cvss(c for c in scores if c.source != OSV_SCORER)
    if nvd:
        return Rating(nvd[0].rating, cvss_source(nvd[0]), nvd[0])
    return UNRATED


def rate(vendor: tuple[Severity, str] | None, ghsa: Severity | None, metas: Sequence[VulnerabilityMeta],
         bundle_cves: Sequence[str] = ()) -> Rating:
    """The finding's rating. `bundle_cves`: the CVEs of a finding named by a bundle advisory, each rated alone."""
    if vendor is not None:
        return Rating(vendor[0], vendor[1])
    if len(bundle_cves) > 1:
        by_id = {m.id: m for m in metas}
        best = UNRATED
        for cve in bundle_cves:
            meta = by_id.get(cve)
            rating = _from_scores([meta], None) if meta else UNRATED
            if _RANK[rating.severity] > _RANK[best.severity]:
                best = Rating(rating.severity, rating.source, rating.cvss, cve)
        if best is not UNRATED:
            return best
    return _from_scores(metas, ghsa)


def worst(ratings: Iterable[Severity]) -> Severity | None:
    return max(ratings, key=_RANK.__getitem__, default=None)

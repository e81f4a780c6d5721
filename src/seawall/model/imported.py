"""Another scanner's report, read as it states things: the tool's words are kept next to seawall's normalised ones.

Every importer (seawall.reports.*) yields an `ImportedReport`; `seawall compare` aligns its findings with seawall's.
Fields a format does not state stay None/empty: a missing fact is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from seawall.model.vuln import Severity


@dataclass(frozen=True)
class ImportedPackage:
    """A package as another scanner's report names it, in the tool's own words."""

    name: str
    version: str
    type: str = ""  # as the tool names it (deb, debian, python-pkg, jar, npm, …); "" when not stated
    purl: str | None = None
    source_name: str | None = None  # the source package, when the report states it
    source_version: str | None = None
    locations: tuple[str, ...] = ()  # paths inside the image
    layer: str | None = None  # the layer digest/diff id the tool attributes the package to


@dataclass(frozen=True)
class ImportedCVSS:
    """A CVSS score as another scanner's report lists it: whose, which version, vector and score."""

    source: str  # whose score: nvd, redhat, ghsa, a CNA…
    version: str  # 2.0 | 3.0 | 3.1 | 4.0 | "" when the tool does not say
    vector: str | None
    score: float | None


@dataclass(frozen=True)
class ImportedMatch:
    """How the tool says it matched (Grype's matchDetails; most tools state nothing)."""

    kind: str  # exact-direct-match | exact-indirect-match | cpe-match | …, as stated
    searched_name: str | None = None
    searched_version: str | None = None
    namespace: str | None = None
    constraint: str | None = None
    cpes: tuple[str, ...] = ()

    @property
    def by_cpe(self) -> bool:
        return "cpe" in self.kind.lower() or bool(self.cpes and not self.searched_name)


@dataclass(frozen=True)
class ImportedFinding:
    """A finding of another scanner's report: its ids, package, rating, status and fix as the tool states them."""

    id: str
    package: ImportedPackage
    aliases: tuple[str, ...] = ()  # the report's own related ids (Grype relatedVulnerabilities, …)
    severity: Severity = Severity.UNKNOWN  # normalised from `severity_stated`
    severity_stated: str | None = None  # exactly as written: "HIGH", "Negligible", "7.5"
    severity_source: str | None = None  # whose rating the tool reported (Trivy SeveritySource), as stated
    vendor_severity: tuple[tuple[str, Severity], ...] = ()  # every source's rating the report lists
    cvss: tuple[ImportedCVSS, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    status: str | None = None  # as stated: fixed, affected, will_not_fix, not-fixed, wont-fix…
    namespace: str | None = None  # the tool's feed namespace (Grype: debian:distro:debian:12, nvd:cpe)
    data_source: str | None = None
    matches: tuple[ImportedMatch, ...] = ()
    published: str | None = None
    modified: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    @property
    def by_cpe(self) -> bool:
        """The tool says it matched by CPE (product name), not by package."""
        if self.matches:
            return all(m.by_cpe for m in self.matches)
        return bool(self.namespace and "cpe" in self.namespace.lower())


@dataclass(frozen=True)
class ImportedReport:
    """Another scanner's report as read: which tool and DB, which image, its packages and findings."""

    path: str  # the file it was read from
    format: str  # trivy-json | grype-json | sarif | cyclonedx
    tool: str  # Trivy, grype, Docker Scout, …, as the report names itself
    tool_version: str | None = None
    db_built: str | None = None  # the vulnerability DB's build date, when the report states it
    created_at: str | None = None  # when the report was made
    artifact: str | None = None  # the image the report is about, as it names it
    distro: str | None = None  # e.g. "debian 12.5"
    packages: tuple[ImportedPackage, ...] = ()  # every package the report lists (not only vulnerable ones)
    lists_all_packages: bool = False  # True when `packages` is the tool's whole inventory
    findings: tuple[ImportedFinding, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.tool} {self.tool_version}" if self.tool_version else self.tool

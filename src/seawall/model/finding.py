"""What a scan concludes: one finding per (vulnerability, package), each explaining how it was made."""

from __future__ import annotations

from dataclasses import dataclass

from seawall.model.coverage import Coverage
from seawall.model.extra import ConfigFinding, Minimality, SecretFinding, VexNote
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Package
from seawall.model.vuln import CVSS, EpssScore, FeedProvenance, KevEntry, Severity, Status


@dataclass(frozen=True)
class MatchDetail:
    """How one advisory matched: what was searched, what was compared with what, and where it came from."""

    matcher: str  # distro-source | ecosystem
    feed: str
    advisory_id: str
    namespace: str
    searched_name: str
    installed_version: str
    constraint: str  # what the version was compared with: "< 3.0.11-1~deb12u2", "introduced 0, fixed 2.20"
    status: Status
    version_unknown: bool = False  # the versions could not be compared; treated as affected
    range_unparseable: bool = False  # a bound of the advisory's range does not parse; treated as affected


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not count: an allowlist entry or a VEX statement. The finding itself stays."""

    kind: str  # allowlist | vex
    rule: str  # the entry's id/locator: file:line or the VEX statement id
    reason: str  # justification and statement
    source: str = ""  # the file it came from
    owner: str | None = None
    expires: str | None = None
    justification: str | None = None  # OpenVEX vocabulary
    vex_status: str | None = None  # not_affected | fixed | affected | under_investigation


@dataclass(frozen=True)
class Finding:
    """One vulnerability in one package: the vendor's verdict as stated, its rating and fix, and how it was matched."""

    id: str  # the primary id (a CVE where there is one)
    aliases: tuple[str, ...]  # every other id for the same vulnerability (GHSA, PYSEC, DSA, TEMP…)
    package: Package
    status: Status  # the vendor's verdict, kept as stated
    severity: Severity
    # which rating `severity` is (match/severity.py): debian | ubuntu | alpine | ghsa | cvss:<scorer>:<version> | none
    severity_source: str
    fixed_versions: tuple[str, ...] = ()
    vendor_severity: Severity | None = None
    cvss: CVSS | None = None  # the score reported (NVD primary where present)
    kev: KevEntry | None = None
    epss: EpssScore | None = None
    title: str | None = None
    description: str | None = None
    published: str | None = None
    references: tuple[str, ...] = ()
    details: tuple[MatchDetail, ...] = ()
    version_unknown: bool = False  # a version did not parse: affected until shown otherwise
    range_unparseable: bool = False  # an advisory bound did not parse: affected until shown otherwise
    in_base_image: bool | None = None  # the introducing layer belongs to the base image (None: unknown)
    suppressions: tuple[Suppression, ...] = ()
    data_source: str | None = None  # the vendor page to read: Debian tracker URL, Alpine secdb, OSV record
    vendor_severity_source: str | None = None  # whose `vendor_severity` it is: debian | ubuntu | alpine | ghsa | …
    severity_id: str | None = None  # the id whose rating `severity` is when not the finding's own (a DSA's worst CVE)

    @property
    def fix_available(self) -> bool:
        return bool(self.fixed_versions) and self.status is Status.FIXED

    @property
    def suppressed(self) -> bool:
        return bool(self.suppressions)

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.id, self.package.type, self.package.name, self.package.version)


@dataclass(frozen=True)
class ScanReport:
    """Everything `seawall scan` knows: the inventory, the findings, and the DB they were judged by."""

    sbom: SBOM
    findings: tuple[Finding, ...]
    scanned_at: str
    db_built_at: str | None = None
    db_schema: int | None = None
    feeds: tuple[FeedProvenance, ...] = ()
    base_image: str | None = None  # what decided `in_base_image`
    base_layers: int | None = None
    coverage: Coverage | None = None  # what the DB could judge; None: no vulnerability matching was done
    # Which scanners ran ("vuln", "secret", "config"); None: not said, which reads as a vulnerability scan (reports
    # written before the other scanners existed).
    scanners: tuple[str, ...] | None = None
    secrets: tuple[SecretFinding, ...] | None = None  # None: secrets were not looked for
    config: tuple[ConfigFinding, ...] | None = None  # None: configuration was not checked
    minimality: Minimality | None = None
    vex_notes: tuple[VexNote, ...] = ()  # affected / under_investigation VEX statements that matched a finding

    @property
    def vuln_scanned(self) -> bool:
        return "vuln" in (self.scanners if self.scanners is not None else ("vuln",))

    @property
    def image(self) -> Image:
        return self.sbom.image

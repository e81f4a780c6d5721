"""Vulnerability data as the feeds state it: advisories per (namespace, package) and metadata per vulnerability id.

An `Advisory` keeps the distribution's own verdict (`Status`) instead of flattening it to affected / not affected,
so a finding can say "will not fix" or "negligible" and policy can treat those differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    """The vendor's verdict for one vulnerability in one package of one namespace.

    How the matcher reads each:
      FIXED          affected in the ranges / before `fixed_versions`; a fix exists
      AFFECTED       affected in the ranges / `versions` (every version when there are none); no fix yet
      NOT_AFFECTED   never affected (Debian fixed_version "0", Alpine secfix "0"): no finding
      UNDETERMINED   the vendor has not decided yet; affected until told otherwise
      MINOR          Debian `nodsa` with an empty reason: affected, too minor for an advisory
      WILL_NOT_FIX   Debian `nodsa` reason "ignored": affected, and will stay so in this release
      FIX_DEFERRED   Debian `nodsa` reason "postponed": affected, fix planned for a later point release
      NEGLIGIBLE     Debian urgency "unimportant" on an unfixed issue: affected, not worth a fix
      UNSUPPORTED    Debian urgency "end-of-life": the package is out of security support in this release
    """

    FIXED = "fixed"
    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"
    UNDETERMINED = "undetermined"
    MINOR = "minor"
    WILL_NOT_FIX = "will-not-fix"
    FIX_DEFERRED = "fix-deferred"
    NEGLIGIBLE = "negligible"
    UNSUPPORTED = "unsupported"

    @property
    def is_affected(self) -> bool:
        """True when a package inside the advisory's ranges is vulnerable (every state but not-affected)."""
        return self is not Status.NOT_AFFECTED


class Severity(StrEnum):
    """A vendor's rating, normalised (Debian urgency, Ubuntu priority, GHSA severity, CVSS rating)."""

    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


class RangeType(StrEnum):
    ECOSYSTEM = "ECOSYSTEM"  # compare with the namespace's own version scheme
    SEMVER = "SEMVER"
    DPKG = "dpkg"
    APK = "apk"
    RPM = "rpm"


class RangeEvent(NamedTuple):
    kind: str  # introduced | fixed | last_affected | limit  (OSV semantics)
    version: str


@dataclass(frozen=True)
class AffectedRange:
    """OSV-style range: sorted events; a version is affected from an `introduced` up to (not incl.) a `fixed`/`limit`,
    or up to and including a `last_affected`. `introduced "0"` means from the first version."""

    type: str  # a RangeType value
    events: tuple[RangeEvent, ...]

    @property
    def fixed(self) -> tuple[str, ...]:
        return tuple(e.version for e in self.events if e.kind == "fixed")


@dataclass(frozen=True)
class Advisory:
    """One vulnerability's verdict for one package in one namespace, as one feed states it."""

    id: str  # CVE-2024-1234, GHSA-…, PYSEC-…, DSA-5380-1, TEMP-…, ALPINE-…
    namespace: str  # debian:12, alpine:3.19, ubuntu:22.04, pypi, npm, go, maven, crates.io, …
    package: str  # source package for distributions, normalised name for ecosystems
    status: Status
    feed: str  # the feed that stated it
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()  # explicit affected versions (OSV `versions`)
    fixed_versions: tuple[str, ...] = ()
    severity: Severity | None = None  # the vendor's rating
    severity_source: str | None = None  # debian | ubuntu | alpine | ghsa | osv | …
    severity_provisional: bool = False  # Debian urgency with a `*`: not yet assigned by the security team
    # Debian: {"bookworm": "2.36-9+deb12u4", "bookworm-security": …}, the versions each suite currently ships
    repositories: tuple[tuple[str, str], ...] = ()
    vendor_data: tuple[tuple[str, str], ...] = ()  # scope, debianbug, nodsa note, advisory title…, as sorted pairs

    def vendor(self, key: str) -> str | None:
        return next((v for k, v in self.vendor_data if k == key), None)


@dataclass(frozen=True)
class CVSS:
    """A CVSS score of a vulnerability as one scorer gave it: its version, vector and base score."""

    source: str  # who scored it: nvd@nist.gov, a CNA's address, ghsa, osv…
    version: str  # 2.0 | 3.0 | 3.1 | 4.0
    vector: str
    score: float | None
    primary: bool = True  # NVD: Primary (NVD's own) vs Secondary (CNA) metric

    @property
    def rating(self) -> Severity:
        if self.version.startswith("2") and self.score is not None:
            return min(rating_of(self.score), Severity.HIGH, key=_V2_ORDER.index)  # CVSS v2 has no critical
        return rating_of(self.score)


@dataclass(frozen=True)
class KevEntry:
    """CISA Known Exploited Vulnerabilities catalogue entry."""

    date_added: str
    known_ransomware: bool = False
    due_date: str | None = None
    vendor_project: str | None = None
    product: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class EpssScore:
    """FIRST's EPSS score of a vulnerability on one day: how likely it is to be exploited."""

    score: float  # probability of exploitation in the next 30 days
    percentile: float
    date: str | None = None


@dataclass(frozen=True)
class VulnerabilityMeta:
    """What is known about a vulnerability id regardless of package; several feeds may describe the same id."""

    id: str
    feed: str = ""
    aliases: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    cvss: tuple[CVSS, ...] = ()
    published: str | None = None
    modified: str | None = None
    references: tuple[str, ...] = ()
    kev: KevEntry | None = None
    epss: EpssScore | None = None


@dataclass(frozen=True)
class Skipped:
    """A record a feed could not read; counted with its reason, never fatal for the feed."""

    reason: str
    record: str = ""  # the id, file or line it was
    whole: bool = True  # False: only a part was left out (a GIT range, an unsupported ecosystem), the rest loaded


@dataclass(frozen=True)
class Flagged:
    """A record kept although part of it cannot be evaluated (a bound that does not parse, an unknown range type):
    packages it names get findings flagged `range unparseable` instead of a silent "not affected"."""

    reason: str
    record: str = ""


@dataclass(frozen=True)
class FeedProvenance:
    """One row per feed in the DB: where its data came from and how much of it was usable."""

    name: str
    feed_version: int
    data_date: str | None  # the feed's own date (EPSS score_date, KEV dateReleased, newest modified…)
    fetched_at: str | None
    source: str
    digest: str | None  # sha256 over the downloaded inputs
    records: int
    skipped: int
    skip_reasons: tuple[tuple[str, int], ...] = ()
    error: str | None = None  # the last update of this feed failed; its previous data is kept
    flagged: int = 0  # records kept with a part that cannot be evaluated (their matches are flagged)
    flag_reasons: tuple[tuple[str, int], ...] = ()


_V2_ORDER = (Severity.NEGLIGIBLE, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


def rating_of(score: float | None) -> Severity:
    """CVSS v3/v4 qualitative rating of a base score."""
    if score is None:
        return Severity.UNKNOWN
    if score == 0:
        return Severity.NEGLIGIBLE
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL


def split_source(severity_source: str) -> tuple[str, str | None]:
    """A finding's `severity_source` → (whose rating, CVSS version): `cvss:nvd@nist.gov:3.1` → (`nvd@nist.gov`,
    `3.1`); `debian` → (`debian`, None). Also reads the version-less `cvss:<scorer>`."""
    if not severity_source.startswith("cvss:"):
        return severity_source, None
    scorer, _, version = severity_source[len("cvss:"):].rpartition(":")
    if not scorer or not version[:1].isdigit():
        return severity_source[len("cvss:"):], None
    return scorer, version

"""What a fleet run keeps per image: the facts of one scan as plain values (picklable, storable, reportable)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from seawall.model.coverage import Coverage
from seawall.model.finding import Finding, ScanReport
from seawall.model.image import Image
from seawall.model.sbom import SBOM
from seawall.model.vuln import Severity

SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")
MAX_INVENTORY_BYTES = 256 * 1024 * 1024


@dataclass
class FindingRow:
    """One finding of one image as the fleet store keeps it: vulnerability, package, severity, state, fix, KEV, EPSS."""

    vuln_id: str
    package: str
    version: str
    pkg_type: str
    severity: str
    state: str
    fixed_version: str | None = None
    kev: bool = False
    epss: float | None = None
    aliases: str | None = None  # the finding's other ids, space-separated: a DSA's CVEs, a CVE's GHSA

    @property
    def vulnerabilities(self) -> tuple[str, ...]:
        """The ids people count it by: its CVEs when it has any (a DSA names several), else its own id."""
        ids = (self.vuln_id, *(self.aliases or "").split())
        return tuple(sorted({i for i in ids if i.startswith("CVE-")})) or (self.vuln_id,)


@dataclass
class ImageResult:
    """All a fleet run keeps of one image: identity, distribution, counts, coverage, verdict or error, findings."""

    run_id: str
    key: str  # repository:tag
    repository: str
    tag: str
    reference: str
    variant: str = "default"
    digest: str | None = None
    platform: str | None = None
    created: str | None = None
    hub_last_updated: str | None = None
    pull_count: int | None = None
    distro: str | None = None
    distro_version: str | None = None
    distro_eol: bool | None = None
    eol_date: str | None = None
    size: int | None = None  # compressed: the layers as pulled
    size_uncompressed: int | None = None  # unpacked, when the source says (repo-info's virtual size)
    package_count: int | None = None
    severities: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    fixable: int = 0
    fixable_critical_high: int = 0
    kev: int = 0
    max_epss: float | None = None
    secrets: int | None = None
    misconfigs: int | None = None
    verdict: str | None = None
    duration: float | None = None
    error: str | None = None
    reused_from: str | None = None
    alias_of: str | None = None  # key of the tag of this run that was scanned for the same digest
    scanned_at: str | None = None
    db_built_at: str | None = None
    match_no: int = 0
    covered_packages: int | None = None  # None: stored before coverage was recorded (unknown, never "covered")
    uncovered_packages: int | None = None
    uncovered_namespaces: list[str] = field(default_factory=list)
    db_identity: str | None = None  # the DB the findings were matched against (`VulnStore.identity`)
    inventory: bytes | None = field(default=None, repr=False)
    findings: list[FindingRow] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return sum(self.severities.values())

    @property
    def fully_covered(self) -> bool:
        """Every package was judged by the DB; False when unknown."""
        return self.error is None and self.uncovered_packages == 0 and self.covered_packages is not None


def finding_row(finding: Finding) -> FindingRow:
    return FindingRow(
        vuln_id=finding.id, package=finding.package.name, version=finding.package.version,
        pkg_type=finding.package.type, severity=finding.severity.value, state=finding.status.value,
        fixed_version=finding.fixed_versions[0] if finding.fixed_versions else None, kev=finding.kev is not None,
        epss=finding.epss.score if finding.epss is not None else None,
        aliases=" ".join(finding.aliases) or None)


def apply_findings(result: ImageResult, findings: list[Finding]) -> None:
    """Set `result`'s counts and rows from `findings` (a scan's or a re-match's)."""
    counted = [f for f in findings if not f.suppressed]
    result.findings = [finding_row(f) for f in counted]
    result.severities = {sev: n for sev, n in Counter(f.severity.value for f in counted).items()}
    result.states = dict(Counter(f.status.value for f in counted))
    result.fixable = sum(1 for f in counted if f.fix_available)
    result.fixable_critical_high = sum(1 for f in counted if f.fix_available
                                       and f.severity in (Severity.CRITICAL, Severity.HIGH))
    result.kev = sum(1 for f in counted if f.kev is not None)
    scores = [f.epss.score for f in counted if f.epss is not None]
    result.max_epss = max(scores) if scores else None


def apply_coverage(result: ImageResult, coverage: Coverage | None) -> None:
    if coverage is None:
        return
    result.covered_packages = coverage.covered_packages
    result.uncovered_packages = coverage.uncovered_packages
    result.uncovered_namespaces = list(coverage.uncovered_namespaces)


def apply_sbom(result: ImageResult, sbom: SBOM) -> None:
    image = sbom.image
    result.digest = image.digest or result.digest
    result.platform = str(image.platform)
    result.created = image.created or result.created
    result.size = image.size or result.size
    result.package_count = len(sbom.packages)
    if sbom.distro is not None:
        result.distro = sbom.distro.id
        result.distro_version = sbom.distro.version_id
        result.distro_eol = sbom.distro.eol
        result.eol_date = sbom.distro.eol_date
    result.inventory = pack_inventory(sbom)


def summarize(report: ScanReport, base: ImageResult) -> ImageResult:
    """`base` (identity fields set) filled with the facts of `report`."""
    apply_sbom(base, report.sbom)
    apply_findings(base, list(report.findings))
    apply_coverage(base, report.coverage)
    base.secrets = len(report.secrets) if report.secrets is not None else None
    base.misconfigs = len(report.config) if report.config is not None else None
    base.scanned_at = report.scanned_at
    base.db_built_at = report.db_built_at
    return base


def pack_inventory(sbom: SBOM) -> bytes:
    from seawall.output.sbom_json import render_json

    # Compact: only seawall reads it back, and json's C encoder does not indent.
    return gzip.compress(render_json(sbom, indent=None).encode(), compresslevel=6, mtime=0)


def unpack_inventory(data: bytes, origin: str) -> SBOM:
    from seawall.errors import InputError
    from seawall.output.sbom_json import parse_json

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            raw = handle.read(MAX_INVENTORY_BYTES + 1)
        if len(raw) > MAX_INVENTORY_BYTES:
            raise InputError(f"{origin}: stored inventory is larger than {MAX_INVENTORY_BYTES} bytes")
        document: Any = json.loads(raw)
    except (OSError, ValueError) as err:
        raise InputError(f"{origin}: stored inventory is unreadable ({err})",
                         remedy="scanning the image again with `seawall fleet run`") from None
    if isinstance(document, dict) and isinstance(document.get("image"), dict):
        # The SBOM writer leaves out None values, and the reader wants every field without a default.
        for name in _IMAGE_REQUIRED:
            document["image"].setdefault(name, None)
    return parse_json(document, origin)


_IMAGE_REQUIRED = tuple(f.name for f in dataclasses.fields(Image)
                        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

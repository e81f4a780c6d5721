"""Policy rules: small objects with `evaluate(report) -> list[Violation]`, composed with `all_of` / `any_of`.

Suppressed findings never violate. A rule that cannot check what it is asked to (no DB date, no creation date)
returns an *undecided* violation, so the gate says UNDECIDED rather than pass; a rule whose input does not exist
yet (secrets) adds a note instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from seawall.model.finding import Finding, ScanReport
from seawall.model.policy import Violation
from seawall.model.vuln import Severity, Status
from seawall.policy.baseline import Baseline
from seawall.policy.image_rules import OFFICIAL_IMAGES as OFFICIAL_IMAGES  # re-exported: rules import from here
from seawall.policy.image_rules import ImageMaxAge as ImageMaxAge
from seawall.policy.image_rules import MinimalBase as MinimalBase
from seawall.policy.image_rules import NoRoot as NoRoot
from seawall.policy.image_rules import NoSecrets as NoSecrets
from seawall.policy.image_rules import TrustedSources as TrustedSources
from seawall.policy.image_rules import current_time, parse_time
from seawall.policy.uncovered import uncovered_notes, uncovered_violations
from seawall.triage.targets import source_of

SEVERITY_ORDER = (Severity.UNKNOWN, Severity.NEGLIGIBLE, Severity.LOW, Severity.MEDIUM, Severity.HIGH,
                  Severity.CRITICAL)
VENDOR_SOURCES = ("debian", "ubuntu", "alpine", "redhat", "almalinux", "rocky", "oracle", "amazon", "photon", "ghsa",
                  "osv")


@runtime_checkable
class Rule(Protocol):
    @property
    def name(self) -> str: ...

    def evaluate(self, report: ScanReport) -> list[Violation]: ...

    def notes(self, report: ScanReport) -> list[str]: ...


def _rank(severity: Severity | None) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else 0


# -- findings --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FindingScope:
    """Which findings a finding rule looks at."""

    fixable_only: bool = False
    new_only: bool = False
    include_base: bool = True
    ignore_status: frozenset[Status] = frozenset()
    baseline: Baseline | None = None  # with new_only: None means "never promoted", so everything is new
    uncovered: str = "undecided"  # packages the DB could not judge: undecided | ignore
    coverage_allow: tuple[str, ...] = ()  # namespace globs whose uncovered packages the policy accepts

    def selects(self, finding: Finding) -> bool:
        if finding.suppressed or finding.status in self.ignore_status:
            return False
        if self.fixable_only and not finding.fix_available:
            return False
        if not self.include_base and finding.in_base_image:
            return False
        return not (self.new_only and self.baseline is not None and self.baseline.knows(finding))

    def describe(self) -> str:
        words = [w for w, on in (("fixable", self.fixable_only), ("new", self.new_only),
                                 ("outside the base image", not self.include_base)) if on]
        return f" ({', '.join(words)})" if words else ""


def remedy_for(finding: Finding) -> str:
    pkg = finding.package
    name = pkg.name if not pkg.source_name or pkg.source_name == pkg.name else f"{pkg.name} (source {pkg.source_name})"
    if finding.fix_available:
        text = f"upgrade {name} to {finding.fixed_versions[0]}"
        if finding.in_base_image:
            text += " (it comes from the base image: rebuild on an updated base)"
        return text
    why = {
        Status.WILL_NOT_FIX: "the distribution will not fix it in this release",
        Status.FIX_DEFERRED: "the distribution deferred the fix to a later point release",
        Status.UNSUPPORTED: "the package is out of security support in this release",
        Status.NEGLIGIBLE: "the distribution rates it negligible",
        Status.MINOR: "the distribution rates it minor",
    }.get(finding.status, "no fixed version exists yet")
    return (f"{why}: remove {pkg.name} if unused, move to a newer release, or add an allowlist entry with a "
            "justification and an expiry (or a VEX statement)")


def finding_violation(rule: str, finding: Finding, message: str) -> Violation:
    pkg = finding.package
    return Violation(rule=rule, message=message, remedy=remedy_for(finding), finding_id=finding.id,
                     aliases=finding.aliases, package=f"{pkg.name}@{pkg.version}", purl=pkg.purl)


UNKNOWN_REMEDY = ("nothing rates it yet: update the DB (`seawall db update`), add NVD's ratings "
                  "(`seawall db update --feed nvd`), or add an allowlist entry with a justification and an expiry")


@dataclass(frozen=True)
class SeverityAtLeast:
    """Findings at or above a severity; `by` picks whose rating: the one reported, the vendor's, or CVSS.

    Unknown is never clean: a finding nothing rates meets every threshold unless the rule says `unknown: ignore`.
    """

    at_least: Severity
    by: str = "reported"  # reported | vendor | cvss
    min_score: float | None = None  # with by=cvss: a numeric threshold instead of the rating
    scope: FindingScope = field(default_factory=FindingScope)
    unknown: str = "count"  # count | ignore: whether a finding of unknown severity meets the threshold

    @property
    def name(self) -> str:
        limit = f"cvss >= {self.min_score}" if self.min_score is not None else f"{self.at_least.value}"
        ignore = ", unknown ignored" if self.unknown == "ignore" else ""
        return f"severity >= {limit} (by {self.by}{ignore}){self.scope.describe()}"

    def unrated(self, finding: Finding) -> bool:
        if self.by == "cvss" and self.min_score is not None:
            return finding.cvss is None or finding.cvss.score is None
        return self.rating(finding) is Severity.UNKNOWN

    def rating(self, finding: Finding) -> Severity:
        if self.by == "vendor":
            if finding.vendor_severity is not None:
                return finding.vendor_severity
            return finding.severity if finding.severity_source in VENDOR_SOURCES else Severity.UNKNOWN
        if self.by == "cvss":
            return finding.cvss.rating if finding.cvss else Severity.UNKNOWN
        return finding.severity

    def hits(self, finding: Finding) -> bool:
        if self.unrated(finding):
            return self.unknown != "ignore"
        if self.by == "cvss" and self.min_score is not None:
            return bool(finding.cvss and finding.cvss.score is not None and finding.cvss.score >= self.min_score)
        return _rank(self.rating(finding)) >= _rank(self.at_least)

    def evaluate(self, report: ScanReport) -> list[Violation]:
        out = []
        for f in report.findings:
            if not (self.scope.selects(f) and self.hits(f)):
                continue
            if self.unrated(f):
                pkg = f.package
                out.append(Violation(rule=self.name, message=f"{f.id} in {pkg.name} {pkg.version}: severity unknown "
                                     f"(no {'CVSS score' if self.by == 'cvss' else 'rating'} in the DB), "
                                     f"{f.status.value}", remedy=UNKNOWN_REMEDY, finding_id=f.id, aliases=f.aliases,
                                     package=f"{pkg.name}@{pkg.version}", purl=pkg.purl))
            else:
                score = f" (CVSS {f.cvss.score})" if self.by == "cvss" and f.cvss else ""
                out.append(finding_violation(self.name, f, f"{f.id} in {f.package.name} {f.package.version} is "
                                             f"{self.rating(f).value}{score}, {f.status.value}"))
        return out + uncovered_violations(self.name, report, self.scope)

    def notes(self, report: ScanReport) -> list[str]:
        return uncovered_notes(report, self.scope)


@dataclass(frozen=True)
class OnKev:
    """Any finding in CISA's Known Exploited Vulnerabilities catalogue, whatever its severity."""

    scope: FindingScope = field(default_factory=FindingScope)

    @property
    def name(self) -> str:
        return f"kev{self.scope.describe()}"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        return [finding_violation(self.name, f, f"{f.id} in {f.package.name} {f.package.version} is known to be "
                                  f"exploited (KEV since {f.kev.date_added})")
                for f in report.findings if f.kev is not None and self.scope.selects(f)] \
            + uncovered_violations(self.name, report, self.scope)

    def notes(self, report: ScanReport) -> list[str]:
        return uncovered_notes(report, self.scope)


@dataclass(frozen=True)
class EpssAtLeast:
    """Any finding whose EPSS score or percentile is at or above the threshold: likely to be exploited soon."""

    at_least: float | None = None  # probability of exploitation in 30 days
    percentile: float | None = None
    scope: FindingScope = field(default_factory=FindingScope)

    @property
    def name(self) -> str:
        parts = [f"score >= {self.at_least}" if self.at_least is not None else "",
                 f"percentile >= {self.percentile}" if self.percentile is not None else ""]
        return f"epss {' or '.join(p for p in parts if p)}{self.scope.describe()}"

    def hits(self, finding: Finding) -> bool:
        if finding.epss is None:
            return False
        return ((self.at_least is not None and finding.epss.score >= self.at_least)
                or (self.percentile is not None and finding.epss.percentile >= self.percentile))

    def evaluate(self, report: ScanReport) -> list[Violation]:
        return [finding_violation(self.name, f, f"{f.id} in {f.package.name} {f.package.version} has EPSS "
                                  f"{f.epss.score:.3f} (percentile {f.epss.percentile:.3f})")  # type: ignore[union-attr]
                for f in report.findings if self.scope.selects(f) and self.hits(f)] \
            + uncovered_violations(self.name, report, self.scope)

    def notes(self, report: ScanReport) -> list[str]:
        return uncovered_notes(report, self.scope)


# -- the image and the data it was judged by -------------------------------------------------------------------

@dataclass(frozen=True)
class DbMaxAge:
    """The data the image was judged by is not too old: each covering namespace's newest record, else the DB's build."""

    max_hours: float
    now: datetime | None = None

    @property
    def name(self) -> str:
        return f"db-age <= {self.max_hours:g}h"

    def evaluate(self, report: ScanReport) -> list[Violation]:
        if report.coverage is not None and any(n.covered for n in report.coverage.namespaces):
            return self._data_age(report)
        built = parse_time(report.db_built_at)
        if built is None:
            return [Violation(self.name, "the vulnerability DB does not say when it was built",
                              "`seawall db update` to get a DB with provenance", undecided=True)]
        age = (current_time(self.now) - built).total_seconds() / 3600
        if age > self.max_hours:
            return [Violation(self.name, f"the vulnerability DB is {age:.0f}h old (built {report.db_built_at}), "
                              f"the policy allows {self.max_hours:g}h", "`seawall db update`, then gate again",
                              undecided=True)]
        return []

    def notes(self, report: ScanReport) -> list[str]:
        return []

    def _data_age(self, report: ScanReport) -> list[Violation]:
        """The age of the data the image was judged by: each covering namespace's newest record, not the build."""
        assert report.coverage is not None
        out = []
        built = parse_time(report.db_built_at)
        for n in report.coverage.namespaces:
            if not n.covered:
                continue
            when = parse_time(n.data_date)
            if when is not None and built is not None and built < when:
                when = built  # no data is newer than the DB that holds it
            if when is None:
                out.append(Violation(self.name, f"the data for {n.namespace} ({', '.join(n.feeds)}) has no date",
                                     "`seawall db update` from a source that dates its records", undecided=True))
                continue
            age = (current_time(self.now) - when).total_seconds() / 3600
            if age > self.max_hours:
                out.append(Violation(
                    self.name, f"the newest {n.namespace} data ({', '.join(n.feeds)}) is from "
                    f"{when.date().isoformat()}, {age:.0f}h old; the policy allows {self.max_hours:g}h",
                    "`seawall db update` from a source that is still maintained, then gate again", undecided=True))
        return out


# -- composition -----------------------------------------------------------------------------------------------

def _refuse_empty(label: str, rules: tuple[Rule, ...]) -> None:
    # A composite of nothing would evaluate to no violations: a silent pass for a policy that says nothing.
    if not rules:
        raise ValueError(f"{label} needs at least one rule")


@dataclass(frozen=True)
class AllOf:
    """Every rule must hold: the violations are all of theirs."""

    rules: tuple[Rule, ...]
    label: str = "all_of"

    def __post_init__(self) -> None:
        _refuse_empty(self.label, self.rules)

    @property
    def name(self) -> str:
        return self.label

    def evaluate(self, report: ScanReport) -> list[Violation]:
        return [v for rule in self.rules for v in rule.evaluate(report)]

    def notes(self, report: ScanReport) -> list[str]:
        return [n for rule in self.rules for n in rule.notes(report)]


@dataclass(frozen=True)
class AnyOf:
    """At least one rule must hold cleanly; when none does, every rule's violations are reported."""

    rules: tuple[Rule, ...]
    label: str = "any_of"

    def __post_init__(self) -> None:
        _refuse_empty(self.label, self.rules)

    @property
    def name(self) -> str:
        return self.label

    def evaluate(self, report: ScanReport) -> list[Violation]:
        results = [rule.evaluate(report) for rule in self.rules]
        if any(not r for r in results):
            return []
        return [v for r in results for v in r]

    def notes(self, report: ScanReport) -> list[str]:
        return [n for rule in self.rules for n in rule.notes(report)]


def all_of(*rules: Rule) -> AllOf:
    return AllOf(tuple(rules))


def any_of(*rules: Rule) -> AnyOf:
    return AnyOf(tuple(rules))


def evaluate(rule: Rule, report: ScanReport) -> tuple[list[Violation], list[str]]:
    return rule.evaluate(report), rule.notes(report)


def source_package(finding: Finding) -> str:
    return source_of(finding.package)


def flatten(rules: Sequence[Rule]) -> list[Rule]:
    out: list[Rule] = []
    for rule in rules:
        if isinstance(rule, AllOf | AnyOf):
            out.extend(flatten(rule.rules))
        else:
            out.append(rule)
    return out

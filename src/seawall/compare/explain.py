"""Why a report differs from seawall on one row: reasons built only from facts in seawall's DB and inventory.

Each reason names its code (seawall.compare REASON_CODES), says it in one sentence and lists the facts behind it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from seawall.compare import (
    BINARY_VS_SOURCE,
    DISTRO_STATE,
    EXTRA,
    MATCHED_BY_CPE,
    MISSING,
    NEWER_THAN_DB,
    NO_FINDINGS,
    NOT_AFFECTED,
    NOT_SEEN,
    OS_OWNED,
    OUTSIDE_RANGE,
    SEVERITY,
    SEVERITY_SOURCE,
    STATUS,
    UNEXPLAINED,
    Difference,
    Reason,
    Row,
)
from seawall.compare.align import PackageIndex, bare_version
from seawall.compare.statements import describe_status, statement_for, tool_status
from seawall.db.store import VulnStore
from seawall.match.matcher import judge
from seawall.match.targets import Target, distro_namespace, target_for
from seawall.model.ecosystem import display_name, distribution_named
from seawall.model.finding import Finding, ScanReport
from seawall.model.imported import ImportedFinding, ImportedReport
from seawall.model.sbom import Package
from seawall.model.vuln import Advisory, Severity, Status, VulnerabilityMeta
from seawall.versions import InvalidVersion

MINOR_STATES = frozenset({Status.MINOR, Status.WILL_NOT_FIX, Status.FIX_DEFERRED, Status.NEGLIGIBLE,
                          Status.UNSUPPORTED})
_SOURCE_WORDS = {"nvd": "NVD", "ghsa": "GitHub", "osv": "OSV", "none": "no source"}  # distributions: by their row


def source_word(source: str | None) -> str:
    """`debian:distro:debian:12` → Debian, `nvd:cpe` → NVD, `github:language:python` → GitHub, `cvss:nvd` → NVD."""
    if not source:
        return "an unstated source"
    text = source.lower().removeprefix("cvss:")
    if text.startswith(("github", "ghsa")):
        return "GitHub"
    if text.startswith("nvd"):
        return "NVD"
    head = text.split(":")[0].split("@")[0]
    distro = distribution_named(head)
    return _SOURCE_WORDS.get(head) or (distro.display if distro is not None else source)


def _date(text: str | None) -> str | None:
    return text.replace(" ", "T")[:19] if text else None


class Explainer:
    def __init__(self, scan: ScanReport, reports: Sequence[ImportedReport], store: VulnStore, *,
                 inventory_complete: bool) -> None:
        self.scan, self.reports, self.store = scan, reports, store
        self.inventory_complete = inventory_complete
        self.distro = scan.sbom.distro
        self.namespace = distro_namespace(self.distro)
        self.by_purl = {p.purl: p for p in scan.sbom.packages if p.purl}
        self.report_index = [PackageIndex(_as_packages(r)) if r.lists_all_packages else None for r in reports]
        self._meta: dict[str, VulnerabilityMeta | None] = {}
        self._advisories: dict[tuple[str, str], list[Advisory]] = {}

    # DB look-ups, cached -----------------------------------------------------------------------------------------

    def meta(self, ids: Sequence[str]) -> list[VulnerabilityMeta]:
        wanted = [i for i in ids if i not in self._meta]
        if wanted:
            found = self.store.vulnerabilities(wanted)
            self._meta.update({i: found.get(i) for i in wanted})
        return [m for m in (self._meta[i] for i in ids) if m is not None]

    def advisories(self, namespace: str, name: str, ids: Sequence[str]) -> list[Advisory]:
        key = (namespace, name)
        if key not in self._advisories:
            self._advisories[key] = self.store.advisories_for(namespace, [name]).get(name, [])
        return [a for a in self._advisories[key] if a.id in ids]

    def advisories_anywhere(self, ids: Sequence[str]) -> list[Advisory]:
        return [a for vuln_id in ids for a in self.store.advisories_by_id(vuln_id)]

    # rows ----------------------------------------------------------------------------------------------------------

    def explain(self, row: Row) -> Row:
        differences = []
        for number, report in enumerate(self.reports):
            mine, theirs = row.seawall, row.others[number]
            if mine is not None and theirs is None:
                differences.append(Difference(number, MISSING, tuple(self.missing(row, mine, report, number))))
            elif mine is None and theirs is not None:
                differences.append(Difference(number, EXTRA, tuple(self.extra(row, theirs, report))))
            elif mine is not None and theirs is not None:
                diff = self.both(row, mine, theirs, report, number)
                if diff is not None:
                    differences.append(diff)
        statement = statement_for(row, self) if differences else None
        return dataclasses.replace(row, differences=tuple(differences), statement=statement)

    # seawall has it, the report does not ---------------------------------------------------------------------------

    def missing(self, row: Row, mine: Finding, report: ImportedReport, number: int) -> list[Reason]:
        package = mine.package
        reasons: list[Reason] = []
        seen = self.seen_by(number, package)
        if seen is not None:
            reasons.append(seen)
        binary = self.binary_vs_source_missing(package, mine, report, number)
        if binary is not None:
            reasons.append(binary)
        newer = self.newer_than_db(row, report)
        if newer is not None:
            reasons.append(newer)
        if mine.status in MINOR_STATES:
            reasons.append(Reason(DISTRO_STATE, (
                f"{self.distro_name()} marks {row.vulnerability} as {describe_status(mine.status)} for "
                f"{package.source_name or package.name}; {report.tool} leaves it out rather than report that state"),
                (("distribution_status", mine.status.value), (f"{report.tool}_status", "not reported"))))
        if not report.findings:
            reasons.append(Reason(NO_FINDINGS, (
                f"{report.tool}'s report holds no vulnerability findings at all: it was made without vulnerability "
                f"data (an inventory-only scan, or an empty DB)"), (("report_findings", "0"),)))
        if not reasons:
            detail = mine.details[0] if mine.details else None
            facts = (("seawall_match", f"{detail.searched_name} {detail.installed_version} {detail.constraint} in "
                                       f"{detail.namespace} ({detail.feed})"),) if detail else ()
            reasons.append(Reason(UNEXPLAINED, (
                f"seawall's DB says {package.name} {package.version} is affected"
                + (f" ({detail.searched_name} {detail.installed_version}, {detail.constraint})" if detail else "")
                + f"; nothing in seawall's data says why {report.tool} does not report it"), facts))
        return reasons

    def seen_by(self, number: int, package: Package) -> Reason | None:
        report = self.reports[number]
        index = self.report_index[number]
        if index is None:
            return None
        other = index.find(_as_imported(package))
        where = _where(package)
        if other is None:
            return Reason(NOT_SEEN, (
                f"{report.tool} did not inventory {package.name} {package.version} at all; seawall found it "
                f"{where}"), (("package", f"{package.name} {package.version}"), ("seawall_location", where),
                              (f"{report.tool}_inventory", f"{len(report.packages)} packages, {package.name} absent")))
        if bare_version(other.version) != bare_version(package.version):
            return Reason(NOT_SEEN, (
                f"{report.tool} saw {package.name} at version {other.version}, seawall at {package.version} "
                f"{where}"), (("seawall_version", package.version), (f"{report.tool}_version", other.version),
                              ("seawall_location", where)))
        return None

    def binary_vs_source_missing(self, package: Package, mine: Finding, report: ImportedReport, number: int
                                 ) -> Reason | None:
        target = target_for(package, self.distro)
        if target is None or target.matcher != "distro-source":
            return None
        fixes = list(mine.fixed_versions)
        if package.version != target.version and fixes:
            try:
                lowest = min(fixes, key=target.scheme.key)
                binary_fixed = target.scheme.compare(package.version, lowest) >= 0
                source_affected = target.scheme.compare(target.version, lowest) < 0
            except InvalidVersion:
                binary_fixed = source_affected = False
            if binary_fixed and source_affected:
                return Reason(BINARY_VS_SOURCE, (
                    f"{self.distro_name()} tracks source package {target.name} {target.version}, before the fix "
                    f"{lowest}; the binary {package.name} has version {package.version}, which compares as fixed — "
                    f"a tool comparing the binary version misses it"),
                    (("binary", f"{package.name} {package.version}"), ("source", f"{target.name} {target.version}"),
                     ("fixed_in", lowest), ("namespace", target.namespace)))
        if package.name != target.name:
            index = self.report_index[number]
            listed = index.find(_as_imported(package)) if index else None
            if listed is not None and not listed.source_name and not self.advisories(
                    target.namespace, package.name, mine.ids):
                return Reason(BINARY_VS_SOURCE, (
                    f"{self.distro_name()} lists {mine.id} under source package {target.name}, not under the binary "
                    f"name {package.name}; {report.tool}'s inventory names no source package for {package.name}"),
                    (("binary", f"{package.name} {package.version}"), ("source", f"{target.name} {target.version}"),
                     ("namespace", target.namespace)))
        return None

    def newer_than_db(self, row: Row, report: ImportedReport) -> Reason | None:
        built, label = (report.db_built, "DB built") if report.db_built else (report.created_at, "report made")
        if not built:
            return None
        for meta in self.meta(row.ids):
            for when, verb in ((meta.published, "published"), (meta.modified, "last modified")):
                if when and _date(when) > _date(built):  # type: ignore[operator]
                    return Reason(NEWER_THAN_DB, (
                        f"{meta.id} was {verb} {when[:10]}, after {report.tool}'s {label} {built[:10]}"),
                        ((verb.replace(" ", "_"), when), (f"{report.tool}_{label.replace(' ', '_')}", built),
                         ("data_from", meta.feed)))
        return None

    # the report has it, seawall does not ---------------------------------------------------------------------------

    def extra(self, row: Row, theirs: ImportedFinding, report: ImportedReport) -> list[Reason]:
        reasons: list[Reason] = []
        package = row.package
        tool = report.tool
        if theirs.by_cpe:
            reasons.append(self.cpe_reason(row, theirs, report))
        if package is None:
            where = f" (at {', '.join(theirs.package.locations)})" if theirs.package.locations else ""
            if self.inventory_complete:
                sentence = (f"seawall's inventory has no package {theirs.package.name}{where}: it is not in the image "
                            f"at all as seawall reads it")
            else:
                sentence = f"seawall's scan report lists no finding for {theirs.package.name}{where}"
            reasons.append(Reason(NOT_SEEN, sentence, ((f"{tool}_package",
                                                        f"{theirs.package.name} {theirs.package.version}"),
                                                       ("seawall_inventory", "absent"))))
            return reasons
        if bare_version(theirs.package.version) != bare_version(package.version):
            reasons.append(Reason(NOT_SEEN, (
                f"{tool} reports {package.name} at version {theirs.package.version}; seawall found version "
                f"{package.version} {_where(package)}"),
                (("seawall_version", package.version), (f"{tool}_version", theirs.package.version))))
        if package.owned_by:
            reasons.extend(self.owned(row, package, theirs, report))
            return reasons or [self.unexplained(row, theirs, report)]
        target = target_for(package, self.distro)
        if target is None:
            reasons.append(Reason(UNEXPLAINED, (
                f"seawall does not match {package.type or 'untyped'} packages against advisories; {tool} matched "
                f"{package.name} {package.version}"), (("package_type", package.type),)))
            return reasons
        advisories = self.advisories(target.namespace, target.name, row.ids)
        reasons.extend(self.verdict_reasons(row, target, advisories, theirs, report))
        if not advisories and not theirs.by_cpe:
            reasons.append(self.no_entry_reason(row, target, theirs, report))
        return reasons or [self.unexplained(row, theirs, report)]

    def verdict_reasons(self, row: Row, target: Target, advisories: list[Advisory], theirs: ImportedFinding,
                        report: ImportedReport) -> list[Reason]:
        reasons = []
        distro = self.namespace_name(target.namespace)
        for adv in advisories:
            if adv.status is Status.NOT_AFFECTED:
                reasons.append(Reason(NOT_AFFECTED, (
                    f"{distro} marks {adv.id} as not affecting {target.name} in {target.namespace}"
                    f"{self.release_words()}; {report.tool} reports it for {theirs.package.name} "
                    f"{theirs.package.version}"),
                    (("namespace", target.namespace), ("source_package", target.name),
                     ("distribution_status", "not-affected"), (f"{report.tool}_status", theirs.status or "affected"),
                     ("feed", adv.feed))))
                break
            if judge(target, adv) is None and adv.fixed_versions:
                fixed = ", ".join(adv.fixed_versions)
                reason = self.binary_vs_source_extra(target, adv, theirs, report)
                if reason is not None:
                    reasons.append(reason)
                reasons.append(Reason(OUTSIDE_RANGE, (
                    f"{target.name} {target.version} is outside the affected range: {distro} fixed {adv.id} in "
                    f"{fixed}" + (f"; {report.tool} compared {theirs.package.version} with "
                                  f"{', '.join(theirs.fixed_versions)}" if theirs.fixed_versions else "")),
                    (("installed", f"{target.name} {target.version}"), ("fixed_in", fixed),
                     ("namespace", target.namespace), (f"{report.tool}_installed", theirs.package.version),
                     (f"{report.tool}_fixed", ", ".join(theirs.fixed_versions) or "not stated"))))
                break
        return reasons

    def binary_vs_source_extra(self, target: Target, adv: Advisory, theirs: ImportedFinding, report: ImportedReport
                               ) -> Reason | None:
        """The tool compared the binary's version (or a searched version it states) where the fix is by source."""
        compared = next((m.searched_version for m in theirs.matches if m.searched_version), None) \
            or theirs.package.version
        searched = next((m.searched_name for m in theirs.matches if m.searched_name), None)
        if bare_version(compared) == bare_version(target.version):
            return None
        try:
            lowest = min(adv.fixed_versions, key=target.scheme.key)
            if not (target.scheme.compare(compared, lowest) < 0 <= target.scheme.compare(target.version, lowest)):
                return None
        except InvalidVersion:
            return None
        return Reason(BINARY_VS_SOURCE, (
            f"{report.tool} compared version {compared}" + (f" of {searched}" if searched else "")
            + f" with the fix {lowest}; {self.namespace_name(target.namespace)} tracks source package "
            f"{target.name}, whose version {target.version} is fixed"),
            (("compared_version", compared), ("source", f"{target.name} {target.version}"), ("fixed_in", lowest),
             ("binary", f"{theirs.package.name} {theirs.package.version}")))

    def no_entry_reason(self, row: Row, target: Target, theirs: ImportedFinding, report: ImportedReport) -> Reason:
        elsewhere = self.advisories_anywhere(row.ids)
        same_ns = sorted({a.package for a in elsewhere if a.namespace == target.namespace})
        namespaces = sorted({a.namespace for a in elsewhere})
        distro = self.namespace_name(target.namespace)
        if target.matcher == "distro-source":
            if same_ns:
                sentence = (f"{distro} lists {row.vulnerability} for {', '.join(same_ns)}, not for {target.name}; "
                            f"{report.tool} attributed it to {theirs.package.name} by product name")
            else:
                sentence = (f"{distro} has no entry for {row.vulnerability} in {target.namespace}: an NVD-only id; "
                            f"{report.tool} matched {theirs.package.name} by product name, not by the "
                            f"distribution's package")
            return Reason(MATCHED_BY_CPE, sentence, (
                ("namespace", target.namespace), ("distribution_packages", ", ".join(same_ns) or "none"),
                ("advisories_in", ", ".join(namespaces) or "none"), (f"{report.tool}_source", theirs.namespace or
                                                                     "not stated")))
        newer = self.newer_than_seawall(row)
        if newer is not None:
            return newer
        return Reason(UNEXPLAINED, (
            f"seawall's DB has no advisory for {row.vulnerability} in {target.namespace} {target.name}"
            + (f" (it has one in {', '.join(namespaces)})" if namespaces else "")),
            (("namespace", target.namespace), ("advisories_in", ", ".join(namespaces) or "none")))

    def newer_than_seawall(self, row: Row) -> Reason | None:
        built = self.scan.db_built_at
        published = [f.published for f in row.others if f is not None and f.published]
        if built and published and _date(min(published)) > _date(built):  # type: ignore[operator]
            return Reason(NEWER_THAN_DB, (
                f"{row.vulnerability} was published {min(published)[:10]}, after seawall's DB was built "
                f"{built[:10]}: `seawall db update` brings it in"),
                (("published", min(published)), ("seawall_db_built", built)))
        return None

    def cpe_reason(self, row: Row, theirs: ImportedFinding, report: ImportedReport) -> Reason:
        cpes = sorted({c for m in theirs.matches for c in m.cpes})
        constraint = next((m.constraint for m in theirs.matches if m.constraint), None)
        return Reason(MATCHED_BY_CPE, (
            f"{report.tool} matched {theirs.package.name} {theirs.package.version} by CPE"
            + (f" ({cpes[0]})" if cpes else "") + (f" against {constraint}" if constraint else "")
            + ", not by the distribution's package"),
            (("cpes", ", ".join(cpes) or "not stated"), ("constraint", constraint or "not stated"),
             (f"{report.tool}_source", theirs.namespace or "not stated")))

    def owned(self, row: Row, package: Package, theirs: ImportedFinding, report: ImportedReport) -> list[Reason]:
        owner = self.by_purl.get(package.owned_by or "")
        owner_target = target_for(owner, self.distro) if owner is not None else None
        owner_name = owner.name if owner is not None else package.owned_by
        base = (f"{package.name} {package.version} was installed by the OS package {owner_name}, so seawall judges "
                f"it by the distribution's advisories for its source")
        if owner_target is None:
            return [Reason(OS_OWNED, base, (("owned_by", package.owned_by or ""),))]
        advisories = self.advisories(owner_target.namespace, owner_target.name, row.ids)
        distro = self.namespace_name(owner_target.namespace)
        facts = (("owned_by", f"{owner_name} (source {owner_target.name} {owner_target.version})"),
                 ("namespace", owner_target.namespace))
        if not advisories:
            return [Reason(OS_OWNED, (
                f"{base} {owner_target.name}; {distro}'s feed has no entry for {row.vulnerability} in "
                f"{owner_target.name}; {report.tool} matched the {package.type} package itself"), facts)]
        reasons = [Reason(OS_OWNED, f"{base} {owner_target.name}", facts)]
        reasons.extend(self.verdict_reasons(row, owner_target, advisories, theirs, report))
        return reasons

    def unexplained(self, row: Row, theirs: ImportedFinding, report: ImportedReport) -> Reason:
        return Reason(UNEXPLAINED, (
            f"nothing in seawall's data explains why {report.tool} reports {row.vulnerability} for "
            f"{theirs.package.name} {theirs.package.version}"),
            ((f"{report.tool}_source", theirs.namespace or "not stated"),))

    # both have it ----------------------------------------------------------------------------------------------------

    def both(self, row: Row, mine: Finding, theirs: ImportedFinding, report: ImportedReport, number: int
             ) -> Difference | None:
        reasons: list[Reason] = []
        flattened = mine.status in MINOR_STATES and tool_status(theirs.status, theirs.severity) is not mine.status
        severity_differs = theirs.severity is not mine.severity
        if flattened:
            stated = theirs.status or "no status"
            reasons.append(Reason(DISTRO_STATE, (
                f"{self.distro_name()} marks it {describe_status(mine.status)}; {report.tool} reports "
                f"\"{stated}\" with severity {theirs.severity_stated or theirs.severity.value}"),
                (("distribution_status", mine.status.value), (f"{report.tool}_status", stated),
                 ("distribution_severity", mine.severity.value),
                 (f"{report.tool}_severity", theirs.severity_stated or theirs.severity.value))))
        # Debian's "unimportant" shown as LOW is the flattening itself, not a second rating
        mapped_negligible = flattened and mine.severity is Severity.NEGLIGIBLE and theirs.severity is Severity.LOW
        if severity_differs and not mapped_negligible:
            reasons.append(self.severity_reason(row, mine, theirs, report))
        if not reasons:
            return None
        return Difference(number, SEVERITY if severity_differs else STATUS, tuple(reasons))

    def severity_reason(self, row: Row, mine: Finding, theirs: ImportedFinding, report: ImportedReport) -> Reason:
        metas = self.meta(row.ids)
        scores = [c for m in metas for c in m.cvss]
        their_source = theirs.severity_source or theirs.namespace
        if not their_source:
            rated = [c for c in scores if c.rating is theirs.severity]
            their_source = f"cvss:{rated[0].source}" if rated else None
        mine_word = source_word(mine.severity_source)
        their_word = source_word(their_source)
        facts: list[tuple[str, str]] = [
            ("seawall_severity", f"{mine.severity.value} ({mine.severity_source})"),
            (f"{report.tool}_severity", f"{theirs.severity_stated or theirs.severity.value} "
                                        f"({their_source or 'source not stated'})"),
        ]
        if mine.vendor_severity is not None:
            facts.append(("vendor_severity", mine.vendor_severity.value))
        for score in scores[:4]:
            facts.append((f"cvss_{score.source}_{score.version}", f"{score.score} {score.vector}"))
        for who, rating in theirs.vendor_severity:
            facts.append((f"{report.tool}_rating_{who}", rating.value))
        if mine.severity_source == "none":
            sentence = (f"seawall has no rating for it (the distribution gives none and its DB holds no CVSS score); "
                        f"{report.tool} reports {their_word}'s ({theirs.severity_stated or theirs.severity.value})")
        elif mine_word != their_word:
            sentence = (f"seawall reports {mine_word}'s rating ({mine.severity.value}); {report.tool} reports "
                        f"{their_word}'s ({theirs.severity_stated or theirs.severity.value})")
            nvd = next((c for c in scores if c.source.startswith("nvd")), None)
            if nvd is not None and nvd.score is not None:
                sentence += f"; NVD's CVSS {nvd.version} score is {nvd.score}"
        else:
            sentence = (f"both report {mine_word}'s rating, but seawall has {mine.severity.value} and "
                        f"{report.tool} {theirs.severity_stated or theirs.severity.value}: the rating changed "
                        f"between their DBs")
        return Reason(SEVERITY_SOURCE, sentence, tuple(facts))

    # words -------------------------------------------------------------------------------------------------------

    def distro_name(self) -> str:
        return self.namespace_name(self.namespace or "")

    def namespace_name(self, namespace: str) -> str:
        head = namespace.split(":")[0]
        return display_name(head) or head or "the distribution"

    def release_words(self) -> str:
        if self.distro is not None and self.distro.codename:
            return f" ({self.distro.codename})"
        return ""


def _where(package: Package) -> str:
    if not package.locations:
        return "in the image"
    loc = package.locations[0]
    layer = package.layer_index if package.layer_index is not None else loc.layer_index
    text = f"at {loc.path}"
    if layer is not None:
        text += f", layer {layer}"
        if package.created_by:
            text += f" ({' '.join(package.created_by.split())[:60]})"
    return text


def _as_packages(report: ImportedReport) -> list[Package]:
    return [Package(name=p.name, version=p.version, type=p.type, found_by=report.tool, purl=p.purl,
                    source_name=p.source_name, source_version=p.source_version) for p in report.packages]


def _as_imported(package: Package):  # type: ignore[no-untyped-def]
    from seawall.model.imported import ImportedPackage

    return ImportedPackage(name=package.name, version=package.version, type=package.type, purl=package.purl,
                           locations=tuple(loc.path for loc in package.locations))


def severity_label(severity: Severity) -> str:
    return severity.value

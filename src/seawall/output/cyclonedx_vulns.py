"""The scan as CycloneDX 1.6 JSON: the inventory exactly as `seawall sbom` writes it, plus a `vulnerabilities` section.

One vulnerability entry per finding (id × package), because each carries its own verdict and its own analysis; the
entry `affects` the package's component by bom-ref. Suppressed findings stay, with an `analysis`:
    VEX not_affected → not_affected + justification     VEX fixed → resolved
    VEX affected     → exploitable                      VEX under_investigation → in_triage
    allowlist        → exploitable, response will_not_fix (a risk accepted is not a risk disproved)

Secrets, configuration findings and minimality are no vulnerabilities of a component, and CycloneDX has no object
for them: they go to the BOM's own `properties` (`seawall:secret:N:*`, `seawall:config:N:*`,
`seawall:minimality:*`, `seawall:scanners`), which leaves the inventory exactly as `seawall sbom` writes it.
A secret's `match` is the redacted one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from seawall.model.finding import Finding, ScanReport, Suppression
from seawall.model.vuln import CVSS, Severity, Status
from seawall.output.cyclonedx import Document, bom_refs, compact, dump, inventory_document, properties, timestamp
from seawall.output.scan import ScanView
from seawall.output.scan_extra import config, secrets
from seawall.output.scan_text import (
    coverage_statement,
    document_serial,
    package_key,
    recorded,
    scanned_at,
    status_text,
)

PROPERTY = "seawall:vulnerability:"
SEVERITIES = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.NEGLIGIBLE: "info",
    Severity.UNKNOWN: "unknown",
}
METHODS = {"2.0": "CVSSv2", "3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}
# CycloneDX names the CVSS version in `method`, so a vector is written without its `CVSS:x.y/` prefix.
_VECTOR_PREFIXES = {"CVSSv2": re.compile(r"^CVSS:2\.\d/?"), "CVSSv3": re.compile(r"^CVSS:3\.\d/?"),
                    "CVSSv31": re.compile(r"^CVSS:3\.\d/?"), "CVSSv4": re.compile(r"^CVSS:4\.\d/?")}
VEX_STATES = {
    "not_affected": "not_affected",
    "fixed": "resolved",
    "affected": "exploitable",
    "under_investigation": "in_triage",
}
# OpenVEX justification → CycloneDX justification (the mapping CISA's VEX status document gives).
JUSTIFICATIONS = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_ALIAS_PAGES = {"DSA-": "https://security-tracker.debian.org/tracker/", "DLA-": "https://security-tracker.debian.org/tracker/",
                "CVE-": "https://nvd.nist.gov/vuln/detail/"}
# The characters an iri-reference may not hold bare, encoded as cyclonedx-python-lib's XsUri encodes them.
_URI_ESCAPES = str.maketrans({" ": "%20", '"': "%22", "'": "%27", "[": "%5B", "]": "%5D", "<": "%3C", ">": "%3E",
                              "{": "%7B", "}": "%7D"})
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def render(report: ScanReport, view: ScanView) -> str:
    document = inventory_document(report.sbom, now=scanned_at(report), serial=document_serial(report))
    refs = dict(zip((package_key(p) for p in report.sbom.packages), bom_refs(report.sbom.packages), strict=True))
    entries = [vulnerability(finding, refs[package_key(finding.package)]) for finding in recorded(report, view)]
    if entries:
        # Sorted as CycloneDX's model sorts vulnerabilities: by id, then bom-ref.
        entries.sort(key=lambda entry: (entry["id"], entry["bom-ref"]))
        document["vulnerabilities"] = _unique(entries)
    extra = extra_properties(report, view)
    if extra:
        document["properties"] = extra
    return dump(_core_last(document))


def extra_properties(report: ScanReport, view: ScanView) -> list[dict[str, str]]:
    """The secret, configuration and minimality results as `seawall:` properties; none for scanners not run."""
    pairs: list[tuple[str, str | None]] = []
    if report.scanners is not None:
        pairs.append(("seawall:scanners", ",".join(report.scanners)))
    for index, secret in enumerate(secrets(report, view)):
        pairs += [(f"seawall:secret:{index}:{name}", value) for name, value in (
            ("ruleId", secret.rule_id), ("title", secret.title), ("severity", secret.severity.value),
            ("path", secret.path), ("line", str(secret.line)), ("match", secret.match),
            ("layer", None if secret.layer_index is None else str(secret.layer_index)),
            ("layerDiffID", secret.layer_diff_id), ("createdBy", secret.created_by),
            ("deletedInLayer", None if secret.deleted_in_layer is None else str(secret.deleted_in_layer)))]
    for index, item in enumerate(config(report, view)):
        pairs += [(f"seawall:config:{index}:{name}", value) for name, value in (
            ("id", item.id), ("title", item.title), ("severity", item.severity.value), ("evidence", item.evidence),
            ("remedy", item.remedy), ("path", item.path),
            ("layer", None if item.layer_index is None else str(item.layer_index)))]
    pairs += coverage_pairs(report)
    minimality = report.minimality
    if minimality is not None:
        pairs += [(f"seawall:minimality:{name}", value) for name, value in (
            ("compressedSize", str(minimality.compressed_size)),
            ("uncompressedSize", None if minimality.uncompressed_size is None else str(minimality.uncompressed_size)),
            ("layers", str(minimality.layers)), ("packages", str(minimality.packages)),
            ("files", None if minimality.files is None else str(minimality.files)))]
        pairs += [(f"seawall:minimality:{name}", path) for name, paths in (
            ("shell", minimality.shells), ("packageManager", minimality.package_managers),
            ("compiler", minimality.compilers)) for path in paths]
    return properties((name, value) for name, value in pairs if value is not None)


def coverage_pairs(report: ScanReport) -> list[tuple[str, str | None]]:
    """What the DB could judge, as `seawall:coverage:*` properties: a BOM without vulnerabilities says why."""
    coverage = report.coverage
    if coverage is None:
        return []
    pairs: list[tuple[str, str | None]] = [
        ("seawall:coverage:complete", str(coverage.complete).lower()),
        ("seawall:coverage:coveredPackages", str(coverage.covered_packages)),
        ("seawall:coverage:uncoveredPackages", str(coverage.uncovered_packages)),
        ("seawall:coverage:statement", coverage_statement(report) or None)]
    for n in coverage.namespaces:
        prefix = f"seawall:coverage:namespace:{n.namespace}:"
        pairs += [(prefix + "covered", str(n.covered).lower()), (prefix + "packages", str(n.packages)),
                  (prefix + "feeds", ",".join(n.feeds) or None), (prefix + "dataDate", n.data_date),
                  (prefix + "fixedOnly", str(n.fixed_only).lower() if n.covered else None),
                  (prefix + "reason", n.reason)]
    return pairs


def vulnerability(finding: Finding, component_ref: str) -> Document:
    package = finding.package
    versions = {(package.version, "affected")} | {(fixed, "unaffected") for fixed in finding.fixed_versions}
    advisories = [finding.data_source] if finding.data_source else []
    advisories += [url for url in finding.references if url not in advisories]
    return compact(
        ("advisories", [{"url": url} for url in sorted({uri(url) for url in advisories})]),
        ("affects", [{"ref": component_ref,
                      "versions": [{"status": status, "version": version} for version, status in sorted(versions)]}]),
        ("analysis", _analysis(finding.suppressions) if finding.suppressions else None),
        ("bom-ref", f"{finding.id}@{component_ref}"),
        ("description", finding.description or finding.title),
        ("detail", finding.title if finding.description else None),
        ("id", finding.id),
        ("properties", _properties(finding)),
        ("published", _published(finding.published)),
        ("ratings", _ratings(finding)),
        ("recommendation", _recommendation(finding)),
        ("references", _references(finding.aliases)),
        ("source", _source(finding.details[0].feed if finding.details else finding.severity_source,
                           finding.data_source)),
    )


def uri(text: str) -> str:
    """A URL as an iri-reference: the library's escapes, plus a stray `%` and any second `#` encoded."""
    text = _STRAY_PERCENT.sub("%25", text.translate(_URI_ESCAPES))
    head, hash_, fragment = text.partition("#")
    return head + hash_ + fragment.replace("#", "%23")


def _source(name: str | None, url: str | None) -> Document:
    return compact(("name", name), ("url", uri(url) if url else None))


def _references(aliases: Iterable[str]) -> list[Document]:
    found = set()
    for alias in aliases:
        page = next((base for prefix, base in _ALIAS_PAGES.items() if alias.startswith(prefix)),
                    "https://osv.dev/vulnerability/")
        name = "debian" if "debian" in page else "nvd" if "nvd" in page else "osv"
        found.add((alias, name, uri(page + alias)))
    return [{"id": alias, "source": {"name": name, "url": url}} for alias, name, url in sorted(found)]


def _ratings(finding: Finding) -> list[Document]:
    ratings = []
    vendor = finding.vendor_severity_source or (None if finding.severity_source.startswith("cvss:")
                                                else finding.severity_source)
    if finding.vendor_severity is not None and vendor:
        ratings.append(_rating(SEVERITIES[finding.vendor_severity], method="other",
                               source=_source(vendor, finding.data_source)))
    if finding.cvss is not None:
        ratings.append(_cvss_rating(finding.severity_id or finding.id, finding.cvss))
    if not ratings:
        ratings.append(_rating(SEVERITIES[finding.severity]))
    # Sorted as the library sorts ratings: severity, score, source, method, vector (absent values last).
    return sorted(ratings, key=lambda rating: (
        rating["severity"], rating.get("score", 0),
        *_last(rating.get("source", {}).get("name")), *_last(rating.get("source", {}).get("url")),
        *_last(rating.get("method")), *_last(rating.get("vector")),
    ))


def _cvss_rating(vuln_id: str, cvss: CVSS) -> Document:
    nvd = cvss.source.startswith("nvd")
    url = f"https://nvd.nist.gov/vuln/detail/{vuln_id}" if nvd and vuln_id.startswith("CVE-") else None
    # One decimal, rounded half-even as the library's Decimal formatting does.
    score = float(f"{Decimal(str(cvss.score)):.1f}") if cvss.score is not None else None
    method = METHODS.get(cvss.version, "other")
    prefix = _VECTOR_PREFIXES.get(method)
    vector = prefix.sub("", cvss.vector, count=1) if prefix and cvss.vector else cvss.vector
    return _rating(SEVERITIES[cvss.rating], method=method, score=score,
                   source=_source("NVD" if nvd else cvss.source, url), vector=vector)


def _rating(severity: str, *, method: str | None = None, score: float | None = None, source: Document | None = None,
            vector: str | None = None) -> Document:
    return compact(("method", method), ("score", score), ("severity", severity), ("source", source),
                    ("vector", vector))


def _recommendation(finding: Finding) -> str:
    if finding.fix_available:
        return f"Upgrade {finding.package.name} to {' or '.join(finding.fixed_versions)}"
    if finding.status is Status.AFFECTED:
        return "No fixed version yet"
    return f"No fixed version ({status_text(finding)})"


def _analysis(suppressions: Iterable[Suppression]) -> Document:
    first, *_ = suppressions
    detail = f"{first.kind} {first.rule}: {first.reason}"
    if first.owner:
        detail += f" (owner {first.owner})"
    if first.expires:
        detail += f" (expires {first.expires})"
    if first.kind == "vex" and first.vex_status in VEX_STATES:
        return compact(("detail", detail), ("justification", JUSTIFICATIONS.get(first.justification or "")),
                        ("state", VEX_STATES[first.vex_status]))
    return {"detail": detail, "response": ["will_not_fix"], "state": "exploitable"}


def _properties(finding: Finding) -> list[dict[str, str]]:
    pairs: list[tuple[str, str | None]] = [
        ("status", finding.status.value),
        ("severity", finding.severity.value),
        ("severitySource", finding.severity_source),
        ("fixAvailable", str(finding.fix_available).lower()),
        ("versionUnknown", "true" if finding.version_unknown else None),
        ("rangeUnparseable", "true" if finding.range_unparseable else None),
        ("inBaseImage", None if finding.in_base_image is None else str(finding.in_base_image).lower()),
        ("suppressed", "true" if finding.suppressed else None),
        ("kev:dateAdded", finding.kev.date_added if finding.kev else None),
        ("kev:knownRansomware", str(finding.kev.known_ransomware).lower() if finding.kev else None),
        ("epss:score", f"{finding.epss.score}" if finding.epss else None),
        ("epss:percentile", f"{finding.epss.percentile}" if finding.epss else None),
    ]
    pairs += [(f"match:{index}", f"{d.feed} {d.namespace} {d.searched_name} {d.installed_version}: {d.constraint}")
              for index, d in enumerate(finding.details)]
    return properties((PROPERTY + name, value) for name, value in pairs if value is not None)


def _published(text: str | None) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Feeds write their dates in UTC; one without an offset is read as such, never as this machine's time zone.
    return timestamp(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def _unique(entries: list[Document]) -> list[Document]:
    """Each entry once, and every bom-ref unique: a second, different entry for the same id and package gets `#n`."""
    kept: list[Document] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if index and entry == entries[index - 1]:
            continue
        ref = entry["bom-ref"]
        count = seen.get(ref, 0)
        seen[ref] = count + 1
        kept.append(entry if count == 0 else {**entry, "bom-ref": f"{ref}#{count}"})
    return kept


def _core_last(document: Document) -> Document:
    """The library writes the members in name order, `$schema`, `bomFormat` and `specVersion` last."""
    core = ("$schema", "bomFormat", "specVersion")
    ordered = {key: document[key] for key in sorted(document) if key not in core}
    return ordered | {key: document[key] for key in core}


def _last(value: Any) -> tuple[bool, Any]:
    """A sort key that puts an absent value after every present one, as the library's model orders them."""
    return (value is None, value if value is not None else "")

"""Allowlists as other tools read them: OpenVEX v0.2.0, Trivy's `.trivyignore.yaml`, grype's `ignore:` rules.

Trivy and grype ignore files know nothing of image scopes: exporting for one image (`image=`) keeps the entries
that apply to it; without one, scoped entries are left out (listed in `skipped`) rather than widened to every
image. Expired entries are never exported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import yaml
from packageurl import PackageURL

from seawall import __version__
from seawall.match.findings import BUNDLE_PREFIXES
from seawall.model.ecosystem import ECOSYSTEMS
from seawall.model.finding import Finding
from seawall.triage.allowlist import Allowlist, AllowlistEntry
from seawall.triage.targets import image_matches, parse_purl, strip_tag, strip_version

OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0"
EXPORT_FORMATS = ("openvex", "trivyignore", "grype")
# seawall package type → syft/grype package type
GRYPE_TYPES = {row.type.value: row.grype_type for row in ECOSYSTEMS}
_GRYPE_BY_PURL = {row.purl_type: row.grype_type for row in ECOSYSTEMS}


@dataclass
class Exported:
    """An allowlist in another tool's format, and the entries left out of it, each with why."""

    text: str
    skipped: list[str] = field(default_factory=list)  # "FILE:LINE: why", for entries left out


def _select(allowlists: Sequence[Allowlist], image: str | None, today: date, skipped: list[str]
            ) -> list[AllowlistEntry]:
    names = (strip_tag(image),) if image else ()
    out = []
    for entry in (e for a in allowlists for e in a.entries):
        if entry.expired(today):
            skipped.append(f"{entry.locator}: expired on {entry.expires}")
        elif entry.scope and image is None:
            skipped.append(f"{entry.locator}: scoped to {', '.join(entry.scope_written)}; name the image with "
                           "--image to export it")
        elif entry.scope and not any(image_matches(g, names) for g in entry.scope):
            continue
        else:
            out.append(entry)
    return out


def _packages_of(entry: AllowlistEntry, findings: Iterable[Finding]) -> list[str]:
    """purls (without version) of the scanned packages an entry covers: how name-only entries reach Trivy."""
    return sorted({strip_version(f.package.purl) for f in findings if f.package.purl and entry.matches(f)})


_OS_TYPES = ("deb", "apk", "rpm")


def reported_ids(entry: AllowlistEntry, findings: Iterable[Finding], tool: str) -> list[str]:
    """The ids `tool` reports for what the entry covers. Both report distribution findings by CVE (never DSA/DLA);
    grype names language packages' findings by GHSA. An entry keyed by a CVE stays that one CVE; one keyed by another
    id (a DSA fixing several CVEs, a PYSEC) becomes the CVEs of the findings it matches."""
    matched = [f for f in findings if entry.matches(f)]
    wanted = entry.id.upper()
    out: list[str] = [] if wanted.startswith(BUNDLE_PREFIXES) else [entry.id]
    for finding in matched:
        cves = [i for i in finding.ids if i.upper().startswith("CVE-")]
        if wanted.startswith("CVE-"):
            cves = [entry.id]
        elif not cves:
            continue
        out.extend(cves)
        if tool == "grype" and finding.package.type not in _OS_TYPES and len(cves) == 1:
            out.extend(i for i in finding.ids if i.upper().startswith("GHSA-"))
    return list(dict.fromkeys(out)) or [entry.id]


def _statement_text(entry: AllowlistEntry) -> str:
    parts = [entry.statement or "", f"(owner {entry.owner})" if entry.owner else "", f"[{entry.locator}]"]
    return " ".join(p for p in parts if p)


# -- OpenVEX ---------------------------------------------------------------------------------------------------

def to_openvex(allowlists: Sequence[Allowlist], *, image: str | None = None, image_digest: str | None = None,
               findings: Iterable[Finding] = (), author: str = "seawall", now: datetime | None = None) -> Exported:
    """An OpenVEX v0.2.0 document. Entries with a justification become `not_affected`; entries without one are
    accepted risks, which VEX can only state as `affected` with an action statement."""
    now = now or datetime.now(UTC)
    skipped: list[str] = []
    findings = list(findings)
    entries = _select(allowlists, image, now.date(), skipped)
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    statements = []
    for entry in entries:
        products = _vex_products([entry.purl] if entry.purl else _packages_of(entry, findings), image, image_digest)
        if not products:
            skipped.append(f"{entry.locator}: a VEX product is a purl; give the entry a purl, or pass --scan with a "
                           "report that has the package")
            continue
        vulnerability: dict[str, object] = {"name": entry.id}
        # The ids other tools report for it (a DSA's CVEs, a PYSEC's CVE): consumers match `name` or `aliases`.
        if aliases := [i for i in reported_ids(entry, findings, "trivy") if i != entry.id]:
            vulnerability["aliases"] = aliases
        st: dict[str, object] = {"vulnerability": vulnerability, "timestamp": stamp, "products": products}
        if entry.justification:
            # The schema allows a justification or an impact statement, not both: the text goes to status_notes.
            st.update(status="not_affected", justification=entry.justification)
            if entry.statement:
                st["status_notes"] = _statement_text(entry)
        else:
            st.update(status="affected", action_statement=f"risk accepted until {entry.expires}: "
                      f"{_statement_text(entry)}")
        statements.append(st)
    body = json.dumps(statements, sort_keys=True).encode()
    doc = {
        "@context": OPENVEX_CONTEXT,
        "@id": f"urn:seawall:vex:{hashlib.sha256(body).hexdigest()[:32]}",
        "author": author,
        "role": "Document Creator",
        "timestamp": stamp,
        "version": 1,
        "tooling": f"seawall {__version__}",
        "statements": statements,
    }
    if not statements:
        skipped.append("no statement to export: OpenVEX needs at least one")
    return Exported(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", skipped)


def _vex_products(purls: list[str], image: str | None, digest: str | None) -> list[dict[str, object]]:
    if image and digest:
        product: dict[str, object] = {"@id": _oci_purl(image, digest)}
        if purls:
            product["subcomponents"] = [{"@id": p} for p in purls]
        return [product]
    return [{"@id": p} for p in purls]


def _oci_purl(image: str, digest: str) -> str:
    name = strip_tag(image)
    repo = name.rsplit("/", 1)
    qualifiers = {"repository_url": name} if len(repo) == 2 else {}
    return PackageURL(type="oci", name=repo[-1].lower(), version=digest, qualifiers=qualifiers).to_string()


# -- Trivy -----------------------------------------------------------------------------------------------------

def to_trivyignore(allowlists: Sequence[Allowlist], *, image: str | None = None, findings: Iterable[Finding] = (),
                   now: datetime | None = None) -> Exported:
    today = (now or datetime.now(UTC)).date()
    skipped: list[str] = []
    findings = list(findings)
    items: list[dict[str, object]] = []
    for entry in _select(allowlists, image, today, skipped):
        item: dict[str, object] = {}
        if entry.purl:
            item["purls"] = [entry.purl]
        elif entry.package or entry.source:
            purls = _packages_of(entry, findings)
            if not purls:
                skipped.append(f"{entry.locator}: Trivy selects packages by purl only; pass --scan with a report "
                               "that has the package, or give the entry a purl")
                continue
            item["purls"] = purls
        item["expired_at"] = entry.expires
        item["statement"] = _statement_text(entry)
        items.extend({"id": vuln_id, **item} for vuln_id in reported_ids(entry, findings, "trivy"))
    return Exported(yaml.safe_dump({"vulnerabilities": items}, sort_keys=False, allow_unicode=True), skipped)


# -- grype -----------------------------------------------------------------------------------------------------

def to_grype(allowlists: Sequence[Allowlist], *, image: str | None = None, findings: Iterable[Finding] = (),
             now: datetime | None = None) -> Exported:
    """grype `ignore:` rules. Without a fix-state: an entry holds whatever the fix state, and a fix-state would
    narrow it. grype has no expiry, so it is kept in the reason."""
    today = (now or datetime.now(UTC)).date()
    skipped: list[str] = []
    findings = list(findings)
    rules = []
    for entry in _select(allowlists, image, today, skipped):
        reason = f"until {entry.expires}: {_statement_text(entry)}"
        packages = _grype_packages(entry, findings)
        if packages is None:
            skipped.append(f"{entry.locator}: source package {entry.source!r} has no grype selector; pass --scan "
                           "with a report that has its binary packages")
            continue
        for vuln_id in reported_ids(entry, findings, "grype"):
            for package in packages or [{}]:
                rule: dict[str, object] = {"vulnerability": vuln_id}
                if entry.justification:
                    rule["vex-justification"] = entry.justification
                if package:
                    rule["package"] = package
                rule["reason"] = reason
                rules.append(rule)
    return Exported(yaml.safe_dump({"ignore": rules}, sort_keys=False, allow_unicode=True), skipped)


def _grype_packages(entry: AllowlistEntry, findings: list[Finding]) -> list[dict[str, str]] | None:
    if entry.purl:
        parsed = parse_purl(entry.purl)
        if parsed is not None:
            package = {"name": parsed.name, "type": GRYPE_TYPES.get(parsed.type, _grype_type(parsed.type))}
            if parsed.version:
                package["version"] = parsed.version
            return [package]
    if entry.package and not entry.source:
        return [{"name": entry.package}]
    if entry.source:  # grype matches binary packages: list those the scans show for this source
        seen = {(f.package.name, f.package.type) for f in findings if entry.matches(f)}
        return [{"name": n, "type": GRYPE_TYPES.get(t, t)} for n, t in sorted(seen)] or None
    return []


def _grype_type(purl_type: str) -> str:
    return _GRYPE_BY_PURL.get(purl_type, purl_type)


def export_allowlists(allowlists: Sequence[Allowlist], fmt: str, *, image: str | None = None,
                      image_digest: str | None = None, findings: Iterable[Finding] = (),
                      now: datetime | None = None) -> Exported:
    if fmt == "openvex":
        return to_openvex(allowlists, image=image, image_digest=image_digest, findings=findings, now=now)
    if fmt == "trivyignore":
        return to_trivyignore(allowlists, image=image, findings=findings, now=now)
    if fmt == "grype":
        return to_grype(allowlists, image=image, findings=findings, now=now)
    raise ValueError(fmt)

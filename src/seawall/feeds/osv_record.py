"""One OSV record → its advisories (one per affected package) and its metadata.

A record is skipped only when it names no package seawall can look up. A range it states but seawall cannot
evaluate (a bound the ecosystem's scheme does not parse, an unknown event or range type) is kept as it is and
counted as Flagged: the matcher reports packages it may cover as affected, flagged `range unparseable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from seawall.feeds.cvss_score import score_vector
from seawall.feeds.guard import each
from seawall.model.ecosystem import DISTRIBUTIONS, ecosystem_of_namespace, namespace_version
from seawall.model.ecosystem import ECOSYSTEMS as ECOSYSTEM_ROWS
from seawall.model.vuln import (
    CVSS,
    Advisory,
    AffectedRange,
    Flagged,
    RangeEvent,
    Severity,
    Skipped,
    Status,
    VulnerabilityMeta,
)
from seawall.versions import UnknownVersionScheme, VersionScheme, scheme_for

ECOSYSTEMS = {row.osv: row.namespace for row in ECOSYSTEM_ROWS if row.osv and row.namespace}
_DISTROS = {row.osv: row.id for row in DISTRIBUTIONS if row.osv}
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_VENDOR_SEVERITY = {
    "negligible": Severity.NEGLIGIBLE, "unimportant": Severity.NEGLIGIBLE, "low": Severity.LOW,
    "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM, "high": Severity.HIGH, "important": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
_PEP503 = re.compile(r"[-_.]+")
# AlmaLinux and Rocky Linux rate an erratum only in its summary, "Important: openssl security update" (the Red Hat
# scale); vunnel's alma provider reads the same prefix.
_SUMMARY_RATING = re.compile(r"^(Critical|Important|Moderate|Low):", re.I)
_SUMMARY_RATED = {"almalinux": "almalinux", "rocky linux": "rocky"}
# Their errata name the CVEs they fix under `related` (AlmaLinux) or `upstream` (Rocky, Ubuntu): the erratum is a
# bundle of those CVEs, as a DSA is. Ubuntu's per-CVE records (UBUNTU-CVE-…) name their CVE and USNs under `related`.
_ERRATA = re.compile(r"^(ALSA|ALBA|ALEA|RLSA|RLBA|RLEA|SUSE-SU|openSUSE-SU|UBUNTU-CVE)-")


def namespace_of(ecosystem: str) -> str | None:
    """OSV ecosystem → seawall namespace: PyPI → pypi, Debian:12 → debian:12, Ubuntu:22.04:LTS → ubuntu:22.04,
    Alpine:v3.19 → alpine:3.19, Red Hat:enterprise_linux:9::appstream → rhel:9; None when unsupported."""
    if ecosystem in ECOSYSTEMS:
        return ECOSYSTEMS[ecosystem]
    base, _, rest = ecosystem.partition(":")
    distro = _DISTROS.get(base)
    if distro is None or not rest:
        return None
    parts = rest.split(":")
    if distro == "ubuntu":
        if any(p in ("Pro", "FIPS", "FIPS-updates", "FIPS-preview") for p in parts):
            return None  # paid streams ship their own versions; plain releases carry the public verdict
        version = next((p for p in parts if re.fullmatch(r"\d+\.\d+", p)), None)
    elif distro in ("sles", "opensuse-leap"):
        return _suse_namespace(distro, rest)
    elif distro == "rhel":
        version = next((m.group(1) for p in parts if (m := re.match(r"(?:enterprise_linux:)?(\d+)", p))), None)
    elif distro == "alpine":
        version = parts[0].lstrip("v")
    else:
        version = parts[0]
    return f"{distro}:{namespace_version(distro, version)}" if version else None


def _suse_namespace(distro: str, product: str) -> str | None:
    """SUSE files a package under the product or module that ships it, with the support phase appended:
    `SUSE:Linux Enterprise Module for Basesystem 15 SP5`, `…Server 15 SP5-LTSS` → sles:15.5 (os-release VERSION_ID);
    `openSUSE:Leap 15.5` → opensuse-leap:15.5, `openSUSE:Tumbleweed` → opensuse-tumbleweed:rolling."""
    if distro == "opensuse-leap":
        if product.startswith("Tumbleweed"):
            return "opensuse-tumbleweed:rolling"
        match = re.fullmatch(r"Leap (\d+\.\d+)", product)
        return f"opensuse-leap:{match.group(1)}" if match else None  # Leap Micro is another product
    if not product.startswith("Linux Enterprise ") or "Micro" in product:
        return None
    match = re.search(r" (\d+)(?: SP(\d+))?(?:-[A-Z-]+)?$", product)
    if not match:
        return None
    major, service_pack = match.groups()
    return f"sles:{major}.{service_pack}" if service_pack else f"sles:{major}"


def normalise_name(namespace: str, name: str) -> str:
    row = ecosystem_of_namespace(namespace)
    style = row.advisory_name if row is not None else "name"
    if style == "pep503":
        return _PEP503.sub("-", name).lower()  # PEP 503
    if style == "lower":
        return name.lower()  # NuGet ids are case-insensitive
    return name


def _scheme(namespace: str) -> VersionScheme | None:
    try:
        return scheme_for(namespace.split(":", 1)[0])
    except UnknownVersionScheme:
        return None


def _valid(scheme: VersionScheme | None, kind: str, version: str) -> bool:
    """Whether the matcher can order this bound (the same scheme it compares installed versions with)."""
    if (kind == "introduced" and version == "0") or (kind == "limit" and "*" in version):
        return True
    return bool(version.strip()) if scheme is None else scheme.is_valid(version)


def _vendor_severity(record: dict[str, Any], affected: dict[str, Any]) -> tuple[Severity | None, str | None]:
    """The distribution's rating first; GHSA's `database_specific.severity` only without one (match/severity.py)."""
    eco = affected.get("ecosystem_specific") or {}
    if isinstance(eco, dict):
        for key in ("urgency", "severity", "ubuntu_priority"):  # ubuntu_priority: Ubuntu's per-CVE records
            if isinstance(eco.get(key), str):
                level = eco[key].rstrip("*").lower()
                source = str((affected.get("package") or {}).get("ecosystem", "")).partition(":")[0].lower()
                return _VENDOR_SEVERITY.get(level, Severity.UNKNOWN), source or "osv"
    for sev in record.get("severity") or ():
        if isinstance(sev, dict) and sev.get("type") == "Ubuntu" and isinstance(sev.get("score"), str):
            return _VENDOR_SEVERITY.get(sev["score"].lower(), Severity.UNKNOWN), "ubuntu"
    distro = str((affected.get("package") or {}).get("ecosystem", "")).partition(":")[0].lower()
    if distro in _SUMMARY_RATED and (match := _SUMMARY_RATING.match(str(record.get("summary") or ""))):
        return _VENDOR_SEVERITY[match.group(1).lower()], _SUMMARY_RATED[distro]
    db = record.get("database_specific") or {}
    if isinstance(db, dict) and isinstance(db.get("severity"), str):
        return _VENDOR_SEVERITY.get(db["severity"].lower(), Severity.UNKNOWN), "ghsa"
    return None, None


def _cvss(entries: Any, source: str) -> list[CVSS]:
    found = []
    for sev in entries or ():
        if not isinstance(sev, dict) or not str(sev.get("type", "")).startswith("CVSS_"):
            continue
        vector = str(sev.get("score", ""))
        scored = score_vector(vector)
        if scored:
            found.append(CVSS(source=source, version=scored[0], vector=vector, score=scored[1]))
    return found


def parse_record(record: Any, feed: str, *, origin: str = "", unreadable: str | None = None) -> Iterator[Any]:
    yield from each([record], lambda r: _parse_record(r, feed, origin=origin, unreadable=unreadable),
                    lambda r: str(r["id"]) if isinstance(r, dict) and isinstance(r.get("id"), str) else origin)


def _parse_record(record: Any, feed: str, *, origin: str = "", unreadable: str | None = None) -> Iterator[Any]:
    if unreadable is not None:
        yield Skipped(unreadable, origin)
        return
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        yield Skipped("not an OSV record (no id)", origin)
        return
    vuln_id = record["id"]
    if record.get("withdrawn"):
        yield Skipped("withdrawn", vuln_id)
        return
    advisories: list[Advisory] = []
    ignored: list[Skipped | Flagged] = []
    for affected in record.get("affected") or ():
        advisory, notes = _affected(record, affected, feed)
        if advisory is not None and advisory not in advisories:  # SUSE lists a package once per module shipping it
            advisories.append(advisory)
        ignored.extend(note if isinstance(note, Flagged) else Skipped(note.reason, note.record, whole=False)
                       for note in notes)
    yield from ignored
    related = record.get("related") or () if _ERRATA.match(vuln_id) else ()
    upstream = [str(u) for u in record.get("upstream") or ()]
    # A USN names its CVEs only as Ubuntu's per-CVE records, `UBUNTU-CVE-2024-6387`: the CVE is that id's tail.
    upstream += [u.removeprefix("UBUNTU-") for u in upstream if u.startswith("UBUNTU-CVE-")]
    aliases = tuple(dict.fromkeys(str(a) for a in (*(record.get("aliases") or ()), *upstream, *related)
                                  if a and a != vuln_id))
    cvss = _cvss(record.get("severity"), "osv")
    for affected in record.get("affected") or ():
        if isinstance(affected, dict):
            cvss.extend(c for c in _cvss(affected.get("severity"), "osv") if c not in cvss)
    yield VulnerabilityMeta(
        id=vuln_id, feed=feed, aliases=aliases,
        summary=record.get("summary") or None, description=record.get("details") or None,
        cvss=tuple(cvss), published=_text(record.get("published")), modified=_text(record.get("modified")),
        references=tuple(str(r["url"]) for r in record.get("references") or () if isinstance(r, dict) and r.get("url")),
    )
    yield from advisories


def _text(value: Any) -> str | None:
    if isinstance(value, datetime):  # YAML records carry real timestamps
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value else None


def _affected(record: dict[str, Any], affected: Any, feed: str) -> tuple[Advisory | None, list[Skipped | Flagged]]:
    vuln_id = record["id"]
    if not isinstance(affected, dict) or not isinstance(affected.get("package"), dict):
        return None, [Skipped("affected entry without a package", vuln_id)]
    package = affected["package"]
    ecosystem = str(package.get("ecosystem", ""))
    namespace = namespace_of(ecosystem)
    if namespace is None:
        return None, [Skipped(f"ecosystem {ecosystem.partition(':')[0] or '(none)'} not supported", vuln_id)]
    if not package.get("name"):
        return None, [Skipped("affected package without a name", vuln_id)]
    scheme = _scheme(namespace)
    ranges: list[AffectedRange] = []
    fixed: list[str] = []
    notes: list[Skipped | Flagged] = []
    flags: list[str] = []
    git = False
    for rng in affected.get("ranges") or ():
        rtype = rng.get("type") if isinstance(rng, dict) else None
        if rtype == "GIT":
            git = True
            continue
        if rtype not in ("ECOSYSTEM", "SEMVER"):
            # Kept undecidable (the matcher evaluates only ECOSYSTEM and SEMVER ranges): flagged, never dropped.
            flags.append(f"unknown range type {str(rtype)[:40]!r}")
        events = []
        raw_events = rng.get("events") if isinstance(rng, dict) else None
        for event in raw_events if isinstance(raw_events, list) else ():
            if not isinstance(event, dict) or len(event) != 1:
                flags.append("malformed range event")
                events.append(RangeEvent("malformed", str(event)[:200]))
                continue
            ((kind, version),) = event.items()
            version = str(version)
            if kind not in _EVENT_KINDS:
                flags.append(f"unknown range event {str(kind)[:40]!r}")
            elif not _valid(scheme, kind, version):
                flags.append(f"{namespace} version that does not parse ({kind})")
            events.append(RangeEvent(str(kind), version))
            if kind == "fixed":
                fixed.append(version)
        if not events:
            flags.append("range without events")
        ranges.append(AffectedRange(str(rtype), tuple(events)))
    versions = tuple(str(v) for v in affected.get("versions") or ())
    if not ranges and not versions:
        reason = "GIT range ignored" if git else "affected entry without ranges or versions"
        return None, [Skipped(reason, vuln_id)]
    severity, source = _vendor_severity(record, affected)
    advisory = Advisory(
        id=vuln_id, namespace=namespace, package=normalise_name(namespace, str(package["name"])),
        status=Status.FIXED if fixed else Status.AFFECTED, feed=feed,
        ranges=tuple(ranges), versions=versions, fixed_versions=tuple(dict.fromkeys(fixed)),
        severity=severity, severity_source=source,
    )
    if flags:
        notes.append(Flagged(flags[0], vuln_id))  # one count per advisory kept flagged, under its first reason
    if git:
        notes.append(Skipped("GIT range ignored", vuln_id, whole=False))
    return advisory, notes

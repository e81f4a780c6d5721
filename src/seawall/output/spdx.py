"""The inventory as SPDX 2.3 JSON.

Written as plain dicts: the document is a flat list of packages and relationships, and spdx-tools would pull in
rdflib and a dozen other dependencies to produce the same JSON.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

from license_expression import Licensing, get_spdx_licensing

from seawall import __version__
from seawall.model.sbom import SBOM, Distro, Package
from seawall.output import json_text
from seawall.output import sbom_properties as props
from seawall.output.cyclonedx import bom_refs

NOASSERTION = "NOASSERTION"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
IMAGE_ID = "SPDXRef-Image"
NAMESPACE_BASE = "https://seawall.dev/spdx/"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")
_EMAIL = re.compile(r"\s*<([^>]*)>\s*")


def render_spdx(sbom: SBOM, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    """SPDX 2.3 JSON: the image package DESCRIBED by the document, CONTAINING the distro and every package."""
    created = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tool = f"Tool: seawall-{__version__}"
    name = props.image_display_name(sbom.image)
    extracted: dict[str, str] = {}

    def annotations(pairs: props.Pairs) -> list[dict[str, str]]:
        return [
            {"annotator": tool, "annotationDate": created, "annotationType": "OTHER", "comment": f"{key}: {value}"}
            for key, value in pairs
        ]

    image_package: dict[str, Any] = {
        "name": name,
        "SPDXID": IMAGE_ID,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "externalRefs": [_purl_ref(props.image_purl(sbom.image))],
        "primaryPackagePurpose": "CONTAINER",
        "annotations": annotations(props.image_pairs(sbom.image)),
    }
    if sbom.image.digest:
        image_package["versionInfo"] = sbom.image.digest
    packages: list[dict[str, Any]] = [image_package]
    relationships = [_relationship(DOCUMENT_ID, "DESCRIBES", IMAGE_ID)]
    if sbom.distro is not None:
        os_package = _os_package(sbom.distro)
        os_package["annotations"] = annotations(props.distro_pairs(sbom.distro))
        packages.append(os_package)
        relationships.append(_relationship(IMAGE_ID, "CONTAINS", os_package["SPDXID"]))
    for package, ref in zip(sbom.packages, bom_refs(sbom.packages), strict=True):
        entry = _package(package, spdx_id(package, ref), extracted)
        entry["annotations"] = annotations(props.package_pairs(package, licenses=True))
        packages.append(entry)
        relationships.append(_relationship(IMAGE_ID, "CONTAINS", entry["SPDXID"]))

    document: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": name,
        "documentNamespace": f"{NAMESPACE_BASE}{quote(name, safe='')}-{serial or uuid4()}",
        "creationInfo": {"created": created, "creators": ["Organization: seawall", tool]},
        "packages": packages,
        "relationships": relationships,
    }
    if extracted:
        document["hasExtractedLicensingInfos"] = [
            {"licenseId": license_id, "extractedText": text, "name": text}
            for license_id, text in sorted(extracted.items())
        ]
    if sbom.unknowns:
        document["annotations"] = annotations(props.unknown_pairs(sbom.unknowns))
    return json_text.dumps(document, ensure_ascii=False) + "\n"


def spdx_id(package: Package, ref: str) -> str:
    """`SPDXRef-Package-deb-libssl3-<16 hex of the bom-ref>`: readable and unique within the document."""
    digest = hashlib.sha256(ref.encode()).hexdigest()[:16]
    readable = _UNSAFE_ID.sub("-", f"{package.type}-{package.name}").strip("-")
    return f"SPDXRef-Package-{readable}-{digest}"


def _os_package(distro: Distro) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": distro.id,
        "SPDXID": "SPDXRef-OperatingSystem-" + _UNSAFE_ID.sub("-", f"{distro.id}-{distro.version_id or ''}").strip("-"),
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "primaryPackagePurpose": "OPERATING-SYSTEM",
    }
    if distro.version_id:
        entry["versionInfo"] = distro.version_id
    if distro.pretty_name:
        entry["description"] = distro.pretty_name
    return entry


def _package(package: Package, identifier: str, extracted: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": package.name,
        "SPDXID": identifier,
        "versionInfo": package.version,
        "supplier": _agent(package.maintainer),
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": False,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": license_expression(package.licenses, extracted),
        "copyrightText": NOASSERTION,
        "primaryPackagePurpose": "LIBRARY",
    }
    if package.source_name:
        # Trivy's wording, so tools that read Trivy's SPDX find the source package too.
        source = f"{package.source_name} {package.source_version or package.version}"
        entry["sourceInfo"] = f"built package from: {source}"
    if package.purl:
        entry["externalRefs"] = [_purl_ref(package.purl)]
    if package.cpe:
        entry.setdefault("externalRefs", []).append(
            {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": package.cpe})
    return entry


def license_expression(values: tuple[str, ...], extracted: dict[str, str]) -> str:
    """One SPDX expression for all of a package's licenses; free text becomes a LicenseRef kept in the document."""
    if not values:
        return NOASSERTION
    parts: list[str] = []
    for value in values:
        normalised = _spdx_expression(value)
        if normalised is None:
            license_id = "LicenseRef-" + (_UNSAFE_ID.sub("-", value).strip("-") or "unnamed")
            if extracted.get(license_id, value) != value:
                license_id += "-" + hashlib.sha256(value.encode()).hexdigest()[:8]
            extracted[license_id] = value
            normalised = license_id
        parts.append(normalised)
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(part if " " not in part else f"({part})" for part in dict.fromkeys(parts))


@cache
def _licensing() -> Licensing:
    return get_spdx_licensing()


@cache
def _spdx_expression(value: str) -> str | None:
    try:
        info = _licensing().validate(value)
    except Exception:  # the library itself fails on some strings ("MIT/X11", URLs): not an SPDX expression
        return None
    if info.errors or info.invalid_symbols or not info.normalized_expression:
        return None
    return info.normalized_expression


def _agent(maintainer: str | None) -> str:
    """`Person: name (email)`, the SPDX agent syntax, from `name <email>`."""
    if not maintainer:
        return NOASSERTION
    text = _EMAIL.sub(lambda match: f" ({match.group(1)})", maintainer).strip()
    return f"Person: {' '.join(text.split())}"


def _purl_ref(purl: str) -> dict[str, str]:
    return {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}


def _relationship(element: str, kind: str, related: str) -> dict[str, str]:
    return {"spdxElementId": element, "relatedSpdxElement": related, "relationshipType": kind}

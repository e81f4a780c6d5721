"""SPDX 2.x JSON (from Syft, Trivy, seawall or anything that lists purls) → the inventory."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from seawall.errors import InputError
from seawall.model.sbom import SBOM, Distro, Location, Package
from seawall.output import sbom_properties as props
from seawall.reports import sbom_interop as interop

DOCUMENT_ID = "SPDXRef-DOCUMENT"
_NO_VALUE = ("NOASSERTION", "NONE", "")
_BUILT_FROM = "built package from: "  # Trivy's (and seawall's) sourceInfo for OS packages
_OWNERSHIP = "ownership-by-file-overlap"  # Syft's OTHER relationship: an OS package owns a language package's files


def read_spdx(data: dict[str, Any], origin: str) -> SBOM:
    version = data.get("spdxVersion")
    if not isinstance(version, str) or not version.startswith("SPDX-2."):
        raise InputError(
            f"{origin}: SPDX version {version!r} is not supported (seawall reads SPDX 2.x JSON)",
            remedy="exporting the SBOM as SPDX 2.3 JSON",
        )
    entries = _list(data, "packages", origin)
    by_id: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("SPDXID"), str):
            raise InputError(f"{origin}: package #{position + 1} has no SPDXID", remedy="a valid SPDX 2.3 JSON file")
        if not isinstance(entry.get("name"), str):
            raise InputError(f"{origin}: package {entry['SPDXID']} has no name", remedy="a valid SPDX 2.3 JSON file")
        by_id[entry["SPDXID"]] = entry
    relationships = [item for item in _list(data, "relationships", origin) if isinstance(item, dict)]
    root = _root(data, relationships, by_id)
    tool = _tool_name(data)
    image = interop.image_from_facts(
        origin,
        _pairs(root),
        name=_text(root.get("name")),
        version=_text(root.get("versionInfo")),
        purl=_purl(root),
    )
    indexes = interop.layer_indexes(image)
    extracted = _extracted_licenses(data)
    distro: Distro | None = None
    packages: dict[str, Package] = {}
    for spdx_id, entry in by_id.items():
        if entry is root:
            continue
        pairs = _pairs(entry)
        if entry.get("primaryPackagePurpose") == "OPERATING-SYSTEM":
            distro = distro or _distro(entry, pairs)
            continue
        purl = _purl(entry)
        licenses = _licenses(entry, extracted)
        if props.is_seawall_package(pairs):
            packages[spdx_id] = props.package_from_pairs(
                entry["name"], _text(entry.get("versionInfo")) or "", purl, pairs, licenses
            )
            continue
        if not purl:
            continue
        package = interop.package_from_facts(_facts(entry, pairs, purl, licenses, tool), indexes)
        if package is not None:
            packages[spdx_id] = package
    _apply_ownership(packages, relationships)
    if distro is None and not props.is_seawall_image(_pairs(root)):
        distro = interop.distro_from_qualifier(package.purl for package in packages.values() if package.purl)
    unknowns = props.unknowns_from_pairs(_pairs(data))
    return SBOM(image=image, distro=distro, packages=tuple(packages.values()), unknowns=unknowns)


def _root(
    data: dict[str, Any], relationships: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The package the document DESCRIBES: the image (seawall, Trivy), Syft's DocumentRoot, or nothing."""
    described = [
        item.get("relatedSpdxElement")
        for item in relationships
        if item.get("spdxElementId") == DOCUMENT_ID and item.get("relationshipType") == "DESCRIBES"
    ]
    described += [item for item in data.get("documentDescribes") or () if isinstance(item, str)]
    for spdx_id in described:
        if isinstance(spdx_id, str) and spdx_id in by_id:
            return by_id[spdx_id]
    return {}


def _facts(
    entry: dict[str, Any], pairs: list[tuple[str, str]], purl: str, licenses: tuple[str, ...], tool: str
) -> interop.Facts:
    single: dict[str, str] = {}
    for key, value in pairs:
        single.setdefault(key, value)
    source_name = source_version = None
    locations: list[Location] = []
    info = _text(entry.get("sourceInfo")) or ""
    if info.startswith(_BUILT_FROM):
        source_name, _, rest = info[len(_BUILT_FROM) :].strip().partition(" ")
        source_version = rest.strip() or None
    elif info.startswith(("acquired package info from", "package found in:")) and ": " in info:
        # Syft: "acquired package info from DPKG DB: /var/lib/dpkg/status, …"; Trivy: "package found in: usr/bin/x".
        paths = info.split(": ", 1)[1].split(", ")
        locations = [Location("/" + path.strip().lstrip("/")) for path in paths if path.strip()]
    found_by = f"trivy:{single['PkgType']}" if "PkgType" in single else tool
    return interop.Facts(
        purl=purl,
        name=entry["name"],
        version=_text(entry.get("versionInfo")),
        found_by=found_by,
        licenses=licenses,
        maintainer=_text(entry.get("supplier")) or _text(entry.get("originator")),
        source_name=source_name or None,
        source_version=source_version,
        layer_diff_id=single.get("LayerDiffID"),
        locations=locations,
    )


def _apply_ownership(packages: dict[str, Package], relationships: list[dict[str, Any]]) -> None:
    for item in relationships:
        if item.get("relationshipType") != "OTHER" or not str(item.get("comment", "")).startswith(_OWNERSHIP):
            continue
        parent, child = packages.get(item.get("spdxElementId", "")), item.get("relatedSpdxElement", "")
        if parent is not None and parent.purl and child in packages and packages[child].owned_by is None:
            packages[child] = replace(packages[child], owned_by=parent.purl)


def _distro(entry: dict[str, Any], pairs: list[tuple[str, str]]) -> Distro | None:
    if own := props.distro_from_pairs(dict(reversed(pairs))):
        return own
    name = _text(entry.get("name"))
    if not name:
        return None
    return Distro(
        id=name.lower(), version_id=_text(entry.get("versionInfo")), pretty_name=_text(entry.get("description"))
    )


def _licenses(entry: dict[str, Any], extracted: dict[str, str]) -> tuple[str, ...]:
    for key in ("licenseDeclared", "licenseConcluded"):
        value = _text(entry.get(key))
        if value and value not in _NO_VALUE:
            return (extracted.get(value, value),)
    return ()


def _extracted_licenses(data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in data.get("hasExtractedLicensingInfos") or ():
        if isinstance(item, dict) and isinstance(item.get("licenseId"), str):
            text = _text(item.get("name")) or _text(item.get("extractedText"))
            if text:
                out[item["licenseId"]] = text
    return out


def _pairs(element: dict[str, Any]) -> list[tuple[str, str]]:
    """Annotations written `Key: value` (Trivy's and seawall's convention) as name/value pairs."""
    out: list[tuple[str, str]] = []
    for annotation in element.get("annotations") or ():
        comment = annotation.get("comment") if isinstance(annotation, dict) else None
        if isinstance(comment, str) and ": " in comment:
            key, _, value = comment.partition(": ")
            out.append((key.strip(), value))
    return out


def _purl(entry: dict[str, Any]) -> str | None:
    for ref in entry.get("externalRefs") or ():
        if (
            isinstance(ref, dict)
            and ref.get("referenceType") == "purl"
            and isinstance(ref.get("referenceLocator"), str)
        ):
            return ref["referenceLocator"]
    return None


def _tool_name(data: dict[str, Any]) -> str:
    creation = data.get("creationInfo")
    if not isinstance(creation, dict):
        creation = {}
    for creator in creation.get("creators") or ():
        if isinstance(creator, str) and creator.startswith("Tool:"):
            name = creator[len("Tool:") :].strip()
            return name.rsplit("-", 1)[0] if "-" in name else name
    return "sbom"


def _list(data: dict[str, Any], key: str, origin: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise InputError(f"{origin}: SPDX `{key}` is not a list", remedy="a valid SPDX 2.3 JSON file")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

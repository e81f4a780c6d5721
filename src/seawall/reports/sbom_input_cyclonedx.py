"""CycloneDX JSON (1.2–1.6, from Syft, Trivy, seawall or anything that writes purls) → the inventory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from seawall.errors import InputError
from seawall.model.sbom import SBOM, Distro, Location, Package
from seawall.output import sbom_properties as props
from seawall.reports import sbom_interop as interop

_SYFT_LOCATION = re.compile(r"^syft:location:(\d+):(path|layerID)$")
MAX_DEPTH = 32


def read_cyclonedx(data: dict[str, Any], origin: str) -> SBOM:
    if not isinstance(data.get("specVersion"), str):
        raise InputError(f"{origin}: CycloneDX document without specVersion", remedy="a complete CycloneDX JSON file")
    metadata = _object(data.get("metadata"), origin, "metadata")
    root = _object(metadata.get("component"), origin, "metadata.component")
    tool = _tool_name(metadata)
    image = interop.image_from_facts(
        origin, _pairs(root), name=_text(root.get("name")), version=_text(root.get("version")), purl=root.get("purl")
    )
    indexes = interop.layer_indexes(image)
    distro: Distro | None = None
    packages: list[Package] = []
    components = data.get("components") or []
    if not isinstance(components, list):
        raise InputError(f"{origin}: CycloneDX `components` is not a list", remedy="a valid CycloneDX JSON file")
    for position, component in enumerate(_walk(components, origin)):
        name = component.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(f"{origin}: component #{position + 1} has no name", remedy="a valid CycloneDX JSON file")
        pairs = _pairs(component)
        if component.get("type") == "operating-system":
            distro = distro or _distro(component, pairs)
            continue
        version = _text(component.get("version")) or ""
        purl = _text(component.get("purl"))
        if props.is_seawall_package(pairs):
            packages.append(props.package_from_pairs(name, version, purl, pairs, _licenses(component)))
            continue
        if not purl:
            continue  # Trivy's per-binary `application` components and other containers of packages
        package = interop.package_from_facts(_facts(component, pairs, purl, name, version, tool), indexes)
        if package is not None:
            packages.append(package)
    if distro is None and not props.is_seawall_image(_pairs(root)):
        distro = interop.distro_from_qualifier(package.purl for package in packages if package.purl)
    unknowns = props.unknowns_from_pairs(_pairs(metadata))
    return SBOM(image=image, distro=distro, packages=tuple(packages), unknowns=unknowns)


def _facts(
    component: dict[str, Any], pairs: list[tuple[str, str]], purl: str, name: str, version: str, tool: str
) -> interop.Facts:
    single: dict[str, str] = {}
    for key, value in pairs:
        single.setdefault(key, value)
    source_name, source_version = _source(single)
    supplier = component.get("supplier")
    maintainer = _text(component.get("publisher")) or (
        _text(supplier.get("name")) if isinstance(supplier, dict) else None
    )
    found_by = single.get("syft:package:foundBy") or (
        f"trivy:{single['aquasecurity:trivy:PkgType']}" if "aquasecurity:trivy:PkgType" in single else tool
    )
    return interop.Facts(
        purl=purl,
        name=name,
        version=version,
        found_by=found_by,
        licenses=_licenses(component),
        maintainer=maintainer,
        source_name=source_name,
        source_version=source_version,
        layer_diff_id=single.get("aquasecurity:trivy:LayerDiffID"),
        locations=_locations(pairs),
    )


def _source(single: dict[str, str]) -> tuple[str | None, str | None]:
    if name := single.get("aquasecurity:trivy:SrcName"):
        version = interop.trivy_source_version(
            single.get("aquasecurity:trivy:SrcVersion"),
            single.get("aquasecurity:trivy:SrcRelease"),
            single.get("aquasecurity:trivy:SrcEpoch"),
        )
        return name, version
    if name := single.get("syft:metadata:source") or single.get("syft:metadata:originPackage"):
        return name, single.get("syft:metadata:sourceVersion")
    if rpm := single.get("syft:metadata:sourceRpm"):
        return interop.parse_upstream(rpm, "rpm")
    return None, None


def _locations(pairs: list[tuple[str, str]]) -> list[Location]:
    found: dict[int, dict[str, str]] = {}
    paths: list[Location] = []
    for key, value in pairs:
        if match := _SYFT_LOCATION.match(key):
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
        elif key == "aquasecurity:trivy:FilePath" and value:
            paths.append(Location("/" + value.lstrip("/")))
    paths += [
        Location(fields["path"], None, fields.get("layerID")) for _, fields in sorted(found.items()) if "path" in fields
    ]
    return paths


def _distro(component: dict[str, Any], pairs: list[tuple[str, str]]) -> Distro | None:
    single = dict(reversed(pairs))
    if own := props.distro_from_pairs(single):
        return own
    distro_id = single.get("syft:distro:id") or _text(component.get("name"))
    if not distro_id:
        return None
    return Distro(
        id=distro_id.lower(),
        version_id=single.get("syft:distro:versionID") or _text(component.get("version")),
        codename=single.get("syft:distro:versionCodename"),
        pretty_name=single.get("syft:distro:prettyName") or _text(component.get("description")),
        id_like=tuple(single.get("syft:distro:idLike", "").replace(",", " ").split()),
    )


def _licenses(component: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for choice in component.get("licenses") or ():
        if not isinstance(choice, dict):
            continue
        if isinstance(choice.get("expression"), str):
            out.append(choice["expression"])
        elif isinstance(choice.get("license"), dict):
            license_ = choice["license"]
            value = _text(license_.get("id")) or _text(license_.get("name"))
            if value:
                out.append(value)
    return tuple(out)


def _walk(components: list[Any], origin: str, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > MAX_DEPTH:
        raise InputError(f"{origin}: components nested more than {MAX_DEPTH} deep", remedy="a flatter SBOM")
    for component in components:
        if not isinstance(component, dict):
            raise InputError(f"{origin}: a component is not an object", remedy="a valid CycloneDX JSON file")
        yield component
        nested = component.get("components")
        if isinstance(nested, list):
            yield from _walk(nested, origin, depth + 1)


def _pairs(element: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for prop in element.get("properties") or ():
        if isinstance(prop, dict) and isinstance(prop.get("name"), str):
            value = prop.get("value")
            out.append((prop["name"], value if isinstance(value, str) else ""))
    return out


def _tool_name(metadata: dict[str, Any]) -> str:
    tools = metadata.get("tools")
    if isinstance(tools, dict):
        tools = tools.get("components")
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                return tool["name"]
    return "sbom"


def _object(value: Any, origin: str, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{origin}: CycloneDX `{where}` is not an object", remedy="a valid CycloneDX JSON file")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

"""The inventory as CycloneDX 1.6 JSON: the image as metadata.component, one component per package, the distro as an OS.

Written as plain dicts in the order cyclonedx-python-lib would write them (keys alphabetical, collections sorted the
way its model sorts them), so the bytes match a document the library serialised; the tests hold every document to
the library's strict 1.6 schema validator.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID, uuid4

from seawall import __version__
from seawall.model.sbom import SBOM, Distro, Package
from seawall.output import json_text, license_kinds
from seawall.output import sbom_properties as props

SPEC_VERSION = "1.6"
SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"

Document = dict[str, Any]


def render_cyclonedx(sbom: SBOM, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    return dump(inventory_document(sbom, now=now, serial=serial))


def dump(document: Document) -> str:
    return json_text.dumps(document) + "\n"


def inventory_document(sbom: SBOM, *, now: datetime | None = None, serial: UUID | None = None) -> Document:
    """The document as dicts; the scan writer adds its `vulnerabilities` to it before dumping."""
    # Built by hand: cyclonedx-python-lib's object model and serializer cost ~0.25 s per 300 components.
    image_ref = props.image_purl(sbom.image)
    image = compact(
        ("bom-ref", image_ref),
        ("name", props.image_display_name(sbom.image)),
        ("properties", properties(props.image_pairs(sbom.image))),
        ("purl", image_ref),
        ("type", "container"),
        ("version", sbom.image.digest),
    )
    metadata = compact(
        ("component", image),
        ("properties", properties(props.unknown_pairs(sbom.unknowns))),
        ("timestamp", timestamp(now or datetime.now(UTC))),
        ("tools", {"components": [{"name": "seawall", "type": "application", "version": __version__}]}),
    )
    # Sorted as the library sorts components (type, name, version, bom-ref): every package is a `library`.
    ordered = sorted(zip(bom_refs(sbom.packages), sbom.packages, strict=True),
                     key=lambda item: (item[1].name, item[1].version, item[0]))
    packages = [_package_component(package, ref) for ref, package in ordered]
    if (kinds := license_kinds.memo()) is not None:
        kinds.save()
    components = packages + ([_os_component(sbom.distro)] if sbom.distro is not None else [])
    component_refs = sorted(component["bom-ref"] for component in components)
    dependencies = [{"ref": ref} for ref in component_refs]
    dependencies.append(compact(("dependsOn", component_refs), ("ref", image_ref)))
    dependencies.sort(key=lambda dependency: dependency["ref"])
    return compact(
        ("components", components),
        ("dependencies", dependencies),
        ("metadata", metadata),
        ("serialNumber", f"urn:uuid:{serial or uuid4()}"),
        ("version", 1),
        ("$schema", SCHEMA_URI),
        ("bomFormat", "CycloneDX"),
        ("specVersion", SPEC_VERSION),
    )


def bom_refs(packages: Iterable[Package]) -> list[str]:
    """One unique reference per package: its purl when that is unique, else the purl with a `#n` suffix."""
    seen: dict[str, int] = {}
    refs: list[str] = []
    for package in packages:
        base = package.purl or f"seawall:{package.type}/{package.name}@{package.version}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        refs.append(base if count == 0 else f"{base}#{count}")
    return refs


def properties(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """CycloneDX properties form a set: sorted by name then value, each pair once."""
    return [{"name": name, "value": value} for name, value in sorted(set(pairs))]


def timestamp(moment: datetime) -> str:
    """ISO 8601 with its offset, which CycloneDX requires; a naive time is taken as local."""
    return (moment.astimezone() if moment.tzinfo is None else moment).isoformat()


def _package_component(package: Package, ref: str) -> Document:
    return compact(
        ("bom-ref", ref),
        ("cpe", package.cpe),
        ("licenses", component_licenses(package.licenses)),
        ("name", package.name),
        # With several licenses they are written sorted; the pairs keep the order the package declared.
        ("properties", properties(props.package_pairs(package, licenses=len(package.licenses) > 1))),
        ("publisher", package.maintainer),
        ("purl", package.purl),
        ("type", "library"),
        ("version", package.version),
    )


def _os_component(distro: Distro) -> Document:
    return compact(
        ("bom-ref", f"os:{distro.id}@{distro.version_id or ''}"),
        ("description", distro.pretty_name),
        ("name", distro.id),
        ("properties", properties(props.distro_pairs(distro))),
        ("type", "operating-system"),
        ("version", distro.version_id),
    )


def component_licenses(values: tuple[str, ...]) -> list[dict[str, Any]]:
    """One SPDX expression, or several single licenses (by SPDX id, else by name): CycloneDX allows no mix."""
    if len(values) == 1:
        kind, text = license_kind(values[0])
        return [{"expression": text}] if kind == "expression" else [{"license": {kind: text}}]
    singles = set()
    for value in values:
        kind, text = license_kind(value)
        singles.add((text, None) if kind == "id" else (None, value))
    # Sorted as the CycloneDX model sorts them: SPDX ids first, then names.
    ordered = sorted(singles, key=lambda item: (item[0] is None, item[0] or "", item[1] or ""))
    return [{"license": {"id": spdx_id} if spdx_id else {"name": name}} for spdx_id, name in ordered]


@cache
def license_kind(value: str) -> tuple[str, str]:
    """`("id", canonical id)`, `("expression", value)` or `("name", value)`: the choice the library's factory makes."""
    memo = license_kinds.memo()
    if memo is not None and (known := memo.get(value)) is not None:
        return known
    kind = _classify(value)
    if memo is not None:
        memo.put(value, kind)
    return kind


def _classify(value: str) -> tuple[str, str]:
    from cyclonedx.spdx import fixup_id, is_expression  # loads the SPDX licence list: only when a licence is written

    if (spdx_id := fixup_id(value)) is not None:
        return "id", spdx_id
    if is_expression(value):
        return "expression", value
    return "name", value


def compact(*items: tuple[str, Any]) -> Document:
    """A JSON object without the members that have no value, as the library leaves out None and empty lists."""
    return {key: value for key, value in items if value is not None and value != []}

"""The inventory as CycloneDX 1.6 JSON, built with cyclonedx-python-lib so the output follows its schema."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from seawall import __version__
from seawall.model.sbom import SBOM, Distro, Package
from seawall.output import sbom_properties as props

try:
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:  # cyclonedx-python-lib before 11 kept it here
    from cyclonedx.factory.license import LicenseFactory  # type: ignore[no-redef]

_licenses = LicenseFactory()


def render_cyclonedx(sbom: SBOM, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    """CycloneDX 1.6 JSON: the image as metadata.component, one component per package, the distro as an OS."""
    image = Component(
        type=ComponentType.CONTAINER,
        name=props.image_display_name(sbom.image),
        version=sbom.image.digest,
        purl=verbatim_purl(props.image_purl(sbom.image)),
        bom_ref=props.image_purl(sbom.image),
        properties=_properties(props.image_pairs(sbom.image)),
    )
    metadata = BomMetaData(
        timestamp=now or datetime.now(UTC),
        tools=ToolRepository(
            components=[Component(type=ComponentType.APPLICATION, name="seawall", version=__version__)]
        ),
        component=image,
        properties=_properties(props.unknown_pairs(sbom.unknowns)),
    )
    components: list[Component] = []
    if sbom.distro is not None:
        components.append(_os_component(sbom.distro))
    refs = bom_refs(sbom.packages)
    components += [_package_component(package, ref) for package, ref in zip(sbom.packages, refs, strict=True)]
    # Built directly: Bom.register_dependency searches the whole graph per call, quadratic in the package count.
    dependencies = [Dependency(ref=image.bom_ref, dependencies=[Dependency(ref=c.bom_ref) for c in components])]
    dependencies += [Dependency(ref=component.bom_ref) for component in components]
    bom = Bom(serial_number=serial or uuid4(), metadata=metadata, components=components, dependencies=dependencies)
    with warnings.catch_warnings():
        # The library warns about components without dependencies of their own; an inventory has no such graph.
        warnings.simplefilter("ignore")
        return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


class _VerbatimPurl(PackageURL):
    """A purl that serialises exactly as the catalogers wrote it; re-encoding would change what readers match on."""

    _text: str

    def to_string(self, encode: bool | None = True) -> str:
        return self._text


def verbatim_purl(text: str) -> PackageURL:
    purl = _VerbatimPurl(*PackageURL.from_string(text))
    purl._text = text
    return purl


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


def _os_component(distro: Distro) -> Component:
    return Component(
        type=ComponentType.OPERATING_SYSTEM,
        name=distro.id,
        version=distro.version_id,
        description=distro.pretty_name,
        bom_ref=f"os:{distro.id}@{distro.version_id or ''}",
        properties=_properties(props.distro_pairs(distro)),
    )


def _package_component(package: Package, ref: str) -> Component:
    return Component(
        type=ComponentType.LIBRARY,
        name=package.name,
        version=package.version,
        purl=verbatim_purl(package.purl) if package.purl else None,
        bom_ref=ref,
        publisher=package.maintainer,
        licenses=_component_licenses(package.licenses),
        # With several licenses the library reorders them; the pairs keep the order the package declared.
        properties=_properties(props.package_pairs(package, licenses=len(package.licenses) > 1)),
    )


def _component_licenses(values: tuple[str, ...]) -> list[LicenseExpression | DisjunctiveLicense]:
    made = [_licenses.make_from_string(value) for value in values]
    if len(made) <= 1:
        return made
    # CycloneDX allows one expression or several single licenses, never a mix: keep each text as a named license.
    return [item if isinstance(item, DisjunctiveLicense) else _licenses.make_with_name(item.value) for item in made]


def _properties(pairs: Iterable[tuple[str, str]]) -> list[Property]:
    return [Property(name=name, value=value) for name, value in pairs]

"""What other tools' SBOMs say, in seawall's terms: purls to packages, source packages, distros and images.

Shared by the CycloneDX and SPDX readers. Syft and Trivy spell the same facts differently: Syft puts the source
package in the purl (`upstream=openssl`, `upstream=bash%405.2.15-2`) and in `syft:metadata:source*` properties,
Trivy in `aquasecurity:trivy:Src*` properties (version and release apart) or SPDX `sourceInfo`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from packageurl import PackageURL

from seawall.errors import SeawallError
from seawall.image.reference import parse_reference
from seawall.model.ecosystem import ECOSYSTEMS, OS_PACKAGE_TYPES, ecosystem
from seawall.model.image import Image, ImageRef, Layer, Platform
from seawall.model.sbom import Distro, Location, Package
from seawall.output import sbom_properties as props

# purl type → seawall package type; anything else is kept as `binary` with its purl intact.
PACKAGE_TYPES: dict[str, str] = {row.purl_type: row.type.value for row in ECOSYSTEMS}
OS_TYPES = OS_PACKAGE_TYPES
_EPOCH_PREFIX = re.compile(r"^(\d+):(.+)$")
_SOURCE_RPM = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+?)(?:\.src)?\.rpm$")
_AGENT = re.compile(r"^(?:Person|Organization|Tool):\s*")


@dataclass
class Facts:
    """One package as a foreign document describes it, before it becomes a `Package`."""

    purl: str
    name: str | None = None
    version: str | None = None
    found_by: str = "sbom"
    licenses: tuple[str, ...] = ()
    maintainer: str | None = None
    source_name: str | None = None
    source_version: str | None = None
    layer_diff_id: str | None = None
    locations: list[Location] = field(default_factory=list)


def parse_purl(text: str | None) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def package_from_facts(facts: Facts, layer_indexes: dict[str, int] | None = None) -> Package | None:
    """A seawall package, or None when the purl is not one (Syft's `pkg:oci//path`, a truncated string…)."""
    purl = parse_purl(facts.purl)
    if purl is None or not purl.name:
        return None
    kind = PACKAGE_TYPES.get(purl.type, "binary")
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    version, epoch = _version(purl, facts.version, kind)
    source_name, source_version = facts.source_name, facts.source_version
    if kind in OS_TYPES:
        if not source_name and qualifiers.get("upstream"):
            source_name, source_version = parse_upstream(qualifiers["upstream"], kind)
        source_name = source_name or purl.name
        source_version = source_version or version
    layer_index = (layer_indexes or {}).get(facts.layer_diff_id or "")
    locations = tuple(
        Location(loc.path, (layer_indexes or {}).get(loc.layer_diff_id or ""), loc.layer_diff_id)
        for loc in facts.locations
    )
    return Package(
        name=_name(purl, facts.name, kind),
        version=version,
        type=kind,
        found_by=facts.found_by,
        purl=facts.purl,
        locations=locations,
        licenses=facts.licenses,
        arch=qualifiers.get("arch") or None,
        source_name=source_name,
        source_version=source_version,
        epoch=epoch,
        maintainer=agent_name(facts.maintainer),
        layer_index=layer_index,
        layer_diff_id=facts.layer_diff_id or (locations[0].layer_diff_id if locations else None),
    )


def _name(purl: PackageURL, given: str | None, kind: str) -> str:
    """The name advisories use: `group:artifact` for Maven, `@scope/name` for npm, the module path for Go."""
    namespace = purl.namespace or ""
    row = ecosystem(kind)
    if row is not None and row.advisory_name == "purl:" and namespace:
        return f"{namespace}:{purl.name}"
    if row is not None and row.advisory_name == "purl/" and namespace:
        return f"{namespace}/{purl.name}"
    if kind in OS_TYPES:
        return purl.name
    return given or purl.name


def _version(purl: PackageURL, given: str | None, kind: str) -> tuple[str, int | None]:
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    epoch_text = qualifiers.get("epoch")
    if kind == "go-module":
        return purl.version or given or "", None
    version = given or purl.version or ""
    if kind == "rpm":
        if match := _EPOCH_PREFIX.match(version):
            epoch_text, version = epoch_text or match.group(1), match.group(2)
        return version, int(epoch_text) if epoch_text and epoch_text.isdigit() else None
    if kind == "deb" and epoch_text and epoch_text.isdigit() and not _EPOCH_PREFIX.match(version):
        # Trivy moves a dpkg epoch into the purl's qualifiers; the dpkg version string carries it.
        version = f"{epoch_text}:{version}"
    return version, None


def parse_upstream(value: str, kind: str) -> tuple[str, str | None]:
    """`openssl` → (openssl, None); `bash@5.2.15-2` → (bash, 5.2.15-2); `openssl-3.0.7-24.el9.src.rpm` for rpm."""
    if kind == "rpm" and (match := _SOURCE_RPM.match(value)):
        return match.group("name"), f"{match.group('version')}-{match.group('release')}"
    name, _, version = value.partition("@")
    return name, version or None


def trivy_source_version(version: str | None, release: str | None, epoch: str | None) -> str | None:
    """Trivy splits a dpkg source version into SrcEpoch, SrcVersion and SrcRelease."""
    if not version:
        return None
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch and epoch != "0" else text


def agent_name(value: str | None) -> str | None:
    """`Person: Name (email)` / `Organization: …` / plain text → the name as written; NOASSERTION → None."""
    if not value or value in ("NOASSERTION", "NONE"):
        return None
    return _AGENT.sub("", value).strip() or None


def distro_from_qualifier(purls: Iterable[str]) -> Distro | None:
    """`distro=debian-12` / `distro=alpine-3.19.1` / Trivy's older `distro=3.15.0` on the first OS purl."""
    for text in purls:
        purl = parse_purl(text)
        if purl is None or purl.type not in OS_TYPES or not isinstance(purl.qualifiers, dict):
            continue
        value = purl.qualifiers.get("distro")
        if not value:
            continue
        distro_id, _, version = value.rpartition("-")
        if not distro_id or not version[:1].isdigit():
            distro_id, version = (purl.namespace or purl.type), value
        return Distro(id=distro_id.lower(), version_id=version or None)
    return None


def layer_indexes(image: Image) -> dict[str, int]:
    return {layer.diff_id: layer.index for layer in image.layers}


def image_from_facts(
    origin: str,
    pairs: list[tuple[str, str]],
    *,
    name: str | None = None,
    version: str | None = None,
    purl: str | None = None,
) -> Image:
    """The image a document describes: exact from seawall's own pairs, best effort from Syft's and Trivy's."""
    single: dict[str, str] = {}
    repo_digests: list[str] = []
    for key, value in pairs:
        if key in (props.IMAGE + "repoDigest", "aquasecurity:trivy:RepoDigest", "RepoDigest"):
            repo_digests.append(value)
        single.setdefault(key, value)
    parsed = parse_purl(purl)
    qualifiers = parsed.qualifiers if parsed is not None and isinstance(parsed.qualifiers, dict) else {}
    if props.IMAGE + "transport" in single:
        return _seawall_image(origin, single, pairs, repo_digests)
    ref = (
        _reference(single.get("aquasecurity:trivy:RepoTag") or single.get("RepoTag"))
        or _reference_from_purl(parsed, qualifiers)
        or _reference(name)
    )
    digest = version if version and version.startswith("sha256:") else None
    if digest is None and repo_digests:
        digest = repo_digests[0].rpartition("@")[2] or None
    if digest is None and parsed is not None and parsed.version and parsed.version.startswith("sha256:"):
        digest = parsed.version
    return Image(
        source=f"sbom:{origin}",
        transport="sbom",
        ref=ref,
        digest=digest,
        index_digest=None,
        platform=Platform(architecture=qualifiers.get("arch") or Platform().architecture),
        manifest_media_type=None,
        config_digest=single.get("aquasecurity:trivy:ImageID") or single.get("ImageID"),
        repo_digests=tuple(repo_digests),
    )


def _seawall_image(origin: str, single: dict[str, str], pairs: list[tuple[str, str]], repo: list[str]) -> Image:
    layers = tuple(
        Layer(
            index=index,
            digest=fields.get("digest", ""),
            diff_id=fields.get("diffID", ""),
            size=int(fields["size"]) if fields.get("size", "").isdigit() else 0,
            media_type=fields.get("mediaType", ""),
            created_by=fields.get("createdBy", ""),
            created=fields.get("created"),
        )
        for index, fields in sorted(props.image_layer_fields(pairs).items())
    )
    platform_parts = single.get(props.IMAGE + "platform", "").split("/")
    platform = Platform(
        os=platform_parts[0] or "linux",
        architecture=platform_parts[1] if len(platform_parts) > 1 else Platform().architecture,
        variant=platform_parts[2] if len(platform_parts) > 2 else None,
    )
    created = single.get(props.IMAGE + "created")
    return Image(
        source=f"sbom:{origin}",
        transport="sbom",
        ref=_reference(single.get(props.IMAGE + "ref")),
        digest=single.get(props.IMAGE + "digest"),
        index_digest=single.get(props.IMAGE + "indexDigest"),
        platform=platform,
        manifest_media_type=single.get(props.IMAGE + "manifestMediaType"),
        config_digest=single.get(props.IMAGE + "configDigest"),
        config={"created": created} if created else {},
        layers=layers,
        repo_digests=tuple(repo),
    )


def _reference(text: str | None) -> ImageRef | None:
    if not text or text.startswith(("/", ".")) or "://" in text:
        return None
    try:
        return parse_reference(text)
    except SeawallError:
        return None


def _reference_from_purl(purl: PackageURL | None, qualifiers: dict[str, str]) -> ImageRef | None:
    if purl is None or purl.type != "oci" or not qualifiers.get("repository_url"):
        return None
    text = qualifiers["repository_url"]
    if qualifiers.get("tag"):
        text += f":{qualifiers['tag']}"
    return _reference(text)

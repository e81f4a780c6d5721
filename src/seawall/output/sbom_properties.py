"""seawall's facts as name/value pairs, the one vocabulary CycloneDX properties and SPDX annotations share.

The names are documented in docs/sbom-json.md; readers of seawall's CycloneDX and SPDX output rely on them, so a
name never changes meaning. Indexed names (`seawall:location:0:path`) follow Syft's `syft:location:0:path` style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from packageurl import PackageURL

from seawall.model.image import Image
from seawall.model.sbom import Distro, Location, Package, Unknown

PREFIX = "seawall:"
PACKAGE_TYPE = "seawall:package:type"
FOUND_BY = "seawall:package:foundBy"
ARCH = "seawall:package:arch"
SOURCE_NAME = "seawall:package:sourceName"
SOURCE_VERSION = "seawall:package:sourceVersion"
EPOCH = "seawall:package:epoch"
MAINTAINER = "seawall:package:maintainer"
OWNED_BY = "seawall:package:ownedBy"
VENDOR = "seawall:package:vendor"  # a third-party repository's vendor: the distribution does not judge it
CPE = "seawall:package:cpe"
COVERED = "seawall:package:covered"  # scan reports: "true" / "false", whether the DB could judge the package
LICENSE = "seawall:package:license:{index}"
LAYER_INDEX = "seawall:layer:index"
LAYER_DIFF_ID = "seawall:layer:diffID"
LAYER_CREATED_BY = "seawall:layer:createdBy"
LOCATION = "seawall:location:{index}:{field}"
METADATA = "seawall:metadata:"
UNKNOWN = "seawall:unknown:{index}"
DISTRO = "seawall:distro:"
IMAGE = "seawall:image:"
IMAGE_LAYER = "seawall:image:layer:{index}:{field}"

_LOCATION = re.compile(r"^seawall:location:(\d+):(path|layerIndex|layerDiffID)$")
_IMAGE_LAYER = re.compile(r"^seawall:image:layer:(\d+):(\w+)$")
_LICENSE = re.compile(r"^seawall:package:license:(\d+)$")
_UNKNOWN = re.compile(r"^seawall:unknown:(\d+)$")

Pairs = list[tuple[str, str]]


def package_pairs(package: Package, *, licenses: bool = False) -> Pairs:
    """Every seawall fact about a package that the format has no field of its own for."""
    pairs: Pairs = [(PACKAGE_TYPE, package.type), (FOUND_BY, package.found_by)]
    optional = (
        (ARCH, package.arch),
        (SOURCE_NAME, package.source_name),
        (SOURCE_VERSION, package.source_version),
        (EPOCH, None if package.epoch is None else str(package.epoch)),
        (MAINTAINER, package.maintainer),
        (OWNED_BY, package.owned_by),
        (VENDOR, package.vendor),
        (CPE, package.cpe),
        (COVERED, None if package.covered is None else str(package.covered).lower()),
        (LAYER_INDEX, None if package.layer_index is None else str(package.layer_index)),
        (LAYER_DIFF_ID, package.layer_diff_id),
        (LAYER_CREATED_BY, package.created_by),
    )
    pairs += [(name, value) for name, value in optional if value is not None]
    if licenses:
        pairs += [(LICENSE.format(index=index), value) for index, value in enumerate(package.licenses)]
    for index, location in enumerate(package.locations):
        pairs.append((LOCATION.format(index=index, field="path"), location.path))
        if location.layer_index is not None:
            pairs.append((LOCATION.format(index=index, field="layerIndex"), str(location.layer_index)))
        if location.layer_diff_id is not None:
            pairs.append((LOCATION.format(index=index, field="layerDiffID"), location.layer_diff_id))
    pairs += [(METADATA + key, value) for key, value in package.metadata]
    return pairs


def is_seawall_package(pairs: Iterable[tuple[str, str]]) -> bool:
    return any(name == PACKAGE_TYPE for name, _ in pairs)


def is_seawall_image(pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether a document's root element was written by seawall (whose absent distro means none was found)."""
    return any(name == IMAGE + "transport" for name, _ in pairs)


def package_from_pairs(
    name: str, version: str, purl: str | None, pairs: Iterable[tuple[str, str]], licenses: tuple[str, ...]
) -> Package:
    """The package a seawall document described, rebuilt from its own pairs (lossless for every fact above)."""
    single: dict[str, str] = {}
    locations: dict[int, dict[str, str]] = {}
    metadata: list[tuple[str, str]] = []
    raw_licenses: dict[int, str] = {}
    for key, value in pairs:
        if match := _LOCATION.match(key):
            locations.setdefault(int(match.group(1)), {})[match.group(2)] = value
        elif key.startswith(METADATA):
            metadata.append((key[len(METADATA) :], value))
        elif match := _LICENSE.match(key):
            raw_licenses[int(match.group(1))] = value
        else:
            single.setdefault(key, value)
    return Package(
        name=name,
        version=version,
        type=single.get(PACKAGE_TYPE, "binary"),
        found_by=single.get(FOUND_BY, "sbom"),
        purl=purl,
        locations=tuple(
            Location(
                path=fields.get("path", ""),
                layer_index=_int(fields.get("layerIndex")),
                layer_diff_id=fields.get("layerDiffID"),
            )
            for _, fields in sorted(locations.items())
        ),
        licenses=tuple(value for _, value in sorted(raw_licenses.items())) if raw_licenses else licenses,
        arch=single.get(ARCH),
        source_name=single.get(SOURCE_NAME),
        source_version=single.get(SOURCE_VERSION),
        epoch=_int(single.get(EPOCH)),
        maintainer=single.get(MAINTAINER),
        layer_index=_int(single.get(LAYER_INDEX)),
        layer_diff_id=single.get(LAYER_DIFF_ID),
        created_by=single.get(LAYER_CREATED_BY),
        owned_by=single.get(OWNED_BY),
        vendor=single.get(VENDOR),
        cpe=single.get(CPE),
        metadata=tuple(sorted(metadata)),
    )


def distro_pairs(distro: Distro) -> Pairs:
    values = {
        "id": distro.id,
        "versionID": distro.version_id,
        "codename": distro.codename,
        "name": distro.name,
        "prettyName": distro.pretty_name,
        "idLike": " ".join(distro.id_like) or None,
        "eol": None if distro.eol is None else str(distro.eol).lower(),
        "eolDate": distro.eol_date,
    }
    return [(DISTRO + key, value) for key, value in values.items() if value is not None]


def distro_from_pairs(pairs: Mapping[str, str]) -> Distro | None:
    values = {key[len(DISTRO) :]: value for key, value in pairs.items() if key.startswith(DISTRO)}
    if not values.get("id"):
        return None
    eol = values.get("eol")
    return Distro(
        id=values["id"],
        version_id=values.get("versionID"),
        codename=values.get("codename"),
        name=values.get("name"),
        pretty_name=values.get("prettyName"),
        id_like=tuple(values.get("idLike", "").split()),
        eol=None if eol is None else eol == "true",
        eol_date=values.get("eolDate"),
    )


def image_pairs(image: Image) -> Pairs:
    values = {
        "source": image.source,
        "transport": image.transport,
        "ref": str(image.ref) if image.ref else None,
        "digest": image.digest,
        "indexDigest": image.index_digest,
        "platform": str(image.platform),
        "manifestMediaType": image.manifest_media_type,
        "configDigest": image.config_digest,
        "created": image.created,
    }
    pairs = [(IMAGE + key, value) for key, value in values.items() if value is not None]
    pairs += [(IMAGE + "repoDigest", digest) for digest in image.repo_digests]
    for layer in image.layers:
        fields = {
            "digest": layer.digest,
            "diffID": layer.diff_id,
            "size": str(layer.size),
            "mediaType": layer.media_type,
            "createdBy": layer.created_by or None,
            "created": layer.created,
        }
        pairs += [
            (IMAGE_LAYER.format(index=layer.index, field=key), value)
            for key, value in fields.items()
            if value is not None
        ]
    return pairs


def image_layer_fields(pairs: Iterable[tuple[str, str]]) -> dict[int, dict[str, str]]:
    """`seawall:image:layer:N:field` pairs grouped by layer index."""
    layers: dict[int, dict[str, str]] = {}
    for key, value in pairs:
        if match := _IMAGE_LAYER.match(key):
            layers.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return layers


def unknown_pairs(unknowns: Iterable[Unknown]) -> Pairs:
    pairs: Pairs = []
    for index, unknown in enumerate(unknowns):
        data: dict[str, object] = {"path": unknown.path, "reason": unknown.reason, "foundBy": unknown.found_by}
        if unknown.layer_index is not None:
            data["layerIndex"] = unknown.layer_index
        pairs.append((UNKNOWN.format(index=index), json.dumps(data, sort_keys=True)))
    return pairs


def unknowns_from_pairs(pairs: Iterable[tuple[str, str]]) -> tuple[Unknown, ...]:
    found: dict[int, Unknown] = {}
    for key, value in pairs:
        if (match := _UNKNOWN.match(key)) and (unknown := _unknown(value)) is not None:
            found[int(match.group(1))] = unknown
    return tuple(unknown for _, unknown in sorted(found.items()))


def _unknown(value: str) -> Unknown | None:
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("path"), str):
        return None
    layer = data.get("layerIndex")
    return Unknown(
        path=data["path"],
        reason=str(data.get("reason", "")),
        found_by=str(data.get("foundBy", "")),
        layer_index=layer if isinstance(layer, int) else None,
    )


def image_purl(image: Image) -> str:
    """`pkg:oci/name@sha256%3A…?arch=…&repository_url=registry/repository&tag=…`, as the purl spec's oci type reads."""
    qualifiers: dict[str, str] = {"arch": image.platform.architecture}
    if image.ref is not None:
        name = image.ref.repository.rsplit("/", 1)[-1]
        qualifiers["repository_url"] = image.ref.name
        if image.ref.tag:
            qualifiers["tag"] = image.ref.tag
    else:
        name = image_display_name(image).rstrip("/").rsplit("/", 1)[-1] or "image"
    text = PackageURL(type="oci", name=name.lower(), version=image.digest, qualifiers=qualifiers).to_string()
    if image.digest:
        # The oci purl type writes the digest's colon encoded (sha256%3A…); packageurl-python leaves it bare.
        text = text.replace(f"@{image.digest}", "@" + image.digest.replace(":", "%3A"), 1)
    return text


def image_display_name(image: Image) -> str:
    return image.ref.name if image.ref is not None else image.source


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None

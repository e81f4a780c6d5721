"""seawall's own inventory JSON: every fact the model holds, under a versioned schema (docs/sbom-json.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from seawall import __version__
from seawall.errors import InputError
from seawall.model.image import Image
from seawall.model.sbom import SBOM, Distro, Package, Unknown
from seawall.model.serialize import from_data, to_data
from seawall.output import json_text

SCHEMA_URI = "https://seawall.dev/schema/sbom/v1"
SCHEMA_VERSION = 1


def render_json(sbom: SBOM, *, now: datetime | None = None, indent: int | None = 2) -> str:
    document: dict[str, Any] = {
        "schema": SCHEMA_URI,
        "schemaVersion": SCHEMA_VERSION,
        "generator": {"name": "seawall", "version": __version__},
        "createdAt": (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "image": to_data(sbom.image),
        "distro": to_data(sbom.distro) if sbom.distro is not None else None,
        "packages": [to_data(package) for package in sbom.packages],
        "unknowns": [to_data(unknown) for unknown in sbom.unknowns],
    }
    if indent == 2:
        return json_text.dumps(document, ensure_ascii=False) + "\n"  # json.dumps(indent=2)'s text, faster
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def is_seawall_json(data: object) -> bool:
    return isinstance(data, dict) and data.get("schema") == SCHEMA_URI


def parse_json(data: dict[str, Any], origin: str) -> SBOM:
    """The inventory from a document `render_json` wrote; `origin` names the file in errors."""
    version = data.get("schemaVersion")
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{origin}: seawall SBOM schemaVersion {version!r} is not supported (this seawall reads {SCHEMA_VERSION})",
            remedy="a seawall release that reads this schema version",
        )
    try:
        image = from_data(Image, data["image"])
        distro = from_data(Distro, data["distro"]) if data.get("distro") else None
        packages = tuple(from_data(Package, item) for item in data.get("packages") or ())
        unknowns = tuple(from_data(Unknown, item) for item in data.get("unknowns") or ())
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"{origin}: malformed seawall SBOM ({err})", remedy="regenerating the file") from None
    return SBOM(image=image, distro=distro, packages=packages, unknowns=unknowns)

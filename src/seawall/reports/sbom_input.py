"""`read_sbom_file`: an SBOM another tool (or seawall) wrote, as seawall's inventory, ready to match.

Reads CycloneDX JSON (`bomFormat`), SPDX 2.x JSON (`spdxVersion`) and seawall's own JSON (`schema`). The image
such an inventory describes is `Image(transport="sbom", source="sbom:FILE")` with whatever the document told.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from seawall.errors import InputError, SeawallError
from seawall.jsonbound import MALFORMED, check_depth
from seawall.model.sbom import SBOM

MAX_SBOM_BYTES = 512 * 1024 * 1024
_REMEDY = "a CycloneDX JSON, SPDX 2.3 JSON or seawall JSON SBOM (syft -o cyclonedx-json, trivy --format cyclonedx)"


def read_sbom_file(path: str | os.PathLike[str]) -> SBOM:
    origin = str(path)
    data = load_json(Path(path), origin)
    return read_sbom_data(data, origin)


def read_sbom_data(data: Any, origin: str) -> SBOM:
    """The inventory from an already parsed document; `origin` names it in errors and in `Image.source`."""
    try:
        return _read_sbom_data(data, origin)
    except SeawallError:
        raise
    except MALFORMED as err:  # a field of the wrong JSON type somewhere in a document from another tool
        raise InputError(f"{origin}: malformed SBOM ({type(err).__name__}: {str(err)[:120]})",
                         remedy=_REMEDY) from None


def _read_sbom_data(data: Any, origin: str) -> SBOM:
    if not isinstance(data, dict):
        raise InputError(f"{origin}: not an SBOM (the JSON document is not an object)", remedy=_REMEDY)
    if data.get("bomFormat") == "CycloneDX":
        from seawall.reports.sbom_input_cyclonedx import read_cyclonedx

        return read_cyclonedx(data, origin)
    if "spdxVersion" in data:
        from seawall.reports.sbom_input_spdx import read_spdx

        return read_spdx(data, origin)
    from seawall.output.sbom_json import is_seawall_json, parse_json

    if is_seawall_json(data):
        sbom = parse_json(data, origin)
        return replace(sbom, image=replace(sbom.image, source=f"sbom:{origin}", transport="sbom"))
    if "@context" in data:
        raise InputError(f"{origin}: SPDX 3 / JSON-LD documents are not supported yet", remedy=_REMEDY)
    raise InputError(
        f"{origin}: not a CycloneDX, SPDX or seawall SBOM (no bomFormat, spdxVersion or schema)", remedy=_REMEDY
    )


def load_json(path: Path, origin: str) -> Any:
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_SBOM_BYTES:
                raise InputError(
                    f"{origin}: SBOM is {size} bytes, more than the {MAX_SBOM_BYTES // 2**20} MiB seawall reads",
                    remedy="splitting the SBOM or scanning the image itself",
                )
            raw = handle.read(MAX_SBOM_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{origin}: no such file", remedy="checking the path") from None
    except IsADirectoryError:
        raise InputError(f"{origin}: is a directory, not an SBOM file", remedy="the path of the SBOM file") from None
    except PermissionError:
        raise InputError(f"{origin}: permission denied", remedy="checking the file's permissions") from None
    if len(raw) > MAX_SBOM_BYTES:
        raise InputError(f"{origin}: SBOM grew past {MAX_SBOM_BYTES} bytes while being read", remedy="a finished file")
    check_depth(raw, origin)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InputError(f"{origin}: not UTF-8 JSON", remedy=_REMEDY) from None
    except json.JSONDecodeError as err:
        raise InputError(
            f"{origin}: not JSON ({err.msg} at line {err.lineno} column {err.colno})", remedy=_REMEDY
        ) from None
    except RecursionError:
        raise InputError(f"{origin}: JSON nested too deeply", remedy=_REMEDY) from None

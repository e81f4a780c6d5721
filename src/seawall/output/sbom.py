"""`render`: the inventory in any of the SBOM formats, for `seawall sbom` and anything else that writes one."""

from __future__ import annotations

import importlib
from datetime import datetime
from uuid import UUID

from seawall.errors import InputError
from seawall.formats import SBOM_ENCODERS, SBOM_FORMATS, Format
from seawall.model.sbom import SBOM


def render(sbom: SBOM, fmt: Format, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    if fmt not in SBOM_ENCODERS:
        names = ", ".join(str(item) for item in SBOM_FORMATS)
        raise InputError(f"{fmt} is not an SBOM format", remedy=f"one of {names}")
    module, function = SBOM_ENCODERS[fmt]
    encode = getattr(importlib.import_module(f"seawall.output.{module}"), function)
    if fmt is Format.TABLE:
        text: str = encode(sbom)
    elif fmt is Format.JSON:
        text = encode(sbom, now=now)
    else:
        text = encode(sbom, now=now, serial=serial)
    return text

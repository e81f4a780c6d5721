"""`render`: the inventory in any of the SBOM formats, for `seawall sbom` and anything else that writes one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from seawall.errors import InputError
from seawall.model.sbom import SBOM
from seawall.output import SBOM_FORMATS, OutputFormat


def render(sbom: SBOM, fmt: OutputFormat, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    if fmt is OutputFormat.TABLE:
        from seawall.output.sbom_table import render_table

        return render_table(sbom)
    if fmt is OutputFormat.JSON:
        from seawall.output.sbom_json import render_json

        return render_json(sbom, now=now)
    if fmt is OutputFormat.CYCLONEDX_JSON:
        from seawall.output.cyclonedx import render_cyclonedx

        return render_cyclonedx(sbom, now=now, serial=serial)
    if fmt is OutputFormat.SPDX_JSON:
        from seawall.output.spdx import render_spdx

        return render_spdx(sbom, now=now, serial=serial)
    names = ", ".join(str(item) for item in SBOM_FORMATS)
    raise InputError(f"{fmt} is not an SBOM format", remedy=f"one of {names}")

"""Output formats: one module per format; `OutputFormat` names every format a command can write."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from seawall.model.sbom import SBOM


class OutputFormat(StrEnum):
    """Every format seawall writes; commands accept the subset that fits what they produce."""

    TABLE = "table"
    JSON = "json"
    CYCLONEDX_JSON = "cyclonedx-json"
    SPDX_JSON = "spdx-json"


SBOM_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat.TABLE,
    OutputFormat.JSON,
    OutputFormat.CYCLONEDX_JSON,
    OutputFormat.SPDX_JSON,
)


def render_sbom(sbom: SBOM, fmt: OutputFormat | str, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    """The inventory as text in `fmt`; `now` and `serial` pin the timestamp and document id (golden files)."""
    # Imported here so that naming a format does not load every encoder library.
    from seawall.output.sbom import render

    return render(sbom, OutputFormat(fmt), now=now, serial=serial)

"""Output formats: one module per format; `seawall.formats` names them and says which module writes which."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from seawall.formats import Format

if TYPE_CHECKING:
    from seawall.model.sbom import SBOM


def render_sbom(sbom: SBOM, fmt: Format | str, *, now: datetime | None = None, serial: UUID | None = None) -> str:
    """The inventory as text in `fmt`; `now` and `serial` pin the timestamp and document id (golden files)."""
    # Imported here so that naming a format does not load every encoder library.
    from seawall.output.sbom import render

    return render(sbom, Format(fmt), now=now, serial=serial)

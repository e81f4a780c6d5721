"""One call from the user's words for an image (or an SBOM file) to its inventory."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from seawall.errors import InputError
from seawall.model.sbom import SBOM


def load_sbom(
    target: str,
    *,
    platform: str | None = None,
    insecure_registries: Sequence[str] = (),
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    show_progress: bool = False,
) -> SBOM:
    """`sbom:FILE` is read as it is; anything else is opened as an image and cataloged."""
    if target.startswith("sbom:"):
        from seawall.image.sbom_input import read_sbom_file

        path = Path(target[len("sbom:"):])
        if not path.is_file():
            raise InputError(f"sbom: {path} does not exist", remedy="check the path")
        return read_sbom_file(path)

    from seawall.image.open import open_source
    from seawall.inventory.build import build_sbom

    progress = _progress() if show_progress and sys.stderr.isatty() else None
    with open_source(target, platform=platform, insecure_registries=insecure_registries,
                     cache_dir=cache_dir) as source:
        return build_sbom(source, cache_dir=cache_dir, use_cache=use_cache, progress=progress)


def _progress():  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(stderr=True)

    def report(stage: str, done: int, total: int) -> None:
        if total and done < total:
            console.print(f"[dim]reading {total} layer(s)…[/dim]")

    return report

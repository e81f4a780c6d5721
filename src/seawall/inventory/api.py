"""One call from the user's words for an image (or an SBOM file) to its inventory."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawall.errors import InputError
from seawall.image.options import DEFAULT_FETCH, FetchOptions
from seawall.model.sbom import SBOM

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from seawall.inventory.build import Inventory, LayerAnalyzer
    from seawall.progress import PlainProgress


def load_sbom(
    target: str,
    *,
    fetch: FetchOptions = DEFAULT_FETCH,
    use_cache: bool = True,
    show_progress: bool = False,
) -> SBOM:
    """`sbom:FILE` is read as it is; anything else is opened as an image and cataloged."""
    return load_inventory(target, fetch=fetch, use_cache=use_cache, show_progress=show_progress, sbom_only=True).sbom


def load_inventory(
    target: str,
    *,
    analyzers: Sequence[LayerAnalyzer] = (),
    fetch: FetchOptions = DEFAULT_FETCH,
    use_cache: bool = True,
    show_progress: bool = False,
    sbom_only: bool = False,
    derived: list[str] | None = None,
    restore: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Inventory:
    """As `load_sbom`, with the layer analyzers' results beside the SBOM (none for an `sbom:FILE`); `sbom_only`,
    `derived` and `restore` as for `build_inventory`."""
    from seawall.inventory.build import Inventory, build_inventory

    if target.startswith("sbom:"):
        from seawall.reports.sbom_input import read_sbom_file

        path = Path(target[len("sbom:"):])
        if not path.is_file():
            raise InputError(f"sbom: {path} does not exist", remedy="checking the path")
        return Inventory(sbom=read_sbom_file(path), layers=[], analyses={})

    from seawall.image.open import open_source

    with _Progress(enabled=show_progress) as progress, open_source(
        target, fetch
    ) as source:
        return build_inventory(source, analyzers=analyzers, cache_dir=fetch.cache_dir, use_cache=use_cache,
                               progress=progress.report, sbom_only=sbom_only, derived=derived,
                               restore=restore)


class _Progress:
    """rich progress bars on stderr while layers download and stream; without a terminal, a plain line every few
    seconds (a small image is read before the first one is due)."""

    LABELS = {"download": "downloading layers", "layers": "reading layers"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.lines: PlainProgress | None = None

    def __enter__(self) -> _Progress:
        if self.enabled and not sys.stderr.isatty():
            from seawall.progress import PlainProgress

            self.lines = PlainProgress("reading the image").__enter__()
        elif self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.bars.start()
        return self

    def report(self, stage: str, done: int, total: int) -> None:
        if self.lines is not None and total:
            self.lines.update(f"{self.LABELS.get(stage, stage)} {done}/{total}")
        if self.bars is None or not total:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(self.LABELS.get(stage, stage), total=total)
        self.bars.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.lines is not None:
            self.lines.__exit__(*exc)
        if self.bars is not None:
            self.bars.stop()

"""Run a cataloger so that one hostile file costs only itself: it becomes an unknown, its neighbours are reported.

Catalogers read each file on its own, but some join several (a dist-info's METADATA and RECORD, an rpm DB and
its index); so they first see all of a layer's files together, and only when that raises are the files that
fail on their own set aside and the rest catalogued together again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.model.sbom import Unknown


def _failure(cataloger: Cataloger, entry: FileEntry, err: BaseException) -> Unknown:
    detail = str(err).splitlines()[0][:200] if str(err) else ""
    reason = f"{cataloger.name} could not read this file: {type(err).__name__}" + (f": {detail}" if detail else "")
    return Unknown(entry.path, reason, cataloger.name, entry.layer_index)


def catalog_isolated(cataloger: Cataloger, files: Sequence[FileEntry]) -> CatalogResult:
    """`cataloger.catalog(files)`, never raising (except KeyboardInterrupt and the like)."""
    try:
        return cataloger.catalog(files)
    except Exception as first:  # any parser bug or hostile input: narrowed to the files that cause it below
        if len(files) == 1:
            return CatalogResult(unknowns=(_failure(cataloger, files[0], first),))
    good: list[FileEntry] = []
    bad: list[Unknown] = []
    for entry in files:
        try:
            cataloger.catalog([entry])
        except Exception as err:  # this file alone breaks the cataloger
            bad.append(_failure(cataloger, entry, err))
        else:
            good.append(entry)
    try:
        result = cataloger.catalog(good) if good else CatalogResult()
    except Exception:  # only the combination fails: each file's own result is the best there is
        parts = [cataloger.catalog([entry]) for entry in good]
        result = CatalogResult(
            packages=tuple(p for part in parts for p in part.packages),
            unknowns=tuple(u for part in parts for u in part.unknowns),
            owned_files=tuple(o for part in parts for o in part.owned_files),
            repositories=tuple(r for part in parts for r in part.repositories),
            origins=tuple(o for part in parts for o in part.origins),
        )
    return dataclasses.replace(result, unknowns=result.unknowns + tuple(bad))

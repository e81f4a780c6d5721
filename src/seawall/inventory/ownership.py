"""Mark language packages whose files an OS package installed (python3-requests from apt), so the matcher
judges them by the distribution's advisories, not the ecosystem's."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence

from seawall.model.ecosystem import OS_PACKAGE_TYPES
from seawall.model.records import evolve
from seawall.model.sbom import Package

OS_TYPES = OS_PACKAGE_TYPES


def mark_owned(packages: Sequence[Package], owned_files: Mapping[str, tuple[str, ...]]) -> list[Package]:
    # Only the paths a language package could be matched by are looked for: OS packages list far more files
    # (84k on a big image) than there are language packages.
    wanted = {path for package in packages if package.type not in OS_TYPES and package.locations
              for path in (package.locations[0].path, posixpath.dirname(package.locations[0].path))
              if path.startswith("/")}
    relative = {path[1:] for path in wanted}  # dpkg lists may leave out the leading slash
    owner: dict[str, str] = {}
    for package in packages if wanted else ():
        if package.type not in OS_TYPES:
            continue
        purl = package.purl or f"{package.type}:{package.name}"
        files = package.files or owned_files.get(package.name, ()) or owned_files.get(
            f"{package.name}:{package.arch}", ())
        for path in wanted.intersection(files):
            owner.setdefault(path, purl)
        for path in relative.intersection(files):
            owner.setdefault("/" + path, purl)
    if not owner:
        return list(packages)
    out: list[Package] = []
    for package in packages:
        if package.type in OS_TYPES or not package.locations:
            out.append(package)
            continue
        path = package.locations[0].path
        found = owner.get(path) or owner.get(posixpath.dirname(path))
        out.append(evolve(package, owned_by=found) if found else package)
    return out

"""RPM packages of CBL-Mariner / Azure Linux distroless images, which keep no rpm database.

Their image build writes `/var/lib/rpmmanifest/container-manifest-2`, the output of `rpm -qa --qf` with
`%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t
%{SOURCERPM}`: one line per installed package, the sixth field a literal `(none)`, the epoch 0 when unset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seawall.catalog.interface import Cataloger, CatalogResult, FileEntry
from seawall.catalog.rpm import PSEUDO_PACKAGES, split_source_rpm
from seawall.model.sbom import Location, Package, Unknown

MANIFEST_PATH = "/var/lib/rpmmanifest/container-manifest-2"
FIELDS = 10


def _package(fields: list[str], entry: FileEntry, found_by: str) -> Package | None:
    name, evr, _installed, _built, vendor, _none, _size, arch, epoch_text, source_rpm = fields
    if not name or "-" not in evr or name in PSEUDO_PACKAGES or not (epoch_text.isdigit() or epoch_text == "(none)"):
        return None
    epoch = int(epoch_text) if epoch_text.isdigit() and int(epoch_text) else None
    source = split_source_rpm(source_rpm)
    source_name, source_evr = source if source else (name, evr)
    return Package(
        name=name,
        version=f"{epoch}:{evr}" if epoch else evr,
        type="rpm",
        found_by=found_by,
        locations=(Location(entry.path, entry.layer_index),),
        arch=arch if arch and arch != "(none)" else None,
        source_name=source_name,
        source_version=f"{epoch}:{source_evr}" if epoch else source_evr,
        epoch=epoch,
        layer_index=entry.layer_index,
        metadata=(("vendor", vendor),) if vendor and vendor != "(none)" else (),
    )


class RpmManifestCataloger(Cataloger):
    name = "rpm-manifest"
    version = 1
    globs = (MANIFEST_PATH,)
    is_os = True

    def catalog(self, files: Sequence[FileEntry]) -> CatalogResult:
        packages: list[Package] = []
        unknowns: list[Unknown] = []
        for entry in files:
            bad = 0
            for line in entry.text().splitlines():
                if not line.strip():
                    continue
                fields = line.split("\t")
                package = _package(fields, entry, self.name) if len(fields) == FIELDS else None
                if package is None:
                    bad += 1 if fields[0] not in PSEUDO_PACKAGES else 0
                    continue
                packages.append(package)
            if bad:
                reason = f"{bad} line(s) of the rpm manifest are not `rpm -qa` records of {FIELDS} fields"
                unknowns.append(Unknown(entry.path, reason, self.name, entry.layer_index))
        return CatalogResult(tuple(packages), tuple(unknowns))


def prefer_rpm_database(packages: Iterable[Package]) -> list[Package]:
    """The manifest only stands in for a missing rpm database: where the image has one, the database wins."""
    packages = list(packages)
    if not any(p.type == "rpm" and p.found_by == "rpm" for p in packages):
        return packages
    return [p for p in packages if p.found_by != RpmManifestCataloger.name]

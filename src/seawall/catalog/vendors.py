"""OS packages installed from another vendor's repository (nginx.org, MongoDB, NodeSource, Docker, Google, PGDG…).

The distribution's advisories speak of the distribution's own source packages: nginx.org's `nginx` matched against
Debian's `nginx` gives findings Debian's fixes do not close and fixes nginx.org never shipped. Such packages are
recognised the way Trivy and grype do it — by the dpkg `Maintainer`, the vendor's version suffix (`1.25.3-1~bookworm`),
the rpm `Vendor` tag — and marked with their vendor, a purl in the vendor's namespace and, where known, a CPE, so
that the matcher leaves them to upstream advisories instead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.model.repository import PackageOrigin, Repository
from seawall.model.sbom import Distro, Package


@dataclass(frozen=True)
class KnownVendor:
    """A vendor whose OS packages are its own builds, and the marks its packages are recognised by."""

    name: str  # what reports say: nginx.org
    purl_namespace: str
    maintainers: tuple[str, ...] = ()  # substrings of a Maintainer / rpm Vendor / Packager, lower case
    version_marks: tuple[str, ...] = ()  # substrings of the version only this vendor writes
    cpes: tuple[tuple[str, str, str], ...] = ()  # (package name prefix, CPE vendor, CPE product)
    hosts: tuple[str, ...] = ()  # the domains its repositories are served from


KNOWN_VENDORS: tuple[KnownVendor, ...] = (
    KnownVendor("nginx.org", "nginx", ("nginx-packaging@f5.com", "@nginx.com", "nginx inc", "nginx, inc"),
                cpes=(("nginx-module-", "f5", "nginx"), ("nginx", "f5", "nginx")), hosts=("nginx.org", "nginx.com")),
    KnownVendor("mongodb.org", "mongodb", ("packaging@mongodb.com", "mongodb"),
                cpes=(("mongodb-org", "mongodb", "mongodb"), ("mongodb-mongosh", "mongodb", "mongosh")),
                hosts=("mongodb.org", "mongodb.com")),
    KnownVendor("nodesource.com", "nodesource", ("@nodesource.com", "nodesource"), ("nodesource",),
                cpes=(("nodejs", "nodejs", "node.js"),), hosts=("nodesource.com",)),
    KnownVendor("docker.com", "docker", ("support@docker.com", "docker <", "docker inc"),
                cpes=(("docker-ce", "docker", "docker"), ("containerd.io", "linuxfoundation", "containerd")),
                hosts=("docker.com",)),
    KnownVendor("google.com", "google", ("chromium-dev@chromium.org", "google inc", "google llc"),
                cpes=(("google-chrome", "google", "chrome"),), hosts=("google.com",)),
    KnownVendor("apt.postgresql.org", "pgdg", ("postgresql global development group",), ("pgdg",),
                cpes=(("postgresql-", "postgresql", "postgresql"),), hosts=("postgresql.org",)),
    KnownVendor("mysql.com", "mysql", ("mysql-build@oss.oracle.com", "mysql release engineering"),
                cpes=(("mysql-", "oracle", "mysql"),), hosts=("mysql.com",)),
    KnownVendor("packages.microsoft.com", "microsoft", ("@microsoft.com",), hosts=("microsoft.com",)),
    KnownVendor("mariadb.org", "mariadb", ("@lists.mariadb.org", "mariadb foundation"),
                cpes=(("mariadb-server", "mariadb", "mariadb"),), hosts=("mariadb.org", "mariadb.com")),
    KnownVendor("percona.com", "percona", ("@percona.com", "percona"), hosts=("percona.com",)),
    KnownVendor("elastic.co", "elastic", ("@elastic.co", "elasticsearch"), hosts=("elastic.co",)),
)

# The rpm `Vendor` of each distribution's own packages (lower-case prefixes).
DISTRO_RPM_VENDORS: dict[str, tuple[str, ...]] = {
    "rocky": ("rocky enterprise software foundation", "rocky linux"),
    "rhel": ("red hat",),
    "centos": ("centos", "red hat"),
    "almalinux": ("almalinux",),
    "ol": ("oracle america", "oracle"),
    "fedora": ("fedora project",),
    "amzn": ("amazon linux", "amazon.com", "amazon"),
    "sles": ("suse",),
    "opensuse-leap": ("opensuse", "suse"),
    "opensuse-tumbleweed": ("opensuse", "suse"),
    "photon": ("vmware", "broadcom"),
    "mariner": ("microsoft",),
    "azurelinux": ("microsoft",),
}
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9.-]+)>?\s*$")


def _known(text: str, version: str) -> KnownVendor | None:
    lowered = text.lower()
    for vendor in KNOWN_VENDORS:
        if any(mark in lowered for mark in vendor.maintainers) or any(m in version for m in vendor.version_marks):
            return vendor
    return None


def _vendor_suffix(version: str, distro: Distro | None) -> bool:
    """`1.25.3-1~bookworm`, `5:24.0.7-1~debian.12~bookworm`: a codename after `~` is a third-party repository's mark
    (Debian's own versions say `+deb12u1` or `~bpo12+1`)."""
    codename = (distro.codename or "").split("/")[0] if distro else ""
    return bool(codename) and (version.endswith(f"~{codename}") or f"~{codename}" in version.rsplit("-", 1)[-1])


def third_party_vendor(package: Package, distro: Distro | None) -> KnownVendor | None:
    """The vendor of an OS package that did not come from the distribution, else None."""
    if package.type == "rpm":
        metadata = dict(package.metadata)
        rpm_vendor, packager = metadata.get("vendor", ""), metadata.get("packager", "")
        if not (rpm_vendor or packager) or distro is None:
            return None
        known = _known(f"{rpm_vendor} {packager}", package.version)
        own = DISTRO_RPM_VENDORS.get(distro.id)
        if own is not None and rpm_vendor.lower().startswith(own):
            return None
        if not rpm_vendor:
            return known  # a Packager alone names only vendors known here
        if known is None and own is None:
            return None  # a distribution whose own vendor string is not known here: no guess
        return known or KnownVendor(rpm_vendor, slug(rpm_vendor))
    if package.type not in ("deb", "apk"):
        return None
    known = _known(package.maintainer or "", package.version)
    if known is not None:
        return known
    if package.type == "deb" and _vendor_suffix(package.version, distro):
        domain = _EMAIL_DOMAIN.search(package.maintainer or "")
        name = domain.group(1).lower() if domain else "unknown vendor"
        return KnownVendor(name, slug(name.split(".")[-2] if "." in name else name))
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "vendor"


def _cpe(vendor: KnownVendor, package: Package) -> str | None:
    for prefix, cpe_vendor, product in vendor.cpes:
        if package.name == prefix or package.name.startswith(prefix):
            upstream = package.version.split(":", 1)[-1].rsplit("-", 1)[0]
            upstream = re.sub(r"[^A-Za-z0-9._-]", "_", upstream)
            return f"cpe:2.3:a:{cpe_vendor}:{product}:{upstream}:*:*:*:*:*:*:*"
    return None


def _purl(vendor: KnownVendor, package: Package) -> str:
    qualifiers = {"arch": package.arch} if package.arch else {}
    version = package.version
    if package.type == "rpm" and ":" in version:
        qualifiers["epoch"] = version.split(":", 1)[0]
        version = version.split(":", 1)[1]
    return PackageURL(type=package.type, namespace=vendor.purl_namespace, name=package.name, version=version,
                      qualifiers=qualifiers or None).to_string()


def mark_third_party(packages: Sequence[Package], distro: Distro | None, repositories: Iterable[Repository] = (),
                     origins: Iterable[PackageOrigin] = ()) -> list[Package]:
    """Mark each OS package from another vendor's repository, by its own fields and by the image's repositories."""
    from seawall.catalog.repo_vendors import RepositoryEvidence  # that module builds on this one's vendor table

    evidence = RepositoryEvidence(repositories, origins, distro)
    out = []
    for package in packages:
        vendor = evidence.vendor(package, third_party_vendor(package, distro))
        if vendor is None:
            out.append(package)
            continue
        out.append(dataclasses.replace(package, vendor=vendor.name, purl=_purl(vendor, package),
                                       cpe=_cpe(vendor, package)))
    return out

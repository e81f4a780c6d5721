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
from collections.abc import Sequence
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.model.sbom import Distro, Package


@dataclass(frozen=True)
class KnownVendor:
    name: str  # what reports say: nginx.org
    purl_namespace: str
    maintainers: tuple[str, ...] = ()  # substrings of a Maintainer / rpm Vendor / Packager, lower case
    version_marks: tuple[str, ...] = ()  # substrings of the version only this vendor writes
    cpes: tuple[tuple[str, str, str], ...] = ()  # (package name prefix, CPE vendor, CPE product)


KNOWN_VENDORS: tuple[KnownVendor, ...] = (
    KnownVendor("nginx.org", "nginx", ("nginx-packaging@f5.com", "@nginx.com", "nginx inc", "nginx, inc"),
                cpes=(("nginx-module-", "f5", "nginx"), ("nginx", "f5", "nginx"))),
    KnownVendor("mongodb.org", "mongodb", ("packaging@mongodb.com", "mongodb"),
                cpes=(("mongodb-org", "mongodb", "mongodb"), ("mongodb-mongosh", "mongodb", "mongosh"))),
    KnownVendor("nodesource.com", "nodesource", ("@nodesource.com", "nodesource"), ("nodesource",),
                cpes=(("nodejs", "nodejs", "node.js"),)),
    KnownVendor("docker.com", "docker", ("support@docker.com", "docker <", "docker inc"),
                cpes=(("docker-ce", "docker", "docker"), ("containerd.io", "linuxfoundation", "containerd"))),
    KnownVendor("google.com", "google", ("chromium-dev@chromium.org", "google inc", "google llc"),
                cpes=(("google-chrome", "google", "chrome"),)),
    KnownVendor("apt.postgresql.org", "pgdg", ("postgresql global development group",), ("pgdg",),
                cpes=(("postgresql-", "postgresql", "postgresql"),)),
    KnownVendor("mysql.com", "mysql", ("mysql-build@oss.oracle.com", "mysql release engineering"),
                cpes=(("mysql-", "oracle", "mysql"),)),
    KnownVendor("packages.microsoft.com", "microsoft", ("@microsoft.com",)),
    KnownVendor("mariadb.org", "mariadb", ("@lists.mariadb.org", "mariadb foundation"),
                cpes=(("mariadb-server", "mariadb", "mariadb"),)),
    KnownVendor("percona.com", "percona", ("@percona.com", "percona"),),
    KnownVendor("elastic.co", "elastic", ("@elastic.co", "elasticsearch"),),
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
        rpm_vendor = dict(package.metadata).get("vendor", "")
        if not rpm_vendor or distro is None:
            return None
        known = _known(rpm_vendor, package.version)
        own = DISTRO_RPM_VENDORS.get(distro.id)
        if own is not None and rpm_vendor.lower().startswith(own):
            return None
        if known is None and own is None:
            return None  # a distribution whose own vendor string is not known here: no guess
        return known or KnownVendor(rpm_vendor, _slug(rpm_vendor))
    if package.type not in ("deb", "apk"):
        return None
    known = _known(package.maintainer or "", package.version)
    if known is not None:
        return known
    if package.type == "deb" and _vendor_suffix(package.version, distro):
        domain = _EMAIL_DOMAIN.search(package.maintainer or "")
        name = domain.group(1).lower() if domain else "unknown vendor"
        return KnownVendor(name, _slug(name.split(".")[-2] if "." in name else name))
    return None


def _slug(text: str) -> str:
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


def mark_third_party(packages: Sequence[Package], distro: Distro | None) -> list[Package]:
    out = []
    for package in packages:
        vendor = third_party_vendor(package, distro)
        if vendor is None:
            out.append(package)
            continue
        out.append(dataclasses.replace(package, vendor=vendor.name, purl=_purl(vendor, package),
                                       cpe=_cpe(vendor, package)))
    return out

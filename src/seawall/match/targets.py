"""Which namespace, name and version scheme a package is looked up and compared by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.model.sbom import Distro, Package
from seawall.versions import VersionScheme, go_toolchain_to_semver, scheme_for

OS_TYPES = frozenset({"deb", "apk", "rpm"})
ECOSYSTEMS = {
    "python": "pypi",
    "npm": "npm",
    "go-module": "go",
    "java-archive": "maven",
    "gem": "rubygems",
    "composer": "packagist",
    "rust-crate": "crates.io",
    "nuget": "nuget",
}
_DEBIAN_NUMBERS = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "sid": "unstable"}
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Target:
    matcher: str  # distro-source | ecosystem
    namespace: str
    name: str
    version: str
    scheme: VersionScheme


def distro_namespace(distro: Distro | None) -> str | None:
    if distro is None:
        return None
    version = distro.version_id or ""
    if distro.id == "debian":
        major = version.split(".")[0]
        if major.isdigit():
            return f"debian:{major}"
        code = (distro.codename or "").split("/")[0]
        return f"debian:{_DEBIAN_NUMBERS.get(code, code)}" if code else None
    if distro.id == "alpine":
        return f"alpine:{'.'.join(version.split('.')[:2])}" if version else None
    if distro.id in ("rhel", "centos", "rocky", "almalinux", "ol", "amzn", "fedora"):
        return f"{distro.id}:{version.split('.')[0]}" if version else None
    return f"{distro.id}:{version}" if version else None


def target_for(package: Package, distro: Distro | None) -> Target | None:
    if package.type in OS_TYPES:
        namespace = distro_namespace(distro)
        if namespace is None:
            return None
        scheme = scheme_for("dpkg" if package.type == "deb" else package.type)
        name = package.source_name or package.name
        version = package.source_version or package.version
        if package.type == "rpm" and package.epoch and ":" not in version:
            version = f"{package.epoch}:{version}"
        return Target("distro-source", namespace, name, version, scheme)
    if package.owned_by:
        return None  # installed by an OS package: the distribution's advisories speak for it
    namespace = ECOSYSTEMS.get(package.type)
    if namespace is None:
        return None
    name = ecosystem_name(package, namespace)
    version = package.version
    if namespace == "go" and name == "stdlib":
        version = go_toolchain_to_semver(version) or version
    return Target("ecosystem", namespace, name, version, scheme_for(namespace))


def ecosystem_name(package: Package, namespace: str) -> str:
    """The name the ecosystem's advisories use, from the purl where there is one."""
    purl = None
    if package.purl:
        try:
            purl = PackageURL.from_string(package.purl)
        except ValueError:
            purl = None
    if namespace == "pypi":
        return _PEP503.sub("-", package.name).lower()
    if namespace == "maven" and purl is not None and purl.namespace:
        return f"{purl.namespace}:{purl.name}"
    if namespace in ("npm", "go", "packagist") and purl is not None:
        return f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    if namespace == "nuget":
        return package.name.lower()
    return package.name

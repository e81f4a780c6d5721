"""Package URLs for the packages catalogers find (https://github.com/package-url/purl-spec)."""

from __future__ import annotations

from functools import lru_cache

from packageurl import PackageURL

from seawall.model.ecosystem import DEFAULT_OS_PURL_NAMESPACE, PackageType, distribution, ecosystem
from seawall.model.records import evolve
from seawall.model.sbom import Distro, Package


def os_namespace(package_type: str, distro: Distro | None) -> str:
    """The purl namespace of an OS package: the distribution id for deb/apk, the vendor for rpm."""
    if distro is None:
        return DEFAULT_OS_PURL_NAMESPACE.get(package_type, package_type)
    if package_type == PackageType.RPM:
        row = distribution(distro.id)
        return row.purl_namespace if row is not None else distro.id
    return distro.id


def os_purl(package: Package, distro: Distro | None) -> str:
    """`pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12` and the apk / rpm equivalents."""
    row = ecosystem(package.type)
    purl_type = row.purl_type if row is not None and row.os else package.type
    qualifiers: dict[str, str] = {}
    if package.arch:
        qualifiers["arch"] = package.arch
    version = package.version
    if purl_type == "rpm":
        if package.epoch:
            qualifiers["epoch"] = str(package.epoch)
        # The purl carries the epoch as a qualifier, so the version is version-release alone.
        if ":" in version:
            version = version.split(":", 1)[1]
    if package.source_name and package.source_name != package.name and purl_type != "rpm":
        qualifiers["upstream"] = package.source_name
    if distro is not None and distro.version_id:
        qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
    elif distro is not None and distro.codename:
        qualifiers["distro"] = f"{distro.id}-{distro.codename}"
    return _purl_string(purl_type, os_namespace(purl_type, distro), package.name, version,
                        tuple(qualifiers.items()))


@lru_cache(maxsize=65536)
def _purl_string(purl_type: str, namespace: str | None, name: str, version: str,
                 qualifiers: tuple[tuple[str, str], ...]) -> str:
    # Memoised: a fleet worker meets the same base-image packages in image after image, and encoding is slow.
    return PackageURL(type=purl_type, namespace=namespace, name=name, version=version,
                      qualifiers=dict(qualifiers) or None).to_string()


def with_os_purl(package: Package, distro: Distro | None) -> Package:
    """The same package with its purl set; a convenience for the core's squash step."""
    return evolve(package, purl=os_purl(package, distro))


def pypi_purl(name: str, version: str) -> str:
    return PackageURL(type="pypi", name=normalise_pypi_name(name), version=version).to_string()


def normalise_pypi_name(name: str) -> str:
    """PEP 503 normalisation, which the pypi purl type requires."""
    out: list[str] = []
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


def npm_purl(name: str, version: str) -> str:
    namespace, _, short = name.rpartition("/")
    return PackageURL(type="npm", namespace=namespace or None, name=short, version=version).to_string()


def golang_purl(module: str, version: str | None) -> str:
    namespace, _, name = module.rpartition("/")
    return PackageURL(type="golang", namespace=namespace or None, name=name, version=version or None).to_string()


def maven_purl(group: str | None, artifact: str, version: str | None) -> str:
    return PackageURL(type="maven", namespace=group or None, name=artifact, version=version or None).to_string()


def gem_purl(name: str, version: str) -> str:
    return PackageURL(type="gem", name=name, version=version).to_string()


def composer_purl(name: str, version: str) -> str:
    namespace, _, short = name.rpartition("/")
    return PackageURL(type="composer", namespace=namespace or None, name=short, version=version).to_string()


def pecl_purl(name: str, version: str) -> str:
    return PackageURL(type="pecl", name=name, version=version).to_string()

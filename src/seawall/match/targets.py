"""Which namespace, name and version scheme a package is looked up and compared by."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packageurl import PackageURL

from seawall.model.ecosystem import ECOSYSTEMS as ECOSYSTEM_ROWS
from seawall.model.ecosystem import OS_PACKAGE_TYPES, distribution, ecosystem_of_namespace, namespace_version
from seawall.model.sbom import Distro, Package
from seawall.versions import VersionScheme, go_toolchain_to_semver, scheme_for

OS_TYPES = OS_PACKAGE_TYPES
# Package type → the namespace its ecosystem's advisories are stored under.
ECOSYSTEMS = {row.type.value: row.namespace for row in ECOSYSTEM_ROWS if row.namespace}
ECOSYSTEM_SCHEMES = {row.type.value: row.version_scheme for row in ECOSYSTEM_ROWS}
_DEBIAN_NUMBERS = {"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "sid": "unstable"}
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Target:
    """How one package is looked up in the DB: by which matcher, in which namespace, name, version and scheme."""

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
    return f"{distro.id}:{namespace_version(distro.id, version)}" if version else None


def target_for(package: Package, distro: Distro | None) -> Target | None:
    if package.vendor:
        return None  # another vendor's package: the distribution's advisories for a same-named source do not apply
    if package.type in OS_TYPES:
        namespace = distro_namespace(distro)
        if namespace is None:
            return None
        scheme = scheme_for(ECOSYSTEM_SCHEMES[package.type])
        row = distribution(distro.id) if distro is not None else None
        if row is not None and row.advisory_key == "binary":
            name, version = package.name, package.version  # the vendor lists every binary rpm of an erratum
        else:
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
    row = ecosystem_of_namespace(namespace)
    style = row.advisory_name if row is not None else "name"
    if style == "pep503":
        return _pep503(package.name)
    if style == "lower":
        return package.name.lower()
    if not style.startswith("purl") or not package.purl:
        return package.name
    purl_namespace, purl_name = _purl_names(package.purl)
    if purl_name is None:
        return package.name
    if style == "purl:":
        return f"{purl_namespace}:{purl_name}" if purl_namespace else package.name
    return f"{purl_namespace}/{purl_name}" if purl_namespace else purl_name


@functools.lru_cache(maxsize=1 << 14)
def _pep503(name: str) -> str:
    return _PEP503.sub("-", name).lower()


# Images share most of their language packages: parse each purl once (packageurl's parser is the slow part).
@functools.lru_cache(maxsize=1 << 16)
def _purl_names(purl: str) -> tuple[str | None, str | None]:
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None, None
    return parsed.namespace, parsed.name

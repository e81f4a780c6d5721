"""Every ecosystem and distribution seawall knows, one row each: what the catalogers, the matcher, the version
schemes, the purls, the output formats and the report importers call it.

Adding an ecosystem: a `PackageType` member and an `Ecosystem` row here, plus its cataloger module. Adding a
distribution: a `Distribution` row here, plus the feed that judges it. Nothing else holds a list of either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class PackageType(StrEnum):
    """`Package.type`: what kind of package a cataloger found (compares equal to its string value)."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    PYTHON = "python"
    NPM = "npm"
    GO_MODULE = "go-module"
    JAVA_ARCHIVE = "java-archive"
    GEM = "gem"
    COMPOSER = "composer"
    PECL = "pecl"
    RUST_CRATE = "rust-crate"
    NUGET = "nuget"
    OPKG = "opkg"
    BINARY = "binary"


@dataclass(frozen=True)
class Ecosystem:
    """One package ecosystem, and what the catalogers, the DB, the version schemes, purls and other tools call it."""

    type: PackageType
    purl_type: str  # the purl spec's type
    namespace: str | None  # the DB namespace its advisories are stored under (OS packages: the distribution's)
    osv: str | None  # the OSV ecosystem name
    version_scheme: str  # a name in seawall.versions.SCHEMES
    display: str  # how people write it
    trivy_type: str  # Trivy's result Type
    trivy_target: str | None  # the Target Trivy gives its results (None: one result per file, named by its path)
    grype_type: str  # syft/grype package type
    aliases: tuple[str, ...] = ()  # other tools' and package managers' words for it (Trivy, Grype, CycloneDX, SPDX)
    os: bool = False  # installed by the distribution's package manager: judged by the distribution's feed
    # How advisories write a package's name: "name" as found, "pep503" (normalised), "lower", or from the purl as
    # "purl/" (namespace/name: npm scopes, Go modules, Composer vendors) or "purl:" (group:artifact, Maven).
    advisory_name: str = "name"


ECOSYSTEMS: tuple[Ecosystem, ...] = (
    Ecosystem(PackageType.DEB, "deb", None, None, "dpkg", "Debian package", "debian", None, "deb",
              ("dpkg",), os=True),
    Ecosystem(PackageType.APK, "apk", None, None, "apk", "Alpine package", "alpine", None, "apk", (), os=True),
    Ecosystem(PackageType.RPM, "rpm", None, None, "rpm", "RPM package", "redhat", None, "rpm", (), os=True),
    Ecosystem(PackageType.PYTHON, "pypi", "pypi", "PyPI", "pep440", "PyPI", "python-pkg", "Python", "python",
              ("python-pkg", "pip", "pipenv", "poetry", "uv", "conda"), advisory_name="pep503"),
    Ecosystem(PackageType.NPM, "npm", "npm", "npm", "semver", "npm", "node-pkg", "Node.js", "npm",
              ("node", "node-pkg", "yarn", "pnpm", "bun", "javascript"), advisory_name="purl/"),
    Ecosystem(PackageType.GO_MODULE, "golang", "go", "Go", "go", "Go", "gobinary", None, "go-module",
              ("gobinary", "gomod", "go"), advisory_name="purl/"),
    Ecosystem(PackageType.JAVA_ARCHIVE, "maven", "maven", "Maven", "maven", "Maven", "jar", "Java", "java-archive",
              ("jar", "pom", "gradle", "sbt", "java", "jenkins-plugin"), advisory_name="purl:"),
    Ecosystem(PackageType.RUST_CRATE, "cargo", "crates.io", "crates.io", "cargo", "crates.io", "rustbinary", None,
              "rust-crate", ("rust-binary", "rust")),
    Ecosystem(PackageType.GEM, "gem", "rubygems", "RubyGems", "gem", "RubyGems", "gemspec", "Ruby", "gem",
              ("gemspec", "bundler", "ruby")),
    Ecosystem(PackageType.COMPOSER, "composer", "packagist", "Packagist", "composer", "Packagist", "composer-vendor",
              "PHP", "php-composer", ("composer-vendor", "php-composer", "php"), advisory_name="purl/"),
    Ecosystem(PackageType.PECL, "pecl", None, None, "generic", "PECL", "pecl", None, "pecl",
              ("php-pecl-pkg", "php-pear-pkg")),  # no advisory source: listed, not matched
    Ecosystem(PackageType.NUGET, "nuget", "nuget", "NuGet", "generic", "NuGet", "nuget", None, "dotnet",
              ("dotnet-core", "dotnet", "packages-props"), advisory_name="lower"),
    # OpenWrt's package manager: no feed carries its advisories, so it is not judged as a distribution's packages.
    Ecosystem(PackageType.OPKG, "opkg", None, None, "dpkg", "opkg package", "opkg", None, "opkg"),
    Ecosystem(PackageType.BINARY, "generic", None, None, "generic", "binary", "binary", None, "binary"),
)

_BY_TYPE: Mapping[str, Ecosystem] = MappingProxyType({e.type.value: e for e in ECOSYSTEMS})
_BY_NAMESPACE: Mapping[str, Ecosystem] = MappingProxyType({e.namespace: e for e in ECOSYSTEMS if e.namespace})
_BY_PURL_TYPE: Mapping[str, Ecosystem] = MappingProxyType({e.purl_type: e for e in ECOSYSTEMS})
OS_PACKAGE_TYPES: frozenset[str] = frozenset(e.type.value for e in ECOSYSTEMS if e.os)


def ecosystem(package_type: str) -> Ecosystem | None:
    """The row of a seawall package type (`python`, `deb`…)."""
    return _BY_TYPE.get(package_type)


def ecosystem_of_purl_type(purl_type: str) -> Ecosystem | None:
    """The row of a purl type (`pypi`, `golang`…)."""
    return _BY_PURL_TYPE.get(purl_type)


def ecosystem_of_namespace(namespace: str) -> Ecosystem | None:
    """The row of a language advisory namespace (`pypi`, `go`…); None for a distribution's."""
    return _BY_NAMESPACE.get(namespace)


@dataclass(frozen=True)
class Distribution:
    """One Linux distribution: its package type, how its namespace is written, the feed whose verdicts are its own."""

    id: str  # os-release ID
    display: str
    package_type: PackageType
    # How the namespace is written from VERSION_ID: "major" (debian:12), "minor" (alpine:3.19, photon:5.0), "full"
    # (ubuntu:22.04) or "rolling" (wolfi:rolling: one namespace whatever the image's VERSION_ID says)
    namespace_version: str
    purl_namespace: str  # rpm vendors each get their own purl namespace, like syft and Trivy
    trivy_family: str
    feed: str | None = None  # the feed whose verdicts are this distribution's own (None: OSV records only)
    advisory_url: str | None = None  # the vendor's page about one vulnerability; {id} is the CVE or advisory id
    osv: str | None = None  # the OSV ecosystem prefix (Debian, Alpine, "Red Hat"…)
    aliases: tuple[str, ...] = ()  # other spellings (version-scheme and purl names, vendors' names)
    # Which package name the vendor keys its advisories by: "source" (Debian, Ubuntu, Alpine, Wolfi, Photon) or
    # "binary" (AlmaLinux and Rocky OSV, Oracle ELSA, Amazon ALAS list every binary rpm of an erratum).
    advisory_key: str = "source"

    @property
    def version_scheme(self) -> str:
        return _ECOSYSTEM_SCHEME[self.package_type]


_ECOSYSTEM_SCHEME = {e.type: e.version_scheme for e in ECOSYSTEMS}

DISTRIBUTIONS: tuple[Distribution, ...] = (
    Distribution("debian", "Debian", PackageType.DEB, "major", "debian", "debian", "debian",
                 "https://security-tracker.debian.org/tracker/{id}", "Debian"),
    Distribution("ubuntu", "Ubuntu", PackageType.DEB, "full", "ubuntu", "ubuntu", "osv",
                 "https://ubuntu.com/security/{id}", "Ubuntu"),
    Distribution("alpine", "Alpine", PackageType.APK, "minor", "alpine", "alpine", "alpine",
                 "https://security.alpinelinux.org/vuln/{id}", "Alpine"),
    # Wolfi and Chainguard images carry no VERSION_ID worth keying on (rolling): one namespace each, "wolfi:rolling".
    Distribution("wolfi", "Wolfi", PackageType.APK, "rolling", "wolfi", "wolfi", "wolfi",
                 "https://images.chainguard.dev/security/{id}"),
    Distribution("chainguard", "Chainguard", PackageType.APK, "rolling", "chainguard", "chainguard", "wolfi",
                 "https://images.chainguard.dev/security/{id}"),
    # Red Hat's VEX names unfixed components by source rpm only: Red Hat is judged by source, the others by binary.
    Distribution("rhel", "Red Hat", PackageType.RPM, "major", "redhat", "redhat", "redhat",
                 "https://access.redhat.com/security/cve/{id}", osv="Red Hat", aliases=("redhat", "red hat")),
    Distribution("centos", "CentOS", PackageType.RPM, "major", "centos", "centos"),
    Distribution("rocky", "Rocky Linux", PackageType.RPM, "major", "rocky", "rocky", "osv",
                 osv="Rocky Linux", aliases=("rocky linux",), advisory_key="binary"),
    Distribution("almalinux", "AlmaLinux", PackageType.RPM, "major", "almalinux", "alma", "osv",
                 osv="AlmaLinux", aliases=("alma",), advisory_key="binary"),
    Distribution("ol", "Oracle Linux", PackageType.RPM, "major", "oracle", "oracle", "oracle",
                 "https://linux.oracle.com/cve/{id}.html", aliases=("oracle",), advisory_key="binary"),
    Distribution("amzn", "Amazon Linux", PackageType.RPM, "major", "amazon", "amazon", "amazon",
                 "https://explore.alas.aws.amazon.com/{id}.html", aliases=("amazon", "amazonlinux"),
                 advisory_key="binary"),
    Distribution("fedora", "Fedora", PackageType.RPM, "major", "fedora", "fedora"),
    Distribution("sles", "SUSE Linux Enterprise", PackageType.RPM, "full", "suse", "sles", "osv",
                 "https://www.suse.com/security/cve/{id}.html", osv="SUSE", aliases=("suse",),
                 advisory_key="binary"),
    Distribution("opensuse-leap", "openSUSE Leap", PackageType.RPM, "full", "opensuse", "opensuse", "osv",
                 "https://www.suse.com/security/cve/{id}.html", osv="openSUSE", aliases=("opensuse",),
                 advisory_key="binary"),
    Distribution("opensuse-tumbleweed", "openSUSE Tumbleweed", PackageType.RPM, "rolling", "opensuse", "opensuse",
                 "osv", "https://www.suse.com/security/cve/{id}.html", advisory_key="binary"),
    Distribution("opensuse", "openSUSE", PackageType.RPM, "full", "opensuse", "opensuse"),
    Distribution("photon", "Photon OS", PackageType.RPM, "minor", "photon", "photon", "photon"),
    Distribution("mariner", "CBL-Mariner", PackageType.RPM, "full", "mariner", "mariner"),
    Distribution("azurelinux", "Azure Linux", PackageType.RPM, "full", "azurelinux", "azurelinux"),
)

_BY_ID: Mapping[str, Distribution] = MappingProxyType({d.id: d for d in DISTRIBUTIONS})
# Default purl namespace of an OS package type when the distribution is not known.
DEFAULT_OS_PURL_NAMESPACE: Mapping[str, str] = MappingProxyType(
    {PackageType.DEB.value: "debian", PackageType.APK.value: "alpine", PackageType.RPM.value: "redhat"})


def distribution(distro_id: str) -> Distribution | None:
    """The row of an os-release ID, or of the first word of an advisory namespace (`debian` of `debian:12`)."""
    return _BY_ID.get(distro_id)


# Other spellings first (the first row naming one wins), then every os-release ID, which always names its own row.
_BY_NAME: Mapping[str, Distribution] = MappingProxyType({
    **{name.lower(): d for d in reversed(DISTRIBUTIONS) for name in (d.purl_namespace, d.trivy_family, *d.aliases)},
    **{d.id: d for d in DISTRIBUTIONS}})


def distribution_named(name: str) -> Distribution | None:
    """The row of an os-release ID or any other spelling of it (`redhat`, `amazon`, `alma`…)."""
    return _BY_NAME.get(name.lower())


def namespace_version(distro_id: str, version_id: str) -> str:
    """VERSION_ID as the distribution's advisory namespace writes it: 12.5 → 12 (Debian), 3.19.1 → 3.19 (Alpine)."""
    row = _BY_ID.get(distro_id)
    rule = row.namespace_version if row is not None else "full"
    if rule == "major":
        return version_id.split(".")[0]
    if rule == "minor":
        return ".".join(version_id.split(".")[:2])
    if rule == "rolling":
        return "rolling"
    return version_id


def advisory_url(namespace: str, vuln_id: str) -> str | None:
    """The distribution's page about `vuln_id` for an advisory namespace, when it has one."""
    row = _BY_ID.get(namespace.split(":", 1)[0])
    return row.advisory_url.format(id=vuln_id) if row is not None and row.advisory_url else None


def display_name(namespace_head: str) -> str | None:
    """How people write a distribution id or an ecosystem namespace: rhel → Red Hat, pypi → PyPI."""
    row = _BY_ID.get(namespace_head)
    if row is not None:
        return row.display
    eco = _BY_NAMESPACE.get(namespace_head)
    return eco.display if eco is not None else None


def version_scheme_names() -> dict[str, str]:
    """Every ecosystem, package-type and distribution name → the version scheme that orders its versions."""
    out: dict[str, str] = {}
    for eco in ECOSYSTEMS:
        for name in (eco.type.value, eco.purl_type, eco.namespace, eco.osv, *eco.aliases):
            if name:
                out.setdefault(name.lower(), eco.version_scheme)
    for dist in DISTRIBUTIONS:
        for name in (dist.id, dist.purl_namespace, dist.osv, *dist.aliases):
            if name:
                out.setdefault(name.lower(), dist.version_scheme)
    return out

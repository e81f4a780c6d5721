"""Which repository an OS package came from, from the package managers' own records: apt's sources and indexes,
yum/dnf `.repo` files and dnf's history, apk's tagged repositories.

Where the package manager recorded the origin (an apt index listing the installed version, a dnf history row, a
`name@tag` pin) that decides. Otherwise a package that does not identify itself as the distribution's own, and
whose name or maintainer fits a configured third-party repository (nginx.org's `nginx`, Docker's `docker-ce`), is
taken to come from there, as Trivy and grype read the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from seawall.catalog.distro import DEBIAN_CODENAMES, UBUNTU_CODENAMES
from seawall.catalog.vendors import DISTRO_RPM_VENDORS, KNOWN_VENDORS, KnownVendor, slug
from seawall.model.repository import PackageOrigin, Repository
from seawall.model.sbom import Distro, Package

DISTRIBUTION_APT_DOMAINS = ("debian.org", "debian.net", "ubuntu.com", "canonical.com")
DISTRIBUTION_APT_DIRS = frozenset({"debian", "debian-security", "debian-ports", "debian-archive", "ubuntu",
                                   "ubuntu-ports"})
DISTRIBUTION_COMPONENTS = frozenset({"main", "contrib", "non-free", "non-free-firmware", "restricted", "universe",
                                     "multiverse"})
_SUITE_ALIASES = frozenset({"stable", "oldstable", "oldoldstable", "testing", "unstable", "sid", "experimental"})
_SUITE = re.compile(r"^(?P<base>[a-z]+)(?:-updates|-security|-backports|-backports-sloppy|-proposed|"
                    r"-proposed-updates|/updates)?$")
DISTRIBUTION_RPM_DOMAINS = ("rockylinux.org", "almalinux.org", "centos.org", "fedoraproject.org", "redhat.com",
                            "oracle.com", "amazonlinux.com", "amazonaws.com", "opensuse.org", "suse.com", "suse.de",
                            "vmware.com", "broadcom.com", "openeuler.org")
_OWN_DEB_DOMAINS = ("debian.org", "debian.net", "ubuntu.com", "canonical.com", "launchpad.net")
_OWN_DEB_VERSION = re.compile(r"ubuntu|[+~]deb\d|~bpo\d")
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9.-]+)>?\s*$")
_ALPINE_BRANCH = re.compile(r"/(v\d+\.\d+|edge)(?:/|$)")
# Words of repository URLs that name no product.
_GENERIC = frozenset({
    "debian", "ubuntu", "linux", "packages", "package", "repo", "repos", "repository", "dists", "download",
    "downloads", "main", "stable", "prod", "nodistro", "contrib", "mirror", "mirrors", "archive", "https", "http",
    "mainline", "testing", "unstable", "release", "releases", "rpms", "yum", "centos", "fedora", "rhel", "redhat",
    "baseos", "appstream", "edge", "community", "alpine", "x86_64", "aarch64", "amd64", "arm64", "noarch",
    "basearch", "releasever", "multiverse", "universe", "restricted", "updates", "security", "backports", "free",
    "non-free", "source", "sources", "public", "dist", "latest", "current", "cdn", "media", "files",
    *DEBIAN_CODENAMES, *UBUNTU_CODENAMES,
})  # fmt: skip
EPEL = KnownVendor("EPEL", "epel")


def split_url(url: str) -> tuple[str, str]:
    """(host, path) of a repository URL; apt index names carry no scheme (`nginx.org/packages/debian`)."""
    if "://" not in url:
        url = "//" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "", ""
    return host, parts.path


def _in_domains(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def host_label(host: str) -> str:
    """The name a host's owner registered: `repo.mongodb.org` → `mongodb`, `www.example.co.uk` → `example`."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac", "gov"):
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else host


def vendor_for_host(host: str) -> KnownVendor:
    for vendor in KNOWN_VENDORS:
        if _in_domains(host, vendor.hosts):
            return vendor
    return KnownVendor(host, slug(host_label(host)))


def _distribution_suite(suite: str) -> bool:
    match = _SUITE.match(suite)
    if not match:
        return False
    base = match.group("base")
    return base in _SUITE_ALIASES or base in DEBIAN_CODENAMES or base in UBUNTU_CODENAMES


def is_distribution_apt_repo(repo: Repository) -> bool:
    """Debian's and Ubuntu's archives and their mirrors (`/debian` with the archive's suites and components).
    A repository whose address says nothing (a local `file:` one) is not taken as another vendor's."""
    if repo.url.startswith(("file:", "cdrom:", "copy:", "mirror+file:")):
        return True
    host, path = split_url(repo.url)
    if not host or _in_domains(host, DISTRIBUTION_APT_DOMAINS):
        return True
    last = path.rstrip("/").rpartition("/")[2]
    return (last in DISTRIBUTION_APT_DIRS and all(_distribution_suite(s) for s in repo.suites)
            and set(repo.components) <= DISTRIBUTION_COMPONENTS)


def _is_epel(repo: Repository) -> bool:
    return repo.id.lower().startswith("epel") or "epel" in repo.url.lower()


def is_distribution_yum_repo(repo: Repository, distro: Distro | None) -> bool:
    if _is_epel(repo):
        return distro is not None and distro.id == "fedora"
    host, path = split_url(repo.url)
    if not host or "$" in host:
        return True  # `$awsdomain` and friends: dnf's variables, only the distribution's own files use them
    if distro is not None and distro.id in ("mariner", "azurelinux") and ("mariner" in path or "azurelinux" in path):
        return True
    return _in_domains(host, DISTRIBUTION_RPM_DOMAINS)


def yum_vendor(repo: Repository) -> KnownVendor:
    return EPEL if _is_epel(repo) else vendor_for_host(split_url(repo.url)[0])


def apk_vendor(repo: Repository, distro: Distro | None) -> KnownVendor | None:
    """The vendor of an apk repository that is not the image's own Alpine release, else None."""
    host, path = split_url(repo.url)
    match = _ALPINE_BRANCH.search(path)
    version = (distro.version_id or "") if distro else ""
    release = "v" + ".".join(version.split(".")[:2]) if version else ""
    if match is None:
        return None if not host or _in_domains(host, ("alpinelinux.org",)) else vendor_for_host(host)
    branch = match.group(1)
    if branch == release:
        return None
    if not _in_domains(host, ("alpinelinux.org",)) and "/alpine/" not in path:
        return vendor_for_host(host)
    return KnownVendor(f"alpine-{branch}", f"alpine-{branch}".replace(".", "-"))


def _tokens(repo: Repository) -> frozenset[str]:
    host, path = split_url(repo.url)
    words = [host_label(host), *re.split(r"[^a-z0-9]+", path.lower()), repo.id.lower(),
             *(w for text in (*repo.suites, *repo.components) for w in re.split(r"[^a-z0-9]+", text.lower()))]
    return frozenset(w for w in words if len(w) >= 4 and not w.isdigit() and w not in _GENERIC)


def _maintainer_label(package: Package) -> str:
    match = _EMAIL_DOMAIN.search(package.maintainer or "")
    return host_label(match.group(1).lower()) if match else ""


def fits(package: Package, repo: Repository) -> bool:
    """The package's name starts with a word of the repository's address, or its maintainer's mail domain is the
    repository host's: `nginx-module-njs` fits nginx.org, `docker-ce` download.docker.com."""
    name = package.name.lower()
    host = split_url(repo.url)[0]
    return any(name.startswith(t) for t in _tokens(repo)) or (
        bool(host) and _maintainer_label(package) == host_label(host))


def _own_deb(package: Package) -> bool:
    match = _EMAIL_DOMAIN.search(package.maintainer or "")
    return bool(match and _in_domains(match.group(1).lower(), _OWN_DEB_DOMAINS)) or bool(
        _OWN_DEB_VERSION.search(package.version))


class RepositoryEvidence:
    """The image's repositories and recorded package origins, asked one package at a time."""

    def __init__(self, repositories: Iterable[Repository], origins: Iterable[PackageOrigin],
                 distro: Distro | None) -> None:
        repos = list(dict.fromkeys(repositories))
        self.distro = distro
        self.apt = [r for r in repos if r.kind == "apt" and r.enabled and not is_distribution_apt_repo(r)]
        self.apt_indexed = {split_url(r.url)[0] for r in repos if r.kind == "apt-list"
                            and not is_distribution_apt_repo(r)}
        self.yum = {r.id: r for r in repos if r.kind == "yum"}
        self.yum_third = [r for r in repos if r.kind == "yum" and r.enabled
                          and not is_distribution_yum_repo(r, distro)]
        self.apk_tags = {r.id: r for r in repos if r.kind == "apk" and r.id}
        self.apt_origin: dict[tuple[str, str], str] = {}
        self.dnf_origin: dict[tuple[str, str, str], str] = {}
        self.apk_pinned: dict[str, str] = {}
        for origin in origins:
            if origin.kind == "apt-list":
                self.apt_origin.setdefault((origin.name, origin.version), origin.repo)
            elif origin.kind == "dnf":
                self.dnf_origin[(origin.name, origin.version, origin.arch)] = origin.repo
            elif origin.kind == "apk":
                self.apk_pinned[origin.name] = origin.repo

    def vendor(self, package: Package, guess: KnownVendor | None) -> KnownVendor | None:
        """The package's vendor given the repositories, where `guess` is what its own fields say."""
        if package.type == "deb":
            return self._deb(package, guess)
        if package.type == "rpm":
            return self._rpm(package, guess)
        if package.type == "apk":
            tag = self.apk_pinned.get(package.name)
            if tag is None:
                return guess
            repo = self.apk_tags.get(tag)
            if repo is None:  # pinned to a tag whose repository line is gone: still not the release's
                return guess or KnownVendor(f"@{tag}", slug(tag))
            return apk_vendor(repo, self.distro) or guess
        return guess

    def _deb(self, package: Package, guess: KnownVendor | None) -> KnownVendor | None:
        indexed = self.apt_origin.get((package.name, package.version))
        if indexed is not None:
            return vendor_for_host(split_url(indexed)[0])
        fitting = [r for r in self.apt if split_url(r.url)[0] not in self.apt_indexed and fits(package, r)]
        if guess is not None:
            if guess not in KNOWN_VENDORS and fitting:
                return vendor_for_host(split_url(fitting[0].url)[0])  # named after its repository, not a mail domain
            return guess
        if _own_deb(package) or not fitting:
            return None
        return vendor_for_host(split_url(fitting[0].url)[0])

    def _rpm(self, package: Package, guess: KnownVendor | None) -> KnownVendor | None:
        repo_id = self.dnf_origin.get((package.name, package.version, package.arch or ""))
        if repo_id is not None:
            repo = self.yum.get(repo_id)
            if repo is not None:
                return None if is_distribution_yum_repo(repo, self.distro) else yum_vendor(repo)
            if repo_id.lower().startswith("epel"):
                return EPEL
        if guess is not None:
            if guess.name == "Fedora Project" and any(_is_epel(r) for r in self.yum_third):
                return EPEL
            return guess
        if self._own_rpm(package):
            return None
        fitting = [r for r in self.yum_third if fits(package, r)]
        return yum_vendor(fitting[0]) if fitting else None

    def _own_rpm(self, package: Package) -> bool:
        metadata = dict(package.metadata)
        text = f"{metadata.get('vendor', '')} {metadata.get('packager', '')}".lower()
        own = DISTRO_RPM_VENDORS.get(self.distro.id, ()) if self.distro else ()
        if any(mark in text for mark in own):
            return True
        match = re.search(r"@([a-z0-9.-]+)", text)
        return bool(match and _in_domains(match.group(1), DISTRIBUTION_RPM_DOMAINS))

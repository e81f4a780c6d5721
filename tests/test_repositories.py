"""The package managers' repository records, in their real file formats, and what they say of each package's
vendor: apt one-line and deb822 sources and apt's index files, yum `.repo` INI and dnf's history DB, apk's
repositories and world."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.catalog.apk_repos import parse_repositories, parse_world
from seawall.catalog.apt_sources import index_repository, parse_deb822, parse_one_line
from seawall.catalog.dnf_history import history_origins
from seawall.catalog.interface import FileEntry
from seawall.catalog.repo_vendors import apk_vendor, is_distribution_apt_repo, is_distribution_yum_repo, yum_vendor
from seawall.catalog.repos import RepositoryCataloger
from seawall.catalog.vendors import mark_third_party
from seawall.catalog.yum_repos import parse_repo_file
from seawall.model.sbom import Distro, Package
from tests.dnf_history import DONE, ERROR, INSTALL, UPGRADE, write_history

ASSETS = Path(__file__).parent / "assets" / "thirdparty"
BOOKWORM = Distro("debian", "12", "bookworm")
ROCKY = Distro("rocky", "9.2")
ALPINE = Distro("alpine", "3.19.1")


def entry(path: str, data: bytes) -> FileEntry:
    return FileEntry(path, len(data), 0o644, 0, data)


def asset(name: str) -> str:
    return (ASSETS / name).read_text()


def deb(name: str, version: str, maintainer: str) -> Package:
    return Package(name, version, "deb", "dpkg", maintainer=maintainer, arch="amd64")


# --- apt -----------------------------------------------------------------------------------------------------------


def test_one_line_sources_name_the_vendors_and_leave_the_debian_mirror_alone() -> None:
    repos = parse_one_line(asset("sources.list"), "/etc/apt/sources.list")
    assert len(repos) == 7  # the deb-src line is not installed from
    third = {r.url: r for r in repos if not is_distribution_apt_repo(r)}
    assert set(third) == {"https://repo.mongodb.org/apt/debian", "https://deb.nodesource.com/node_20.x",
                          "https://download.docker.com/linux/debian", "https://packages.microsoft.com/debian/12/prod",
                          "https://packages.sury.org/php/"}
    mongo = third["https://repo.mongodb.org/apt/debian"]
    assert (mongo.suites, mongo.components) == (("bookworm/mongodb-org/7.0",), ("main",))
    nginx, = parse_one_line(asset("nginx.list"), "/etc/apt/sources.list.d/nginx.list")
    assert (nginx.url, nginx.components, is_distribution_apt_repo(nginx)) == (
        "https://nginx.org/packages/mainline/debian/", ("nginx",), False)


def test_deb822_sources_keep_enabled_deb_paragraphs() -> None:
    grafana, = parse_deb822(asset("grafana.sources"), "/etc/apt/sources.list.d/grafana.sources")
    assert (grafana.url, grafana.suites, grafana.enabled, is_distribution_apt_repo(grafana)) == (
        "https://apt.grafana.com", ("stable",), True, False)
    debian = parse_deb822(asset("debian.sources"), "/etc/apt/sources.list.d/debian.sources")
    assert [r.suites for r in debian] == [("bookworm", "bookworm-updates"), ("bookworm-security",)]
    assert all(is_distribution_apt_repo(r) for r in debian)


def test_an_apt_index_names_its_repository_as_apt_quotes_it() -> None:
    sury = index_repository("/var/lib/apt/lists/packages.sury.org_php_dists_bookworm_main_binary-amd64_Packages")
    assert sury is not None and (sury.url, sury.suites, sury.components) == (
        "packages.sury.org/php", ("bookworm",), ("main",))
    node = index_repository("/var/lib/apt/lists/deb.nodesource.com_node%5f20.x_dists_nodistro_main_"
                            "binary-amd64_Packages")
    assert node is not None and node.url == "deb.nodesource.com/node_20.x" and not is_distribution_apt_repo(node)
    mongo = index_repository("/var/lib/apt/lists/repo.mongodb.org_apt_debian_dists_bookworm_mongodb-org_7.0_main_"
                             "binary-arm64_Packages")
    assert mongo is not None and mongo.suites == ("bookworm/mongodb-org/7.0",)
    debian = index_repository("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages")
    assert debian is not None and is_distribution_apt_repo(debian)
    assert index_repository("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease") is None


def test_the_cataloger_keeps_only_other_vendors_index_entries() -> None:
    sury_name = "packages.sury.org_php_dists_bookworm_main_binary-amd64_Packages"
    debian_index = b"Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\n\n"
    result = RepositoryCataloger().catalog([
        entry("/var/lib/apt/lists/" + sury_name, (ASSETS / sury_name).read_bytes()),
        entry("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", debian_index),
        entry("/etc/apt/sources.list.d/nginx.list", (ASSETS / "nginx.list").read_bytes()),
        entry("/etc/yum.repos.d/broken.repo", b"baseurl=https://example.com\n"),
    ])
    assert {(o.name, o.repo) for o in result.origins} == {("php8.2-cli", "packages.sury.org/php"),
                                                           ("php8.2-common", "packages.sury.org/php")}
    assert [r.kind for r in result.repositories] == ["apt-list", "apt-list", "apt"]
    broken, = result.unknowns
    assert broken.path == "/etc/yum.repos.d/broken.repo" and "not an INI .repo file" in broken.reason


def test_a_package_fitting_a_configured_repository_is_that_vendors_unless_debian_says_it_is_its_own() -> None:
    repos = [*parse_one_line(asset("sources.list"), "/etc/apt/sources.list"),
             *parse_deb822(asset("grafana.sources"), "/etc/apt/sources.list.d/grafana.sources")]
    packages = [
        deb("grafana", "10.2.3", "contact@grafana.com"),  # fits apt.grafana.com by name
        deb("docker-buildx-plugin", "0.11.2-1~debian.12~bookworm", "Docker <support@docker.com>"),
        deb("nodejs", "18.19.0+dfsg-6~deb12u1", "Debian Javascript Maintainers "
            "<pkg-javascript-devel@alioth-lists.debian.net>"),  # Debian's own nodejs, beside NodeSource's repo
        deb("docker.io", "20.10.24+dfsg1-1+b3", "Debian Go Packaging Team <team+pkg-go@tracker.debian.org>"),
        deb("libc6", "2.36-9+deb12u4", "GNU Libc Maintainers <debian-glibc@lists.debian.org>"),
        deb("php8.2-cli", "8.2.14-1+0~20231220.38+debian12~1.gbp8a2d8b",
            "Debian PHP Maintainers <team+pkg-php@tracker.debian.org>"),  # only sury's index can tell
    ]
    vendors = {p.name: (p.vendor, p.purl) for p in mark_third_party(packages, BOOKWORM, repos)}
    assert vendors["grafana"] == ("apt.grafana.com", "pkg:deb/grafana/grafana@10.2.3?arch=amd64")
    assert vendors["docker-buildx-plugin"][0] == "docker.com"
    assert {vendors[n][0] for n in ("nodejs", "docker.io", "libc6", "php8.2-cli")} == {None}


def test_an_index_decides_exactly_both_ways() -> None:
    sury_name = "packages.sury.org_php_dists_bookworm_main_binary-amd64_Packages"
    mongo_name = "repo.mongodb.org_apt_debian_dists_bookworm_mongodb-org_7.0_main_binary-amd64_Packages"
    mongo_index = b"Package: mongodb-org-server\nVersion: 7.0.4\nArchitecture: amd64\n"
    result = RepositoryCataloger().catalog([
        entry("/var/lib/apt/lists/" + sury_name, (ASSETS / sury_name).read_bytes()),
        entry("/var/lib/apt/lists/" + mongo_name, mongo_index),
        entry("/etc/apt/sources.list", (ASSETS / "sources.list").read_bytes())])
    php = deb("php8.2-cli", "8.2.14-1+0~20231220.38+debian12~1.gbp8a2d8b",
              "Debian PHP Maintainers <team+pkg-php@tracker.debian.org>")
    # Its name fits MongoDB's repository, whose index is there and does not list it: not MongoDB's.
    other = deb("mongodb-helper", "1.0-1", "Someone <someone@example.com>")
    marked = {p.name: p for p in mark_third_party([php, other], BOOKWORM, result.repositories, result.origins)}
    assert (marked["php8.2-cli"].vendor, marked["php8.2-cli"].purl) == (
        "packages.sury.org", "pkg:deb/sury/php8.2-cli@8.2.14-1%2B0~20231220.38%2Bdebian12~1.gbp8a2d8b?arch=amd64")
    assert marked["mongodb-helper"].vendor is None
    sources = [r for r in result.repositories if r.kind == "apt"]
    assert mark_third_party([other], BOOKWORM, sources)[0].vendor == "mongodb.org"  # without its index, it fits


# --- yum / dnf -----------------------------------------------------------------------------------------------------


def test_repo_files_tell_the_distributions_repositories_from_epel_and_vendors() -> None:
    repos = {r.id: r for name in ("rocky.repo", "epel.repo", "docker-ce.repo", "grafana.repo")
             for r in parse_repo_file(asset(name), f"/etc/yum.repos.d/{name}")}
    assert set(repos) == {"baseos", "appstream", "epel", "docker-ce-stable", "docker-ce-test", "grafana"}
    assert is_distribution_yum_repo(repos["baseos"], ROCKY) and is_distribution_yum_repo(repos["appstream"], ROCKY)
    assert not repos["docker-ce-test"].enabled
    assert {i: yum_vendor(r).name for i, r in repos.items() if not is_distribution_yum_repo(r, ROCKY)} == {
        "epel": "EPEL", "docker-ce-stable": "docker.com", "docker-ce-test": "docker.com",
        "grafana": "rpm.grafana.com"}


def test_dnf_history_maps_each_installed_nevra_to_its_repo_id(tmp_path: Path) -> None:
    db = write_history(tmp_path / "history.sqlite", [
        ("install bash nginx", [("bash", 0, "5.1.8", "6.el9_1", "x86_64", "baseos", INSTALL, DONE),
                                ("nginx", 1, "1.24.0", "1.el9.ngx", "x86_64", "nginx-stable", INSTALL, DONE),
                                ("broken", 0, "1", "1", "noarch", "grafana", INSTALL, ERROR)]),
        ("upgrade nginx", [("nginx", 1, "1.26.0", "1.el9.ngx", "x86_64", "nginx-stable", UPGRADE, DONE)]),
        ("install ./local.rpm", [("local", 0, "1", "1", "noarch", "@commandline", INSTALL, DONE)]),
    ])
    origins = {(o.name, o.version, o.arch): o.repo for o in history_origins(db.read_bytes())}
    assert origins == {("bash", "5.1.8-6.el9_1", "x86_64"): "baseos",
                       ("nginx", "1:1.24.0-1.el9.ngx", "x86_64"): "nginx-stable",
                       ("nginx", "1:1.26.0-1.el9.ngx", "x86_64"): "nginx-stable"}
    result = RepositoryCataloger().catalog([entry("/var/lib/dnf/history.sqlite", b"SQLite format 3\x00garbage")])
    assert "unreadable dnf history DB" in result.unknowns[0].reason


def test_rpm_vendors_from_repositories_and_history(tmp_path: Path) -> None:
    repos = [r for name in ("rocky.repo", "epel.repo", "grafana.repo", "nginx.repo")
             for r in parse_repo_file(asset(name), f"/etc/yum.repos.d/{name}")]
    db = write_history(tmp_path / "history.sqlite", [("install", [
        ("k6", 0, "0.48.0", "1", "x86_64", "grafana", INSTALL, DONE),
        ("nginx", 1, "1.26.0", "1.el9.ngx", "x86_64", "nginx-stable", INSTALL, DONE),
        ("openssl-libs", 1, "3.0.7", "24.el9", "x86_64", "baseos", INSTALL, DONE)])])
    origins = history_origins(db.read_bytes())

    def rpm(name: str, version: str, vendor: str = "", packager: str = "") -> Package:
        metadata = tuple(sorted((k, v) for k, v in (("vendor", vendor), ("packager", packager)) if v))
        return Package(name, version, "rpm", "rpm", arch="x86_64", metadata=metadata)

    packages = [rpm("k6", "0.48.0-1"), rpm("nginx", "1:1.26.0-1.el9.ngx"), rpm("grafana", "10.2.3-1"),
                rpm("htop", "3.2.2-1.el9", "Fedora Project"),
                rpm("openssl-libs", "1:3.0.7-24.el9", "Rocky Enterprise Software Foundation"),
                rpm("grafana-agent", "0.39.0-1", "Rocky Enterprise Software Foundation",
                    "Rocky Linux Build System (Peridot) <releng@rockylinux.org>"),
                rpm("docker-ce", "3:24.0.7-1.el9", "", "Docker <support@docker.com>")]
    vendors = {p.name: p.vendor for p in mark_third_party(packages, ROCKY, repos, origins)}
    assert vendors == {"k6": "rpm.grafana.com",  # only the history knows: its name fits no repository
                       "nginx": "nginx.org", "grafana": "rpm.grafana.com", "htop": "EPEL",
                       "openssl-libs": None, "grafana-agent": None, "docker-ce": "docker.com"}


# --- apk -----------------------------------------------------------------------------------------------------------


def test_apk_tags_pin_packages_to_repositories_outside_the_release() -> None:
    repos = parse_repositories(asset("apk-repositories"), "/etc/apk/repositories")
    assert [(r.id, r.url) for r in repos][:3] == [
        ("", "https://dl-cdn.alpinelinux.org/alpine/v3.19/main"),
        ("", "https://dl-cdn.alpinelinux.org/alpine/v3.19/community"),
        ("edgecommunity", "https://dl-cdn.alpinelinux.org/alpine/edge/community")]
    assert [apk_vendor(r, ALPINE) and apk_vendor(r, ALPINE).name for r in repos] == [  # type: ignore[union-attr]
        None, None, "alpine-edge", "alpine-edge", "packages.example.com", None]
    pinned = {o.name: o.repo for o in parse_world(asset("apk-world"))}
    assert pinned == {"nodejs": "edgecommunity", "kubectl": "edgetesting", "ourtool": "custom", "curl": "mirror319"}
    packages = [Package(n, "1.0-r0", "apk", "apk") for n in ("nodejs", "kubectl", "ourtool", "curl", "busybox")]
    marked = {p.name: (p.vendor, p.purl) for p in mark_third_party(packages, ALPINE, repos,
                                                                    parse_world(asset("apk-world")))}
    assert marked["nodejs"] == ("alpine-edge", "pkg:apk/alpine-edge/nodejs@1.0-r0")
    assert marked["kubectl"][0] == "alpine-edge" and marked["ourtool"][0] == "packages.example.com"
    assert marked["curl"] == (None, None) and marked["busybox"] == (None, None)


@pytest.mark.parametrize(("line", "image", "vendor"), [
    ("@edge https://dl-cdn.alpinelinux.org/alpine/edge/main", "3.19.1", "alpine-edge"),
    ("@new https://dl-cdn.alpinelinux.org/alpine/v3.20/main", "3.19.1", "alpine-v3.20"),
    ("@same https://dl-cdn.alpinelinux.org/alpine/v3.19/community", "3.19.1", None),
    ("@local /srv/packages", "3.19.1", None),
])
def test_apk_repository_vendor(line: str, image: str, vendor: str | None) -> None:
    repo, = parse_repositories(line, "/etc/apk/repositories")
    found = apk_vendor(repo, Distro("alpine", image))
    assert (found.name if found else None) == vendor


def test_a_compressed_index_is_read_within_its_bound() -> None:
    import gzip
    import lzma

    from seawall.catalog.apt_sources import read_index

    text = (ASSETS / "packages.sury.org_php_dists_bookworm_main_binary-amd64_Packages").read_bytes()
    assert read_index("x_Packages.gz", gzip.compress(text), 1 << 20) == text
    assert read_index("x_Packages.xz", lzma.compress(text), 1 << 20) == text
    with pytest.raises(ValueError, match="larger than 1024 bytes"):
        read_index("x_Packages.gz", gzip.compress(b"\n" * 100_000), 1024)
    bomb = "/var/lib/apt/lists/evil.example_dists_x_main_binary-amd64_Packages.gz"
    result = RepositoryCataloger().catalog([entry(bomb, gzip.compress(b"\n" * (129 << 20)))])
    assert result.origins == () and "larger than" in result.unknowns[0].reason


APT_LISTS = Path("/var/lib/apt/lists")


def test_an_index_apt_wrote_lz4_compressed_is_read() -> None:
    """apt in Debian's images keeps its indexes lz4-compressed; this machine's apt wrote real ones. python-debian's
    deb822 parser is the oracle for the entries."""
    from debian.deb822 import Packages

    from seawall.catalog.apt_sources import index_entries, read_index

    found = sorted(APT_LISTS.glob("deb.debian.org_debian*_dists_*_main_binary-*_Packages.lz4"),
                   key=lambda p: p.stat().st_size)
    if not found:
        pytest.skip("no lz4-compressed apt index on this machine")
    index = found[0]  # the smallest (bookworm-updates or -security): the oracle is slow
    text = read_index(index.name, index.read_bytes(), 128 << 20).decode()
    expected = {(p["Package"], p["Version"], p["Architecture"]) for p in Packages.iter_paragraphs(text.splitlines())}
    assert set(index_entries(text)) == expected and expected
    repo = index_repository(str(index))
    assert repo is not None and is_distribution_apt_repo(repo)

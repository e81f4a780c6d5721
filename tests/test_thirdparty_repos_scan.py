"""End to end: an image built from Debian with nginx.org's, Grafana's and sury.org's repositories configured (one
of them removed again in a later layer, sury's index left in /var/lib/apt/lists), scanned by default against a
Debian tracker feed served on 127.0.0.1. The vendors' packages are reported as not covered by Debian, each with its
vendor, and never matched against Debian's advisories for the same-named sources; Debian's own packages still are.
The same for a Rocky Linux image with EPEL, Grafana's and nginx.org's `.repo` files and dnf's history DB, and an
Alpine image with packages pinned to tagged repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.image.open import open_source
from seawall.inventory.build import build_sbom
from seawall.match.coverage import compute_coverage
from seawall.scan import scan_target
from tests.conftest import require_tool
from tests.dnf_history import DONE, INSTALL, write_history
from tests.feed_helpers import FeedServer
from tests.fixtures.rootfs import DebianRootfs
from tests.imagebuild import File, Whiteout, build_oci_layout
from tests.test_coverage import ROCKY_OS_RELEASE, RPMS, _spec

ASSETS = Path(__file__).parent / "assets" / "thirdparty"
SURY_INDEX = "packages.sury.org_php_dists_bookworm_main_binary-amd64_Packages"


def _tracker(entries: dict[str, tuple[str, str, str | None]]) -> dict[str, object]:
    """Debian's security tracker JSON: source → {CVE: bookworm verdict}."""
    out: dict[str, object] = {}
    for source, (cve, status, fixed) in entries.items():
        release: dict[str, object] = {"repositories": {"bookworm": "0"}, "status": status, "urgency": "high"}
        if fixed:
            release["fixed_version"] = fixed
        out[source] = {cve: {"description": f"{source} issue", "releases": {"bookworm": release}}}
    return out


def test_vendor_repositories_keep_their_packages_from_debians_advisories(debian_rootfs: DebianRootfs,
                                                                         tmp_path: Path) -> None:
    status = (debian_rootfs.dir / "var/lib/dpkg/status").read_bytes()
    for name in ("nginx-org.status", "grafana.status", "sury-php.status"):
        status += b"\n" + (ASSETS / name).read_bytes()
    layout = build_oci_layout(tmp_path / "image", [
        debian_rootfs.tar.parent / "rootfs",
        {"/etc/apt/sources.list.d/nginx.list": File((ASSETS / "nginx.list").read_bytes()),
         "/etc/apt/sources.list.d/grafana.sources": File((ASSETS / "grafana.sources").read_bytes()),
         "/etc/apt/sources.list.d/sury-php.list": File(b"deb https://packages.sury.org/php/ bookworm main\n"),
         "/var/lib/apt/lists/" + SURY_INDEX: File((ASSETS / SURY_INDEX).read_bytes()),
         "/var/lib/dpkg/status": File(status)},
        {"/etc/apt/sources.list.d/grafana.sources": Whiteout()},
    ], history=["mmdebstrap", "apt-get install nginx grafana php8.2-cli", "rm grafana.sources"])
    # Debian's verdicts on its own nginx, grafana and php8.2 sources (all fixed in versions above the vendors'),
    # and glibc affected: only the last speaks of a package in this image.
    tracker = _tracker({"nginx": ("CVE-2099-0001", "resolved", "1.26.0-1"),
                        "grafana": ("CVE-2099-0003", "resolved", "11.0.0-1"),
                        "php8.2": ("CVE-2099-0004", "resolved", "8.2.20-1~deb12u1"),
                        "glibc": ("CVE-2099-0002", "open", None)})
    served = tmp_path / "served"
    served.mkdir()
    (served / "tracker.json").write_text(json.dumps(tracker))
    with FeedServer(served) as server:
        assert update_db(tmp_path / "db", select_feeds(["debian"], [f"debian={server.url}/tracker.json"])).installed
    report = scan_target(f"oci:{layout}", db=tmp_path / "db", auto_update=False, scanners=("vuln",))
    packages = {p.name: p for p in report.sbom.packages}
    assert {n: (packages[n].vendor, packages[n].covered) for n in ("nginx", "grafana", "php8.2-cli")} == {
        "nginx": ("nginx.org", False),  # its Maintainer, and nginx.org's sources entry
        "grafana": ("apt.grafana.com", False),  # only its (since removed) sources entry says so
        "php8.2-cli": ("packages.sury.org", False),  # Debian's maintainer field, but sury's index lists it
    }
    assert packages["grafana"].purl == "pkg:deb/grafana/grafana@10.2.3?arch=amd64"
    vendors = {"nginx", "grafana", "php8.2-cli"}
    assert not [f.id for f in report.findings if f.package.name in vendors]
    assert any(f.id == "CVE-2099-0002" and f.package.name == "libc6" for f in report.findings)
    assert report.coverage is not None
    assert report.coverage.uncovered_namespaces == (
        "vendor:apt.grafana.com", "vendor:nginx.org", "vendor:packages.sury.org")
    own = [p for p in report.sbom.packages if p.type == "deb" and p.name not in vendors]
    assert own and all(p.vendor is None and p.covered for p in own)


def test_rpm_repositories_and_dnf_history_name_the_vendors(tmp_path: Path) -> None:
    rpmbuild, rpm = require_tool("rpmbuild"), require_tool("rpm")
    root, top = tmp_path / "root", tmp_path / "top"
    rpms = (*RPMS, ("grafana", 0, "10.2.3", "1", ""), ("k6", 0, "0.48.0", "1", ""),
            ("htop", 0, "3.2.2", "1.el9", "Fedora Project"))
    for name, epoch, version, release, vendor in rpms:
        spec = tmp_path / f"{name}.spec"
        spec.write_text(_spec(name, epoch, version, release, vendor))
        subprocess.run([rpmbuild, "--quiet", "--define", f"_topdir {top}", "-bb", str(spec)], check=True,
                       capture_output=True)
    (root / "var/lib/rpm").mkdir(parents=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "--initdb"], check=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--ignoreos",
                    "--noscripts", *sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))], check=True)
    (root / "etc/yum.repos.d").mkdir(parents=True)
    (root / "etc/os-release").write_text(ROCKY_OS_RELEASE)
    for name in ("rocky.repo", "epel.repo", "grafana.repo"):
        (root / "etc/yum.repos.d" / name).write_bytes((ASSETS / name).read_bytes())
    write_history(root / "var/lib/dnf/history.sqlite", [("install k6 bash", [
        ("k6", 0, "0.48.0", "1", "noarch", "grafana", INSTALL, DONE),
        ("bash", 0, "5.1.8", "6.el9_1", "noarch", "baseos", INSTALL, DONE)])])
    layout = build_oci_layout(tmp_path / "oci", [root], history=["ADD rocky.tar /"])
    with open_source(f"oci:{layout}") as source:
        sbom = build_sbom(source, use_cache=False)
    vendors = {p.name: p.vendor for p in sbom.packages}
    assert vendors == {"openssl-libs": None, "zlib": None, "bash": None, "tzdata": None,
                       "grafana": "rpm.grafana.com",  # no Vendor tag: its name fits the enabled grafana repo
                       "k6": "rpm.grafana.com",  # nothing but dnf's history says where it came from
                       "htop": "EPEL"}
    coverage = compute_coverage(sbom, ())
    assert coverage.uncovered_namespaces == ("rocky:9", "vendor:EPEL", "vendor:rpm.grafana.com")


def test_apk_packages_pinned_to_edge_or_another_host_are_not_the_releases(tmp_path: Path) -> None:
    installed = "".join(f"C:Q1{name}=\nP:{name}\nV:{version}\nA:x86_64\nm:Natanael Copa <ncopa@alpinelinux.org>\n"
                        f"o:{name}\n\n" for name, version in (("busybox", "1.36.1-r15"), ("nodejs", "21.5.0-r0"),
                                                              ("ourtool", "2.0-r0")))
    layout = build_oci_layout(tmp_path / "oci", [{
        "/etc/os-release": File(b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'),
        "/etc/alpine-release": File(b"3.19.1\n"),
        "/lib/apk/db/installed": File(installed.encode()),
        "/etc/apk/world": File((ASSETS / "apk-world").read_bytes()),
        "/etc/apk/repositories": File((ASSETS / "apk-repositories").read_bytes())}], history=["apk add"])
    with open_source(f"oci:{layout}") as source:
        sbom = build_sbom(source, use_cache=False)
    found = {p.name: (p.vendor, p.purl) for p in sbom.packages}
    assert found == {"busybox": (None, "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1"),
                     "nodejs": ("alpine-edge", "pkg:apk/alpine-edge/nodejs@21.5.0-r0?arch=x86_64"),
                     "ourtool": ("packages.example.com", "pkg:apk/example/ourtool@2.0-r0?arch=x86_64")}
    assert compute_coverage(sbom, ()).uncovered_namespaces == (
        "alpine:3.19", "vendor:alpine-edge", "vendor:packages.example.com")


"""Coverage: what the DB could not judge is said in every format, keeps --exit-code and the gate from passing, and
the age that counts is the data's. Real data: the Debian DSA/DLA lists of April 2023 and the PyPA database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from seawall.catalog.vendors import third_party_vendor
from seawall.cli.main import cli, main
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.fleet.repo_info import read_repo_info
from seawall.match.coverage import compute_coverage
from seawall.model.sbom import Distro, Package
from seawall.scan import scan_target
from tests.conftest import require_tool
from tests.feed_helpers import FeedServer
from tests.fixtures.rootfs import DebianRootfs
from tests.imagebuild import Dir, File, build_oci_layout

FORMATS = ("table", "json", "sarif", "cyclonedx", "spdx", "markdown", "trivy-json")
ASSETS = Path(__file__).parent / "assets"
ROCKY_OS_RELEASE = ('NAME="Rocky Linux"\nVERSION="9.2 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
                    'VERSION_ID="9.2"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Rocky Linux 9.2 (Blue Onyx)"\n')
RPMS = (("openssl-libs", 1, "3.0.7", "24.el9", ""), ("zlib", 0, "1.2.11", "40.el9", ""),
        ("bash", 0, "5.1.8", "6.el9_1", ""), ("tzdata", 0, "2023c", "1.el9", ""))
MONGO = ("mongodb-org-server", 0, "7.0.2", "1.el9", "MongoDB")


@pytest.fixture(scope="module")
def real_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("real-db") / "seawall.db"
    feeds = select_feeds(["debian-advisories", "osv"], [
        f"debian-advisories={shared_data}/debian-security-tracker/data",
        f"osv.pypi={shared_data}/pypa-advisory-db/vulns"])
    assert update_db(db, feeds).installed
    return db


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- the DB --------------------------------------------------------------------------------------------------------


def test_db_status_lists_coverage_and_fails_stale_on_2023_debian_data(real_db: Path) -> None:
    code, out, _ = run_cli("db", "--db", str(real_db), "status", "--format", "json")
    assert code == 0
    document = json.loads(out)
    coverage = {(c["namespace"], c["feed"]): c for c in document["coverage"]}
    bullseye = coverage["debian:11", "debian-advisories"]
    assert bullseye["advisories"] > 100 and bullseye["fixed_only"] is True  # a DSA names a fix, never an open issue
    assert bullseye["data_date"].startswith("2023-")
    assert coverage["pypi", "osv"]["fixed_only"] is False
    assert ("debian:12", "debian-advisories") not in coverage  # bookworm was not released in April 2023
    feeds = {f["name"]: f for f in document["feeds"]}
    assert feeds["debian-advisories"]["data_date"].startswith("2023-04")  # newest DSA/DLA, not the fetch
    assert feeds["debian-advisories"]["fetched_at"] > feeds["debian-advisories"]["data_date"]
    code, out, err = run_cli("db", "--db", str(real_db), "status", "--fail-stale")
    assert code == 7
    assert "warning: feed debian-advisories is older than 24h: its newest data is from 2023-04" in err
    assert "fixed only" in out and "debian:11" in out


# --- Debian 12: nothing covers it ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_says_the_debian_12_image_was_not_checked(real_db: Path, debian_layout: Path,
                                                               fmt: str) -> None:
    code, out, _ = run_cli("scan", f"oci:{debian_layout}:bookworm", "--db", str(real_db), "--skip-db-update",
                           "--format", fmt, "--scanners", "vuln")
    assert code == 0
    assert "No vulnerabilities found" not in out
    assert "debian:12" in out
    if fmt == "table":
        assert "packages were not checked: the DB has no advisories for debian:12 (try seawall db update)" \
            in " ".join(out.split())


def test_exit_code_on_an_uncovered_image_is_undecided(capsys: pytest.CaptureFixture[str], real_db: Path,
                                                      debian_layout: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", f"oci:{debian_layout}:bookworm", "--db", str(real_db), "--skip-db-update", "--scanners", "vuln",
              "--exit-code", "1"])
    assert info.value.code == 8 and "debian:12" in capsys.readouterr().err


# --- Debian 11: covered ---------------------------------------------------------------------------------------------


def _bullseye_layout(shared_data: Path, dest: Path) -> Path:
    """debian:bullseye-20230109-slim's packages (repo-info) as a dpkg status in a one-layer image."""
    inventory = json.loads((shared_data / "repo-info-inventories" / "debian__bullseye-20230109-slim.json").read_text())
    paragraphs = []
    for item in inventory["packages"]:
        source = item["source"] + (f" ({item['source_version']})" if item["source_version"] != item["version"] else "")
        paragraphs.append(f"Package: {item['name']}\nStatus: install ok installed\nMaintainer: Debian\n"
                          f"Architecture: {item['arch'] or 'all'}\nSource: {source}\nVersion: {item['version']}\n")
    return build_oci_layout(dest, [{
        "/etc": Dir(), "/etc/os-release": b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\n'
                                          b'VERSION_ID="11"\nVERSION_CODENAME=bullseye\n',
        "/var/lib/dpkg": Dir(), "/var/lib/dpkg/status": "\n".join(paragraphs).encode()}])


def test_the_debian_11_image_is_fully_covered(real_db: Path, shared_data: Path, tmp_path: Path) -> None:
    layout = _bullseye_layout(shared_data, tmp_path / "bullseye")
    report = scan_target(f"oci:{layout}", db=real_db, auto_update=False, scanners=("vuln",))
    assert report.coverage is not None and report.coverage.complete
    (namespace,) = report.coverage.namespaces
    assert (namespace.namespace, namespace.packages, namespace.fixed_only) == ("debian:11", 96, True)
    assert report.findings  # DSAs of early 2023 fix what the January image still had
    code, out, _ = run_cli("scan", f"oci:{layout}", "--db", str(real_db), "--skip-db-update", "--scanners", "vuln")
    assert code == 0 and "debian:11: the DB's data lists fixed vulnerabilities only" in " ".join(out.split())


# --- Rocky Linux 9: the gate ---------------------------------------------------------------------------------------


def _spec(name: str, epoch: int, version: str, release: str, vendor: str) -> str:
    return textwrap.dedent(f"""\
        Name: {name}
        Epoch: {epoch}
        Version: {version}
        Release: {release}
        Summary: {name}
        License: MIT
        BuildArch: noarch
        """) + (f"Vendor: {vendor}\n" if vendor else "") + textwrap.dedent(f"""\
        %description
        {name}
        %install
        mkdir -p %{{buildroot}}/usr/share/{name}
        echo {name} > %{{buildroot}}/usr/share/{name}/README
        %files
        /usr/share/{name}/README
        """)


def _rpm_layout(work: Path, rpms: tuple[tuple[str, int, str, str, str], ...]) -> Path:
    """A Rocky Linux 9 rpm image built as the corpus builds it: rpmbuild, then rpm --initdb/-i into a root."""
    rpmbuild, rpm = require_tool("rpmbuild"), require_tool("rpm")
    root, top = work / "root", work / "top"
    for name, epoch, version, release, vendor in rpms:
        spec = work / f"{name}.spec"
        spec.write_text(_spec(name, epoch, version, release, vendor))
        subprocess.run([rpmbuild, "--quiet", "--define", f"_topdir {top}", "-bb", str(spec)], check=True,
                       capture_output=True)
    (root / "var" / "lib" / "rpm").mkdir(parents=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "--initdb"], check=True)
    subprocess.run([rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--ignoreos",
                    "--noscripts", *sorted(str(p) for p in (top / "RPMS").rglob("*.rpm"))], check=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "os-release").write_text(ROCKY_OS_RELEASE)
    return build_oci_layout(work / "oci", [root], history=["ADD rocky-rpmdb.tar /"])


@pytest.fixture(scope="module")
def rocky_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus's `rpm-db` image: Rocky Linux 9 packages only."""
    return _rpm_layout(tmp_path_factory.mktemp("rocky"), RPMS)


@pytest.fixture(scope="module")
def rocky_mongo_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with MongoDB's server package from MongoDB's own repository (rpm Vendor: MongoDB)."""
    return _rpm_layout(tmp_path_factory.mktemp("rocky-mongo"), (*RPMS, MONGO))


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(["gate", *args])
    return int(info.value.code or 0), capsys.readouterr().out


def test_a_gate_on_the_rocky_image_with_only_debian_data_is_undecided(
        capsys: pytest.CaptureFixture[str], real_db: Path, rocky_layout: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - severity: {at_least: high}\n")
    code, out = gate(capsys, f"oci:{rocky_layout}", "--policy", str(policy), "--db", str(real_db),
                     "--skip-db-update", "--format", "json")
    verdict = json.loads(out)
    assert code == 8 and verdict["decision"] == "undecided"
    message = " ".join(verdict["errors"])
    assert "4 packages could not be checked: rocky:9 (4): the DB has no advisories for rocky:9" in message
    assert verdict["uncovered"] == ["rocky:9"] and verdict["uncovered_packages"] == 4
    allowed = tmp_path / "allowed.yaml"
    allowed.write_text('coverage: {allow: ["rocky:9"]}\nrules:\n  - severity: {at_least: high}\n')
    code, out = gate(capsys, f"oci:{rocky_layout}", "--policy", str(allowed), "--db", str(real_db),
                     "--skip-db-update", "--format", "json")
    assert code == 0, out
    assert any("rocky:9 not checked" in note for note in json.loads(out)["notes"])
    ignored = tmp_path / "ignored.yaml"
    ignored.write_text("rules:\n  - severity: {at_least: high, uncovered: ignore}\n")
    assert gate(capsys, f"oci:{rocky_layout}", "--policy", str(ignored), "--db", str(real_db),
                "--skip-db-update")[0] == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_says_the_rocky_image_was_not_checked(real_db: Path, rocky_layout: Path, fmt: str) -> None:
    code, out, _ = run_cli("scan", f"oci:{rocky_layout}", "--db", str(real_db), "--skip-db-update", "--format", fmt,
                           "--scanners", "vuln")
    assert code == 0 and "No vulnerabilities found" not in out
    assert "rocky:9" in out


def test_mongodb_from_its_own_repository_is_not_rockys(capsys: pytest.CaptureFixture[str], real_db: Path,
                                                       rocky_mongo_layout: Path, tmp_path: Path) -> None:
    report = scan_target(f"oci:{rocky_mongo_layout}", db=real_db, auto_update=False, scanners=("vuln",))
    mongo = next(p for p in report.sbom.packages if p.name == "mongodb-org-server")
    assert (mongo.vendor, mongo.purl) == ("mongodb.org", "pkg:rpm/mongodb/mongodb-org-server@7.0.2-1.el9?arch=noarch")
    assert mongo.cpe == "cpe:2.3:a:mongodb:mongodb:7.0.2:*:*:*:*:*:*:*"
    assert report.coverage is not None
    assert report.coverage.uncovered_namespaces == ("rocky:9", "vendor:mongodb.org")
    allowed = tmp_path / "allowed.yaml"
    allowed.write_text('coverage: {allow: ["rocky:9"]}\nrules:\n  - kev: {}\n')
    code, out = gate(capsys, f"oci:{rocky_mongo_layout}", "--policy", str(allowed), "--db", str(real_db),
                     "--skip-db-update")
    assert code == 8 and "vendor:mongodb.org (1)" in out  # accepting Rocky's gap says nothing of MongoDB's


def test_rpm_vendor_tells_a_third_party_package_from_the_distributions() -> None:
    rocky = Distro("rocky", "9.2")
    own = Package("bash", "5.1.8-6.el9_1", "rpm", "rpm", metadata=(("vendor", "Rocky Enterprise Software Foundation"),))
    mongo = Package("mongodb-org-server", "7.0.2-1.el9", "rpm", "rpm", metadata=(("vendor", "MongoDB"),))
    epel = Package("htop", "3.2.1-1.el9", "rpm", "rpm", metadata=(("vendor", "Fedora Project"),))
    assert third_party_vendor(own, rocky) is None
    assert third_party_vendor(mongo, rocky).name == "mongodb.org"  # type: ignore[union-attr]
    assert third_party_vendor(epel, rocky).name == "Fedora Project"  # type: ignore[union-attr]


# --- Alpine 3.17 against a secdb that ends at 3.11 -----------------------------------------------------------------


def test_an_alpine_3_17_inventory_is_not_covered_by_the_3_11_secdb(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "alpine.db"
    assert update_db(db, select_feeds(["alpine"], [f"alpine={shared_data}/alpine-secdb"])).installed
    sbom = read_repo_info(shared_data / "repo-info-inventories" / "alpine__3.17.1.json")
    with VulnStore.open(db) as store:
        coverage = compute_coverage(sbom, store.coverage())
        newest = max(c.namespace for c in store.coverage())
    assert newest == "alpine:3.9" or newest.startswith("alpine:3.")
    assert coverage.uncovered_namespaces == ("alpine:3.17",)
    assert coverage.uncovered_packages == len(sbom.packages)
    assert "the DB has no advisories for alpine:3.17" in coverage.statement()
    old = read_repo_info(shared_data / "repo-info-inventories" / "alpine__3.14.8.json")
    with VulnStore.open(db) as store:
        assert not compute_coverage(old, store.coverage()).complete


# --- a third-party package beside Debian's own ---------------------------------------------------------------------


def test_nginx_org_package_is_never_matched_against_debian(debian_rootfs: DebianRootfs, tmp_path: Path) -> None:
    status = (debian_rootfs.dir / "var/lib/dpkg/status").read_bytes()
    layout = build_oci_layout(tmp_path / "nginx", [debian_rootfs.tar.parent / "rootfs", {
        "/var/lib/dpkg/status": File(status + b"\n" + (ASSETS / "thirdparty" / "nginx-org.status").read_bytes())}],
        history=["mmdebstrap", "apt-get install nginx (nginx.org)"])
    # Debian's tracker saying nginx in bookworm is fixed in 1.26.0-1, and libc6 (glibc) affected: Debian's verdict
    # on its own nginx must not be applied to nginx.org's 1.25.3.
    tracker = {"nginx": {"CVE-2099-0001": {"description": "nginx issue", "releases": {"bookworm": {
        "fixed_version": "1.26.0-1", "repositories": {"bookworm": "1.26.0-1"}, "status": "resolved",
        "urgency": "high"}}}},
        "glibc": {"CVE-2099-0002": {"description": "glibc issue", "releases": {"bookworm": {
            "repositories": {"bookworm": "2.36-9"}, "status": "open", "urgency": "low"}}}}}
    served = tmp_path / "served"
    served.mkdir()
    (served / "tracker.json").write_text(json.dumps(tracker))
    with FeedServer(served) as server:
        assert update_db(tmp_path / "db", select_feeds(["debian"], [f"debian={server.url}/tracker.json"])).installed
    report = scan_target(f"oci:{layout}", db=tmp_path / "db", auto_update=False, scanners=("vuln",))
    nginx = next(p for p in report.sbom.packages if p.name == "nginx")
    assert (nginx.vendor, nginx.covered) == ("nginx.org", False)
    assert nginx.purl == "pkg:deb/nginx/nginx@1.25.3-1~bookworm?arch=amd64"
    assert nginx.cpe == "cpe:2.3:a:f5:nginx:1.25.3:*:*:*:*:*:*:*"
    assert {f.id for f in report.findings if f.package.name == "nginx"} == set()
    assert any(f.id == "CVE-2099-0002" and f.package.name == "libc6" for f in report.findings)
    assert report.coverage is not None
    assert report.coverage.uncovered_namespaces == ("vendor:nginx.org",)
    own = [p for p in report.sbom.packages if p.type == "deb" and p.name != "nginx"]
    assert own and all(p.vendor is None and p.covered for p in own)


def test_a_saved_json_report_keeps_its_coverage(tmp_path: Path) -> None:
    from seawall.output.scan import render_scan
    from seawall.reports.seawall_json import load_scan_report
    from tests.scan_fixtures import uncovered_scan

    report = uncovered_scan()
    path = tmp_path / "scan.json"
    path.write_text(render_scan(report, "json"))
    again = load_scan_report(path, other_packages=True)
    assert again.coverage == report.coverage


def test_undated_data_is_as_old_as_its_last_change(tmp_path: Path) -> None:
    """A mirror that stops changing keeps the date its content last changed, however often it is fetched."""
    tracker = tmp_path / "tracker.json"
    tracker.write_text((ASSETS / "match" / "debian-tracker.json").read_text())
    db = tmp_path / "seawall.db"

    def data_date() -> str | None:
        report = update_db(db, select_feeds(["debian"], [f"debian={tracker}"]))
        assert report.installed or report.current  # current: nothing new, the file left as it was
        with VulnStore.open(db) as store:
            return next(f.data_date for f in store.feeds() if f.name == "debian")

    first = data_date()
    with sqlite3.connect(db) as conn:  # as if that first update had happened long ago
        conn.execute("UPDATE feeds SET data_date = '2023-01-01T00:00:00Z'")
    assert first is not None and data_date() == "2023-01-01T00:00:00Z"
    tracker.write_text(tracker.read_text().replace("SOCKS5 heap overflow", "SOCKS5 heap buffer overflow"))
    assert data_date() not in (None, "2023-01-01T00:00:00Z")

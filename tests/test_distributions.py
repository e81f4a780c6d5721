"""Every distribution judged by its own vendor: a test image with a real package database per distribution, scanned
with the default path against a DB built from the vendor's real (../shared/data/distro-feeds) or real-shaped
(tests/assets/distro-feeds, see its README) advisories. Each finding carries the vendor's state and rating."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
import zstandard

from seawall.catalog.distro import detect_distro
from seawall.db.build import update_db
from seawall.feeds import FEEDS, default_feeds, select_feeds
from seawall.feeds.http import Http
from seawall.feeds.interface import Workspace
from seawall.feeds.osv import DEFAULT_ECOSYSTEMS
from seawall.match.targets import distro_namespace
from seawall.model.ecosystem import DISTRIBUTIONS
from seawall.model.finding import Finding
from seawall.model.vuln import Advisory, Severity, Skipped, Status
from seawall.scan import scan_target
from tests.distro_images import Rpm, apk_image, dpkg_image, rpm_image
from tests.snapshot import assert_snapshot

ASSETS = Path(__file__).parent / "assets" / "distro-feeds"
ROCKY_9 = ('NAME="Rocky Linux"\nVERSION="9.2 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
           'VERSION_ID="9.2"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Rocky Linux 9.2 (Blue Onyx)"\n')
ALMA_9 = ('NAME="AlmaLinux"\nVERSION="9.3 (Shamrock Pampas Cat)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\n'
          'VERSION_ID="9.3"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="AlmaLinux 9.3 (Shamrock Pampas Cat)"\n')
ORACLE_9 = ('NAME="Oracle Linux Server"\nVERSION="9.4"\nID="ol"\nID_LIKE="fedora"\nVARIANT="Server"\n'
            'VERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Oracle Linux Server 9.4"\n')
PHOTON_5 = 'NAME="VMware Photon OS"\nVERSION="5.0"\nID=photon\nVERSION_ID=5.0\nPRETTY_NAME="VMware Photon OS/Linux"\n'
UBUNTU_22 = ('PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
             'VERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\n'
             'ID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n')
WOLFI = 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\nHOME_URL="https://wolfi.dev"\n'
# The corpus's rpm-db image: Rocky Linux 9 packages, each built from a source of its own name.
ROCKY_RPMS = (Rpm("openssl-libs", 1, "3.0.7", "24.el9"), Rpm("zlib", 0, "1.2.11", "40.el9"),
              Rpm("bash", 0, "5.1.8", "6.el9_1"), Rpm("tzdata", 0, "2023c", "1.el9"))


@pytest.fixture(scope="module")
def feeds_data(shared_data: Path) -> Path:
    data = shared_data / "distro-feeds"
    if not data.is_dir():
        pytest.skip("../shared/data/distro-feeds is absent")
    return data


def _db(tmp: Path, names: list[str], sources: list[str]) -> Path:
    db = tmp / "seawall.db"
    assert update_db(db, select_feeds(names, sources)).installed
    return db


def _scan(layout: Path, db: Path) -> dict[tuple[str, str], Finding]:
    report = scan_target(f"oci:{layout}", db=db, auto_update=False, scanners=("vuln",))
    assert report.coverage is not None and report.coverage.complete, report.coverage
    return {(f.package.name, f.id): f for f in report.findings}


def _ids(findings: dict[tuple[str, str], Finding]) -> set[tuple[str, str]]:
    return set(findings)


# --- Rocky Linux 9: Rocky's OSV records, rpm order with epoch and release ------------------------------------------


def test_the_rocky_9_image_is_judged_by_rocky_osv_records(tmp_path: Path) -> None:
    layout = rpm_image(tmp_path / "img", ROCKY_9, ROCKY_RPMS)
    db = _db(tmp_path, ["osv"], [f"osv={ASSETS / 'rocky'}"])
    report = scan_target(f"oci:{layout}", db=db, auto_update=False, scanners=("vuln",))
    assert report.sbom.distro is not None and report.sbom.distro.eol_date == "2032-05-31"
    (namespace,) = report.coverage.namespaces if report.coverage else ()
    assert (namespace.namespace, namespace.fixed_only) == ("rocky:9", True)  # Rocky publishes fixes only
    (finding,) = report.findings
    # 1:3.0.7-24.el9 < 1:3.0.7-25.el9_3; bash 5.1.8-6.el9_1 equals the fix written 0:5.1.8-6.el9_1; zlib 40.el9 is
    # past 32.el9_0.
    assert (finding.id, finding.package.name, finding.package.version) == (
        "CVE-2023-5363", "openssl-libs", "1:3.0.7-24.el9")
    assert "RLSA-2024:0310" in finding.aliases
    assert finding.status is Status.FIXED and finding.fixed_versions == ("1:3.0.7-25.el9_3",)
    assert (finding.severity, finding.severity_source) == (Severity.MEDIUM, "rocky")  # "Moderate: …"


# --- AlmaLinux 9: the real ALSA records, keyed by binary rpm -------------------------------------------------------


def test_an_almalinux_9_image_is_judged_by_alsa_records_by_binary_name(tmp_path: Path, feeds_data: Path) -> None:
    # Real layout: openssl-libs and openssh-server are subpackages of the openssl and openssh sources.
    layout = rpm_image(tmp_path / "img", ALMA_9, (
        Rpm("openssl", 1, "3.0.7", "24.el9", ("libs",)), Rpm("openssh", 0, "8.7p1", "34.el9", ("server",)),
        Rpm("zlib", 0, "1.2.11", "40.el9")))
    db = _db(tmp_path, ["osv"], [f"osv={feeds_data / 'almalinux' / 'almalinux9'}"])
    findings = _scan(layout, db)
    assert _ids(findings) == {("openssl-libs", "CVE-2023-5363"), ("openssh-server", "CVE-2024-6387")}
    openssh = findings["openssh-server", "CVE-2024-6387"]
    assert "ALSA-2024:4312" in openssh.aliases and openssh.fixed_versions == ("8.7p1-38.el9_4.1",)
    assert (openssh.severity, openssh.severity_source, openssh.status) == (Severity.HIGH, "almalinux", Status.FIXED)
    assert findings["openssl-libs", "CVE-2023-5363"].severity is Severity.MEDIUM


# --- Oracle Linux 9: ELSA OVAL ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["json", "xml"])
def test_an_oracle_linux_9_image_is_judged_by_elsa(tmp_path: Path, feeds_data: Path, source: str) -> None:
    layout = rpm_image(tmp_path / "img", ORACLE_9, (
        Rpm("openssh", 0, "8.7p1", "38.0.1.el9", ("server", "clients")),
        Rpm("pam_ssh_agent_auth", 0, "0.10.4", "5.38.0.2.el9_4.1")))
    url = str(feeds_data / "oracle" / "oval") if source == "json" else str(ASSETS / "oracle" / "elsa-excerpt.xml")
    db = _db(tmp_path, ["oracle"], [f"oracle={url}"])
    findings = _scan(layout, db)
    # 8.7p1-38.0.1.el9 < 0:8.7p1-38.0.2.el9_4.1 (Oracle's .0.N rebuild numbers); pam_ssh_agent_auth is at the fix.
    assert _ids(findings) == {("openssh-server", "CVE-2024-6387"), ("openssh-clients", "CVE-2024-6387")}
    finding = findings["openssh-server", "CVE-2024-6387"]
    assert "ELSA-2024-4312" in finding.aliases and finding.fixed_versions == ("0:8.7p1-38.0.2.el9_4.1",)
    assert (finding.severity, finding.severity_source, finding.status) == (Severity.HIGH, "oracle", Status.FIXED)


# --- Photon OS 5.0: keyed by the spec (source) package ---------------------------------------------------------------


def test_a_photon_5_image_is_judged_by_photon_cve_data_by_source_name(tmp_path: Path, feeds_data: Path) -> None:
    layout = rpm_image(tmp_path / "img", PHOTON_5, (
        Rpm("openssl", 0, "3.0.9", "6.ph5", ("libs",)), Rpm("openssh", 0, "9.3p2", "13.ph5", ("clients",)),
        Rpm("expat", 0, "2.5.0", "1.ph5", ("libs",))))
    db = _db(tmp_path, ["photon"], [f"photon={feeds_data / 'photon' / 'photon'}"])
    findings = _scan(layout, db)
    openssl = findings["openssl-libs", "CVE-2023-5363"]
    assert openssl.fixed_versions == ("3.0.9-7.ph5",) and openssl.status is Status.FIXED
    assert (openssl.severity, openssl.severity_source) == (Severity.HIGH, "photon")  # cve_score 7.5
    assert ("expat-libs", "CVE-2024-45490") in findings


# --- Ubuntu 22.04: USN OSV, keyed by source -------------------------------------------------------------------------


def test_an_ubuntu_22_04_image_is_judged_by_usn_osv(tmp_path: Path, feeds_data: Path) -> None:
    layout = dpkg_image(tmp_path / "img", UBUNTU_22, (
        ("openssh-server", "openssh", "1:8.9p1-3ubuntu0.7", "1:8.9p1-3ubuntu0.7"),
        ("openssh-client", "openssh", "1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.10"),
        ("zlib1g", "zlib", "1:1.2.11.dfsg-2ubuntu9.2", "1:1.2.11.dfsg-2ubuntu9.2")))
    db = _db(tmp_path, ["osv"], [f"osv={feeds_data / 'ubuntu' / 'osv' / 'usn'}", f"osv.add={ASSETS / 'ubuntu'}"])
    findings = _scan(layout, db)
    # The USN's 14.04/16.04 entries are Ubuntu Pro streams and its 18.04 one another series: none speaks for 22.04.
    assert _ids(findings) == {("openssh-server", "CVE-2024-6387")}
    finding = findings["openssh-server", "CVE-2024-6387"]
    assert {"USN-6859-1", "UBUNTU-CVE-2024-6387"} <= set(finding.aliases)
    assert finding.fixed_versions == ("1:8.9p1-3ubuntu0.10",) and finding.status is Status.FIXED
    # Ubuntu's priority, from its per-CVE record, is the rating.
    assert (finding.severity, finding.severity_source) == (Severity.HIGH, "ubuntu")


# --- Wolfi: the advisories YAML, every state --------------------------------------------------------------------------


def test_a_wolfi_image_is_judged_by_wolfi_advisories_with_their_states(tmp_path: Path, feeds_data: Path) -> None:
    layout = apk_image(tmp_path / "img", WOLFI, (
        ("libcrypto3", "openssl", "3.3.1-r2"), ("busybox", "busybox", "1.36.1-r0")))
    db = _db(tmp_path, ["wolfi"], [f"wolfi={feeds_data / 'wolfi'}"])
    report = scan_target(f"oci:{layout}", db=db, auto_update=False, scanners=("vuln",))
    assert report.coverage is not None and report.coverage.complete
    assert [n.namespace for n in report.coverage.namespaces] == ["wolfi:rolling"]
    findings = {(f.package.name, f.id): f for f in report.findings}
    openssl = findings["libcrypto3", "CVE-2024-5535"]
    assert openssl.fixed_versions == ("3.3.1-r3",) and "CGA-3mrr-589r-46qj" in openssl.aliases
    # busybox's false-positive determinations (not affected) are never findings.
    assert not any(f.status is Status.NOT_AFFECTED for f in report.findings)


# --- Amazon Linux 2 and 2023: ALAS from the repositories' updateinfo.xml ---------------------------------------------

AMAZON = ('NAME="Amazon Linux"\nVERSION="{v}"\nID="amzn"\nID_LIKE="{like}"\nVERSION_ID="{v}"\n'
          'PRETTY_NAME="Amazon Linux {v}"\n')


def test_amazon_linux_2023_and_2_images_are_judged_by_alas(tmp_path: Path) -> None:
    al2023 = rpm_image(tmp_path / "al2023", AMAZON.format(v="2023", like="fedora"), (
        Rpm("openssh", 0, "8.7p1", "8.amzn2023.0.10", ("server",)), Rpm("rsyslog", 0, "8.2204.0", "3.amzn2023.0.2"),
        Rpm("tzdata", 0, "2022g", "1.amzn2023.0.1")))
    al2 = rpm_image(tmp_path / "al2", AMAZON.format(v="2", like="centos rhel fedora"), (
        Rpm("openssl", 1, "1.0.2k", "24.amzn2.0.6", ("libs",)),))
    db = _db(tmp_path, ["amazon"], [f"amazon={ASSETS / 'amazon'}"])
    findings = _scan(al2023, db)
    # rsyslog is at the fix; tzdata's update is a bugfix, not an advisory.
    assert _ids(findings) == {("openssh-server", "CVE-2024-6387")}
    finding = findings["openssh-server", "CVE-2024-6387"]
    assert "ALAS2023-2024-652" in finding.aliases and finding.fixed_versions == ("8.7p1-8.amzn2023.0.11",)
    assert (finding.severity, finding.severity_source, finding.status) == (Severity.HIGH, "amazon", Status.FIXED)
    findings = _scan(al2, db)
    assert _ids(findings) == {("openssl-libs", "CVE-2023-0286")}
    assert findings["openssl-libs", "CVE-2023-0286"].fixed_versions == ("1:1.0.2k-24.amzn2.0.7",)


# --- SUSE Linux Enterprise and openSUSE Leap: SUSE's OSV, filed under modules and support phases ---------------------

SLES_15_5 = ('NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n'
             'ID="sles"\nID_LIKE="suse"\nCPE_NAME="cpe:/o:suse:sles:15:sp5"\n')
LEAP_15_5 = ('NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n'
             'PRETTY_NAME="openSUSE Leap 15.5"\n')


@pytest.mark.parametrize("os_release", [SLES_15_5, LEAP_15_5], ids=["sles-15.5", "leap-15.5"])
def test_suse_images_are_judged_by_suse_osv_by_binary_name(tmp_path: Path, os_release: str) -> None:
    layout = rpm_image(tmp_path / "img", os_release, (
        Rpm("openssl-3", 0, "3.0.8", "150500.5.14.1", ("-n libopenssl3",)),))
    db = _db(tmp_path, ["osv"], [f"osv={ASSETS / 'suse'}"])
    findings = _scan(layout, db)
    # An update fixing two CVEs is one finding under its own id, as a DSA is, naming both.
    assert _ids(findings) == {("libopenssl3", "SUSE-SU-2024:0176-1")}
    finding = findings["libopenssl3", "SUSE-SU-2024:0176-1"]
    assert {"CVE-2023-6129", "CVE-2023-6237"} <= set(finding.aliases), finding.aliases
    assert finding.fixed_versions == ("3.0.8-150500.5.20.1",) and finding.status is Status.FIXED


# --- Red Hat Enterprise Linux and UBI: CSAF VEX, product-stream aware ----------------------------------------------

UBI_9 = ('NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.3"\n'
         'PLATFORM_ID="platform:el9"\nPRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n')


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "tar.zst"])
def test_a_ubi_9_image_is_judged_by_red_hat_vex_with_its_states(tmp_path: Path, packed: bool) -> None:
    layout = rpm_image(tmp_path / "img", UBI_9, (Rpm("openssl", 1, "3.0.7", "24.el9", ("libs",)),))
    source = ASSETS / "redhat"
    if packed:  # the published form: one archive of every VEX file
        with open(tmp_path / "csaf_vex_2024-01-30.tar.zst", "wb") as raw, \
                zstandard.ZstdCompressor().stream_writer(raw) as out, tarfile.open(fileobj=out, mode="w|") as tar:
            tar.add(source / "2023", arcname="2023")
        source = tmp_path / "csaf_vex_2024-01-30.tar.zst"
    db = _db(tmp_path, ["redhat"], [f"redhat={source}"])
    findings = _scan(layout, db)
    # Keyed by source rpm: openssl-libs is judged as openssl. The 9.2 EUS fix does not speak for a RHEL 9 image.
    assert _ids(findings) == {("openssl-libs", "CVE-2023-5363"), ("openssl-libs", "CVE-2023-2975")}
    fixed = findings["openssl-libs", "CVE-2023-5363"]
    assert fixed.status is Status.FIXED and fixed.fixed_versions == ("1:3.0.7-25.el9_3",)
    assert (fixed.severity, fixed.severity_source) == (Severity.MEDIUM, "redhat")
    wont = findings["openssl-libs", "CVE-2023-2975"]
    assert wont.status is Status.WILL_NOT_FIX and not wont.fixed_versions
    assert (wont.severity, wont.severity_source) == (Severity.LOW, "redhat")


# --- the feeds: every distribution with a feed is in `db update`'s default set, each downloaded once ----------------


def test_the_default_feeds_cover_every_distribution_once() -> None:
    defaults = {feed.name for feed in default_feeds()}
    judged = [row for row in DISTRIBUTIONS if row.feed]
    assert {row.id for row in DISTRIBUTIONS} - {row.id for row in judged} == {
        "centos", "fedora", "opensuse", "mariner", "azurelinux"}  # documented as not covered
    for row in judged:
        assert row.feed in defaults, row.id
        assert (row.osv in DEFAULT_ECOSYSTEMS) == (row.feed == "osv" and row.osv is not None), row.id
    for name in defaults:
        assert FEEDS[name].about and FEEDS[name].accepts, name
    assert not {"Debian", "Alpine", "Red Hat"} & set(DEFAULT_ECOSYSTEMS)  # their own feeds carry them


# --- one DB of every distribution feed, one image per distribution: the golden file --------------------------------


def test_every_distribution_judged_from_one_db_matches_its_golden_file(tmp_path: Path, feeds_data: Path) -> None:
    """All feeds in one DB: each image is judged by its own vendor only (no Rocky image matched by an ALSA)."""
    db = _db(tmp_path, ["osv", "redhat", "oracle", "amazon", "photon", "wolfi"], [
        f"osv={ASSETS / 'rocky'}", f"osv.add={feeds_data / 'almalinux' / 'almalinux9'}",
        f"osv.add={feeds_data / 'ubuntu' / 'osv' / 'usn'}", f"osv.add={ASSETS / 'ubuntu'}",
        f"osv.add={ASSETS / 'suse'}",
        f"redhat={ASSETS / 'redhat'}", f"oracle={feeds_data / 'oracle' / 'oval'}", f"amazon={ASSETS / 'amazon'}",
        f"photon={feeds_data / 'photon' / 'photon'}", f"wolfi={feeds_data / 'wolfi'}"])
    openssl_el9 = (Rpm("openssl", 1, "3.0.7", "24.el9", ("libs",)), Rpm("openssh", 0, "8.7p1", "34.el9", ("server",)))
    images = {
        "rocky-9": rpm_image(tmp_path / "rocky", ROCKY_9, ROCKY_RPMS),
        "almalinux-9": rpm_image(tmp_path / "alma", ALMA_9, openssl_el9),
        "ubi-9": rpm_image(tmp_path / "ubi", UBI_9, openssl_el9),
        "oraclelinux-9": rpm_image(tmp_path / "ol", ORACLE_9, (Rpm("openssh", 0, "8.7p1", "38.0.1.el9", ("server",)),)),
        "amazonlinux-2023": rpm_image(tmp_path / "al", AMAZON.format(v="2023", like="fedora"),
                                      (Rpm("openssh", 0, "8.7p1", "8.amzn2023.0.10", ("server",)),)),
        "sles-15.5": rpm_image(tmp_path / "sles", SLES_15_5, (
            Rpm("openssl-3", 0, "3.0.8", "150500.5.14.1", ("-n libopenssl3",)),)),
        "photon-5.0": rpm_image(tmp_path / "photon", PHOTON_5, (Rpm("openssl", 0, "3.0.9", "6.ph5", ("libs",)),)),
        "ubuntu-22.04": dpkg_image(tmp_path / "ubuntu", UBUNTU_22, (
            ("openssh-server", "openssh", "1:8.9p1-3ubuntu0.7", "1:8.9p1-3ubuntu0.7"),)),
        "wolfi": apk_image(tmp_path / "wolfi", WOLFI, (("libcrypto3", "openssl", "3.3.1-r2"),)),
    }
    lines = []
    for image, layout in images.items():
        report = scan_target(f"oci:{layout}", db=db, auto_update=False, scanners=("vuln",))
        assert report.coverage is not None and report.coverage.complete, image
        namespaces = ", ".join(f"{n.namespace}{' (fixes only)' if n.fixed_only else ''}"
                               for n in report.coverage.namespaces)
        lines.append(f"{image}: {namespaces}")
        for f in sorted(report.findings, key=lambda f: (f.package.name, f.id)):
            lines.append(f"  {f.package.name} {f.package.version}  {f.id}  {f.status.value}  "
                         f"{f.severity.value}/{f.severity_source}  fixed: {', '.join(f.fixed_versions) or '-'}  "
                         f"also: {', '.join(sorted(a for a in f.aliases if not a.startswith('GHSA'))) or '-'}")
    assert_snapshot("distributions/findings.txt", "\n".join(lines) + "\n")


# --- Chainguard: the published secdb ---------------------------------------------------------------------------------

CHAINGUARD = 'ID="chainguard"\nNAME="Chainguard"\nPRETTY_NAME="Chainguard"\nVERSION_ID="20230214"\n'


def test_a_chainguard_image_is_judged_by_the_chainguard_secdb(tmp_path: Path) -> None:
    layout = apk_image(tmp_path / "img", CHAINGUARD, (
        ("libcrypto3", "openssl", "3.3.1-r2"), ("busybox", "busybox", "1.36.1-r7")))
    db = _db(tmp_path, ["chainguard"], [f"chainguard={ASSETS / 'chainguard' / 'security.json'}"])
    report = scan_target(f"oci:{layout}", db=db, auto_update=False, scanners=("vuln",))
    assert report.coverage is not None and report.coverage.complete
    (namespace,) = report.coverage.namespaces
    assert (namespace.namespace, namespace.fixed_only) == ("chainguard:rolling", True)  # the secdb lists fixes only
    findings = {(f.package.name, f.id) for f in report.findings}
    # CVE-2023-6129 is "0" (not affected); busybox is at its fix.
    assert findings == {("libcrypto3", "CVE-2024-5535"), ("libcrypto3", "CVE-2024-6119")}


# --- detection: os-release, or the release files of images without one -------------------------------------------


@pytest.mark.parametrize(("files", "namespace"), [
    ({"/etc/os-release": UBUNTU_22}, "ubuntu:22.04"),
    ({"/etc/redhat-release": "Red Hat Enterprise Linux release 9.3 (Plow)\n"}, "rhel:9"),
    ({"/usr/lib/os-release": UBI_9}, "rhel:9"),
    ({"/etc/os-release": ROCKY_9}, "rocky:9"),
    ({"/etc/redhat-release": "Rocky Linux release 9.2 (Blue Onyx)\n"}, "rocky:9"),
    ({"/etc/os-release": ALMA_9}, "almalinux:9"),
    ({"/etc/os-release": ORACLE_9}, "ol:9"),
    ({"/etc/redhat-release": "Oracle Linux Server release 8.9\n"}, "ol:8"),
    ({"/etc/os-release": AMAZON.format(v="2023", like="fedora")}, "amzn:2023"),
    ({"/etc/system-release": "Amazon Linux release 2 (Karoo)\n"}, "amzn:2"),
    ({"/etc/os-release": SLES_15_5}, "sles:15.5"),
    ({"/etc/os-release": LEAP_15_5}, "opensuse-leap:15.5"),
    ({"/etc/os-release": PHOTON_5}, "photon:5.0"),
    ({"/etc/os-release": WOLFI}, "wolfi:rolling"),
    ({"/etc/os-release": CHAINGUARD}, "chainguard:rolling"),
])
def test_each_distribution_is_detected_into_its_vendor_namespace(files: dict[str, str], namespace: str) -> None:
    distro = detect_distro({path: text.encode() for path, text in files.items()})
    assert distro_namespace(distro) == namespace


def test_oracle_ksplice_userspace_fixes_are_left_out(tmp_path: Path, feeds_data: Path) -> None:
    """An ELSA that also fixes Ksplice's userspace flavour (`…ksplice1.el9` releases): only the plain fix is kept."""
    text = (ASSETS / "oracle" / "elsa-excerpt.xml").read_text()
    text = text.replace('comment="openssh is signed with the Oracle Linux 9 key"/>',
                        'comment="openssh is signed with the Oracle Linux 9 key"/>\n'
                        '<criterion test_ref="oval:x:tst:1" '
                        'comment="openssh is earlier than 2:8.7p1-38.0.2.ksplice1.el9"/>', 1)
    (tmp_path / "elsa.xml").write_text(text)
    (feed,) = select_feeds(["oracle"], [f"oracle={tmp_path / 'elsa.xml'}"])
    ws = Workspace(tmp_path / "ws", Http())
    ws.dir.mkdir()
    feed.fetch(ws)
    records = list(feed.parse(ws))
    fixes = {r.package: r.fixed_versions for r in records if isinstance(r, Advisory)}
    assert fixes["openssh"] == ("0:8.7p1-38.0.2.el9_4.1",)
    assert any(isinstance(r, Skipped) and "Ksplice" in r.reason for r in records)

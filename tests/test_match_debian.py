"""Debian images are judged the way the Debian security tracker judges them: by source package, in the
image's release, with every verdict kept as its own state."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.model.vuln import Severity, Status
from seawall.scan import scan_target

ASSETS = Path(__file__).parent / "assets" / "match"


@pytest.fixture(scope="module")
def debian_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "seawall.db"
    report = update_db(path, select_feeds(["debian"], [f"debian={ASSETS / 'debian-tracker.json'}"]))
    assert report.installed, report
    return path


@pytest.fixture(scope="module")
def findings(debian_db: Path) -> dict[tuple[str, str], object]:
    report = scan_target(f"dir:{ASSETS / 'debian-bookworm'}", db=debian_db, auto_update=False)
    assert report.sbom.distro is not None and report.sbom.distro.codename == "bookworm"
    return {(f.package.name, f.id): f for f in report.findings}


EXPECTED = {
    ("libc6", "CVE-2023-4911"): Status.FIXED,
    ("libc-bin", "CVE-2023-4911"): Status.FIXED,
    ("libc6", "CVE-2010-4756"): Status.NEGLIGIBLE,
    ("libc-bin", "CVE-2010-4756"): Status.NEGLIGIBLE,
    ("libssl3", "CVE-2024-2511"): Status.MINOR,
    ("curl", "CVE-2023-38546"): Status.WILL_NOT_FIX,
    ("libcurl4", "CVE-2023-38546"): Status.WILL_NOT_FIX,
    ("curl", "CVE-2024-2398"): Status.FIXED,
    ("libcurl4", "CVE-2024-2398"): Status.FIXED,
    ("tar", "CVE-2005-2541"): Status.NEGLIGIBLE,
    ("libsqlite3-0", "CVE-2022-46908"): Status.FIX_DEFERRED,
    ("perl-base", "CVE-2023-31484"): Status.UNSUPPORTED,
    ("libgcrypt20", "CVE-2024-2236"): Status.AFFECTED,
    ("login", "CVE-2023-4641"): Status.FIXED,
}


def test_every_tracker_state_becomes_its_own_finding_state(findings: dict) -> None:
    assert {key: f.status for key, f in findings.items()} == EXPECTED


def test_not_affected_fixed_and_purged_yield_nothing(findings: dict) -> None:
    ids = {vuln for _, vuln in findings}
    assert "CVE-2019-1010022" not in ids  # fixed_version "0": never affected in bookworm
    assert "CVE-2023-45853" not in ids
    assert "CVE-2023-5678" not in ids  # installed version is the fixed one
    assert "CVE-2023-38545" not in ids
    assert "CVE-2023-48795" not in ids  # openssh-server was purged (config-files only)


def test_binary_packages_match_through_their_source_package(findings: dict) -> None:
    finding = findings[("libc6", "CVE-2023-4911")]
    (detail,) = finding.details
    assert detail.searched_name == "glibc"
    assert detail.namespace == "debian:12"
    assert detail.installed_version == "2.36-9+deb12u1"
    assert detail.constraint == "introduced 0, fixed 2.36-9+deb12u3"
    assert finding.fixed_versions == ("2.36-9+deb12u3",)
    assert finding.fix_available
    assert finding.severity is Severity.HIGH and finding.severity_source == "debian"
    assert finding.data_source == "https://security-tracker.debian.org/tracker/CVE-2023-4911"
    login = findings[("login", "CVE-2023-4641")]
    assert login.details[0].installed_version == "1:4.13+dfsg1-1"  # the source version, not the binNMU


def test_unfixed_states_offer_no_fix(findings: dict) -> None:
    for key, status in EXPECTED.items():
        if status is not Status.FIXED:
            assert not findings[key].fix_available, key


# DSA-5514-1 as the tracker's data/DSA/list writes it, and an advisory naming two CVEs the tracker also lists
DSA_LIST = """[03 Oct 2023] DSA-5514-1 glibc - security update
\t{CVE-2023-4527 CVE-2023-4806 CVE-2023-4911}
\t[bookworm] - glibc 2.36-9+deb12u3
[04 Oct 2023] DSA-9001-1 glibc - security update
\t{CVE-2023-4911 CVE-2010-4756}
\t[bookworm] - glibc 2.36-9+deb12u3
"""


def test_a_dsa_joins_the_cve_findings_it_names_never_a_second_finding(tmp_path: Path) -> None:
    for kind, text in (("DSA", DSA_LIST), ("DLA", "")):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "list").write_text(text)
    db = tmp_path / "seawall.db"
    assert update_db(db, select_feeds(["debian", "debian-advisories"], [
        f"debian={ASSETS / 'debian-tracker.json'}", f"debian-advisories={tmp_path}"])).installed
    report = scan_target(f"dir:{ASSETS / 'debian-bookworm'}", db=db, auto_update=False)
    libc6 = {f.id: f for f in report.findings if f.package.name == "libc6"}
    assert sorted(libc6) == ["CVE-2010-4756", "CVE-2023-4911"]
    assert {"DSA-5514-1", "DSA-9001-1"} <= set(libc6["CVE-2023-4911"].aliases)
    assert "DSA-9001-1" in libc6["CVE-2010-4756"].aliases
    assert "CVE-2010-4756" not in libc6["CVE-2023-4911"].aliases  # two vulnerabilities stay two findings
    assert libc6["CVE-2023-4911"].severity_source == "debian"

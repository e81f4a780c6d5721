"""`seawall compare` explains, finding by finding, why Trivy's and Grype's reports of one Debian image differ from
seawall's: each disagreement planted in the fixtures (tests/assets/reports/) gets its own reason code and facts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from seawall.cli.main import cli
from seawall.compare import (
    AGREE,
    BINARY_VS_SOURCE,
    DISTRO_STATE,
    EXTRA,
    MATCHED_BY_CPE,
    MISSING,
    NEWER_THAN_DB,
    NOT_AFFECTED,
    NOT_SEEN,
    OS_OWNED,
    OUTSIDE_RANGE,
    SEVERITY,
    SEVERITY_SOURCE,
    STATUS,
    Comparison,
    Difference,
    compare,
)
from seawall.compare.render import render
from seawall.db.build import update_db
from seawall.db.store import VulnStore
from seawall.feeds import select_feeds
from seawall.image.options import FetchOptions
from seawall.output.scan import render_scan
from seawall.reports import load_report
from seawall.scan import scan_target
from tests.feed_helpers import FeedServer

ASSETS = Path(__file__).parent / "assets"
REPORTS = ASSETS / "reports"
TRIVY = REPORTS / "trivy-bookworm.json"
GRYPE = REPORTS / "grype-bookworm.json"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The debian-bookworm rootfs of the matcher tests plus this suite's packages, and its tracker DB + NVD data."""
    work = tmp_path_factory.mktemp("compare")
    root = work / "rootfs"
    shutil.copytree(ASSETS / "match" / "debian-bookworm", root)
    shutil.copytree(REPORTS / "bookworm-extra", root, dirs_exist_ok=True)
    status = root / "var" / "lib" / "dpkg" / "status"
    status.write_text(status.read_text().rstrip("\n") + "\n\n" + (REPORTS / "dpkg-status-extra").read_text())
    tracker = json.loads((ASSETS / "match" / "debian-tracker.json").read_text())
    for package, issues in json.loads((REPORTS / "debian-tracker-extra.json").read_text()).items():
        tracker.setdefault(package, {}).update(issues)
    (work / "tracker.json").write_text(json.dumps(tracker))
    db = work / "seawall.db"
    with FeedServer(REPORTS) as server:  # NVD's API, answered from one page
        result = update_db(db, select_feeds(["debian", "nvd"], [f"debian={work / 'tracker.json'}",
                                                                 f"nvd={server.url}/nvd-cves.json"]))
    assert result.installed and all(o.state == "updated" for o in result.outcomes), result
    return {"root": root, "db": db, "cache": work / "cache"}


@pytest.fixture(scope="module")
def comparison(image: dict[str, Path]) -> Comparison:
    scan = scan_target(f"dir:{image['root']}", db=image["db"], auto_update=False,
                       fetch=FetchOptions(cache_dir=image["cache"]))
    with VulnStore.open(image["db"]) as store:
        return compare(scan, [load_report(TRIVY), load_report(GRYPE)], store, target="shop/api:1.4.2")


def diff(comparison: Comparison, vuln: str, package: str, report: int) -> Difference | None:
    row = next(r for r in comparison.rows if r.vulnerability == vuln and r.package_name == package)
    return next((d for d in row.differences if d.report == report), None)


def reason(comparison: Comparison, vuln: str, package: str, report: int, code: str):  # type: ignore[no-untyped-def]
    found = diff(comparison, vuln, package, report)
    assert found is not None, f"{vuln} {package}: no difference for report {report}"
    matching = [r for r in found.reasons if r.code == code]
    assert matching, f"{vuln} {package}: {code} not among {[r.code for r in found.reasons]}"
    return found, matching[0]


TRIVY_N, GRYPE_N = 0, 1


def test_findings_every_side_reports_alike_are_counted_not_listed(comparison: Comparison) -> None:
    assert comparison.counts(TRIVY_N) == {AGREE: 10, MISSING: 1, EXTRA: 1, SEVERITY: 5, STATUS: 1}
    assert comparison.counts(GRYPE_N) == {AGREE: 12, MISSING: 3, EXTRA: 4, SEVERITY: 0, STATUS: 2}
    assert diff(comparison, "CVE-2023-4911", "libc6", TRIVY_N) is None
    assert diff(comparison, "CVE-2023-4911", "libc6", GRYPE_N) is None
    document = json.loads(render(comparison, "json"))
    assert {row["vulnerability"] for row in document["rows"]}.isdisjoint({"CVE-2023-4911", "CVE-2024-2398"})
    everything = json.loads(render(comparison, "json", show_all=True))
    assert "CVE-2023-4911" in {row["vulnerability"] for row in everything["rows"]}


def test_a_not_affected_in_this_release(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2019-1010022", "libc6", TRIVY_N, NOT_AFFECTED)
    assert found.kind == EXTRA
    assert why.fact("namespace") == "debian:12" and why.fact("source_package") == "glibc"
    assert "not affecting glibc" in why.sentence


def test_b_distribution_state_flattened_by_the_other_tool(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2024-2511", "libssl3", TRIVY_N, DISTRO_STATE)
    assert found.kind == STATUS
    assert why.fact("distribution_status") == "minor" and why.fact("Trivy_status") == "affected"
    found, why = reason(comparison, "CVE-2010-4756", "libc6", TRIVY_N, DISTRO_STATE)
    assert found.kind == SEVERITY and [r.code for r in found.reasons] == [DISTRO_STATE]  # unimportant shown as LOW
    assert why.fact("distribution_status") == "negligible" and why.fact("Trivy_severity") == "LOW"
    _, why = reason(comparison, "CVE-2022-46908", "libsqlite3-0", GRYPE_N, DISTRO_STATE)
    assert why.fact("grype_status") == "not-fixed"
    found, why = reason(comparison, "CVE-2023-31484", "perl-base", GRYPE_N, DISTRO_STATE)
    assert found.kind == MISSING and why.fact("distribution_status") == "unsupported"
    assert diff(comparison, "CVE-2010-4756", "libc6", GRYPE_N) is None  # Grype kept "Negligible"


def test_c_binary_version_compared_where_the_distribution_tracks_the_source(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2099-1001", "libdevmapper1.02.1", GRYPE_N, BINARY_VS_SOURCE)
    assert found.kind == MISSING
    assert why.fact("binary") == "libdevmapper1.02.1 2:1.02.185-2"
    assert why.fact("source") == "lvm2 2.03.16-2" and why.fact("fixed_in") == "2.03.16-3"
    assert diff(comparison, "CVE-2099-1001", "libdevmapper1.02.1", TRIVY_N) is None  # Trivy used SrcVersion


def test_d_matched_by_cpe_on_an_nvd_only_id(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2099-1002", "curl", GRYPE_N, MATCHED_BY_CPE)
    assert found.kind == EXTRA
    assert "cpe:2.3:a:curl:curl" in (why.fact("cpes") or "") and why.fact("constraint") == "< 8.0.0 (unknown)"
    row = next(r for r in comparison.rows if r.vulnerability == "CVE-2099-1002")
    assert row.statement is not None and "no entry" in row.statement.text


def test_e_installed_version_outside_the_advisory_range(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2023-5678", "libssl3", GRYPE_N, OUTSIDE_RANGE)
    assert found.kind == EXTRA
    assert why.fact("installed") == "openssl 3.0.11-1~deb12u2" and why.fact("fixed_in") == "3.0.11-1~deb12u2"
    assert why.fact("grype_fixed") == "3.0.13-1~deb12u1"


def test_f_language_package_owned_by_an_os_package(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2099-1003", "urllib3", GRYPE_N, OS_OWNED)
    assert found.kind == EXTRA
    assert "python3-urllib3" in (why.fact("owned_by") or "") and "python-urllib3" in (why.fact("owned_by") or "")
    assert "no entry for CVE-2099-1003" in why.sentence
    row = next(r for r in comparison.rows if r.vulnerability == "CVE-2099-1003")
    assert "GHSA-99aa-bbcc-ddee" in row.ids  # Grype's related id aligned with the CVE


def test_g_package_not_seen_by_one_side(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2024-2236", "libgcrypt20", TRIVY_N, NOT_SEEN)
    assert found.kind == MISSING
    assert why.fact("seawall_location") == "at /var/lib/dpkg/status, layer 0"
    found, why = reason(comparison, "CVE-2023-48795", "openssh-server", GRYPE_N, NOT_SEEN)
    assert found.kind == EXTRA and "not in the image at all" in why.sentence  # dpkg: deinstall ok config-files


def test_h_severity_from_vendor_versus_nvd(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2099-1004", "zlib1g", TRIVY_N, SEVERITY_SOURCE)
    assert found.kind == SEVERITY
    assert why.fact("seawall_severity") == "low (debian)" and why.fact("Trivy_severity") == "CRITICAL (nvd)"
    assert why.fact("cvss_nvd@nist.gov_3.1", ) is not None and "9.8" in why.fact("cvss_nvd@nist.gov_3.1")
    assert "Debian's rating" in why.sentence and "NVD's" in why.sentence


def test_i_advisory_newer_than_the_other_tools_db(comparison: Comparison) -> None:
    found, why = reason(comparison, "CVE-2099-1005", "tar", GRYPE_N, NEWER_THAN_DB)
    assert found.kind == MISSING
    assert why.fact("published") == "2025-03-01T10:15:00.000" and why.fact("grype_DB_built") == "2025-01-15T01:23:45Z"
    assert diff(comparison, "CVE-2099-1005", "tar", TRIVY_N) is None


def test_markdown_is_an_answer_with_the_distributions_statement_and_link(comparison: Comparison) -> None:
    text = render(comparison, "markdown")
    assert text.startswith("# Vulnerability report comparison: shop/api:1.4.2")
    assert "### CVE-2019-1010022" in text
    assert "https://security-tracker.debian.org/tracker/CVE-2019-1010022" in text
    assert "glibc (bookworm): not affected" in text
    assert "### CVE-2023-4911" not in text  # agreed: counted only


def test_table_lists_the_reason_codes(comparison: Comparison) -> None:
    text = render(comparison, "table")
    assert "binary-vs-source-package" in text and "grype 0.86.1" in text


def test_cli_compares_a_target_and_a_saved_scan_report_and_exits_zero(image: dict[str, Path], tmp_path: Path
                                                                      ) -> None:
    runner = CliRunner()
    args = ["--cache-dir", str(image["cache"]), "compare", f"dir:{image['root']}", "--with", str(TRIVY),
            "--with", str(GRYPE), "--db", str(image["db"]), "--skip-db-update", "--format", "json"]
    result = runner.invoke(cli, args, standalone_mode=False)
    assert result.exception is None, result.output
    document = json.loads(result.output)
    assert [r["tool"] for r in document["reports"]] == ["Trivy", "grype"]
    assert document["reports"][1]["summary"]["missing"] == 3

    scan = scan_target(f"dir:{image['root']}", db=image["db"], auto_update=False,
                       fetch=FetchOptions(cache_dir=image["cache"]))
    saved = tmp_path / "scan.json"
    saved.write_text(render_scan(scan, "json"))
    out = tmp_path / "answer.md"
    result = runner.invoke(cli, ["compare", f"report:{saved}", "--with", str(GRYPE), "--db", str(image["db"]),
                                 "--skip-db-update", "--format", "markdown", "-o", str(out)], standalone_mode=False)
    assert result.exception is None, result.output
    answer = out.read_text()
    assert "binary-vs-source-package" in answer and "newer-than-db" in answer
    # a saved report lists only vulnerable packages: seawall does not claim urllib3 is absent from the image
    assert "seawall's scan report lists no finding for urllib3" in answer


def test_cli_names_a_malformed_report_in_one_line(image: dict[str, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "broken.json"
    bad.write_text('{"SchemaVersion": 2, "Results": {"Target": "x"}}')
    done = subprocess.run([sys.executable, "-m", "seawall", "compare", f"dir:{image['root']}", "--with", str(bad),
                           "--db", str(image["db"]), "--skip-db-update"], capture_output=True, text=True, check=False)
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "trivy-json" in lines[0]


def test_inventory_differences_with_a_report_that_lists_every_package(comparison: Comparison) -> None:
    trivy, grype = comparison.inventories
    assert grype is None  # Grype lists only matched packages: no claim about its inventory
    assert sorted(p.name for p in trivy.only_seawall) == ["libgcrypt20", "urllib3"]
    assert trivy.only_report == () and trivy.other_version == () and trivy.agree == 12
    text = render(comparison, "markdown")
    assert "only seawall: `libgcrypt20` 1.10.1-3 (deb) at /var/lib/dpkg/status (layer 0)" in text


def test_the_text_table_fits_80_columns_without_markdown(comparison: Comparison) -> None:
    from seawall.compare.render import table

    text = table(comparison, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "**" not in text and "`" not in text
    assert not any(line.lstrip().startswith("- ") for line in text.splitlines())
    assert "Trivy, severity differs: distribution-state-flattened" in text  # bracketed words are not eaten as markup
    assert "only seawall: libgcrypt20 1.10.1-3 (deb)" in text

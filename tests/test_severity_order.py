"""Which rating a finding reports, in the documented order, and where it says it came from."""

from __future__ import annotations

from cvss import CVSS2, CVSS3, CVSS4

from seawall.feeds.cvss_score import score_vector
from seawall.match.severity import rate
from seawall.model.finding import Finding
from seawall.model.sbom import Package
from seawall.model.vuln import CVSS, Severity, Status, VulnerabilityMeta, split_source
from seawall.output.cyclonedx_vulns import vulnerability
from seawall.output.trivy_json import vulnerability_entry

V31 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H"  # CVE-2023-0286 as NVD scores it: 7.4
V31_CNA = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
V2 = "AV:N/AC:L/Au:N/C:C/I:C/A:C"


def _cvss(vector: str, source: str, primary: bool = True) -> CVSS:
    version, score = score_vector(vector)  # type: ignore[misc]
    return CVSS(source=source, version=version, vector=vector, score=score, primary=primary)


def _meta(vuln_id: str, *scores: CVSS) -> VulnerabilityMeta:
    return VulnerabilityMeta(id=vuln_id, cvss=scores)


def test_scores_come_from_the_cvss_library() -> None:
    assert score_vector(V31) == ("3.1", float(CVSS3(V31).base_score)) == ("3.1", 7.4)
    assert score_vector(V40) == ("4.0", float(CVSS4(V40).base_score))
    assert score_vector(V2) == ("2.0", float(CVSS2(V2).base_score)) == ("2.0", 10.0)


def test_the_distribution_rating_comes_first() -> None:
    rating = rate((Severity.LOW, "debian"), Severity.HIGH, [_meta("CVE-1", _cvss(V31_CNA, "osv"))])
    assert (rating.severity, rating.source) == (Severity.LOW, "debian")


def test_osv_vectors_then_ghsa_then_nvd() -> None:
    nvd = _meta("CVE-1", _cvss(V31_CNA, "nvd@nist.gov"))
    osv = _meta("GHSA-1", _cvss(V31, "osv"))
    assert rate(None, Severity.LOW, [osv, nvd]).source == "cvss:osv:3.1"
    assert (rate(None, Severity.LOW, [nvd]).severity, rate(None, Severity.LOW, [nvd]).source) == (Severity.LOW, "ghsa")
    rating = rate(None, None, [nvd])
    assert (rating.severity, rating.source, rating.cvss) == (Severity.CRITICAL, "cvss:nvd@nist.gov:3.1", nvd.cvss[0])


def test_nvd_v4_then_v31_then_v30_then_v2_primary_before_secondary() -> None:
    v2 = _cvss(V2, "nvd@nist.gov")
    v31_primary = _cvss(V31, "nvd@nist.gov")
    v31_cna = _cvss(V31_CNA, "secalert@redhat.com", primary=False)
    v40_cna = _cvss(V40, "cna@example.org", primary=False)
    assert rate(None, None, [_meta("CVE-1", v2, v31_cna, v31_primary)]).source == "cvss:nvd@nist.gov:3.1"
    assert rate(None, None, [_meta("CVE-1", v2, v31_cna)]).source == "cvss:secalert@redhat.com:3.1"
    assert rate(None, None, [_meta("CVE-1", v2, v31_primary, v40_cna)]).source == "cvss:cna@example.org:4.0"
    only_v2 = rate(None, None, [_meta("CVE-1", v2)])
    assert (only_v2.severity, only_v2.source) == (Severity.HIGH, "cvss:nvd@nist.gov:2.0")  # v2 tops out at high


def test_a_bundle_takes_the_highest_rating_of_its_cves() -> None:
    metas = [_meta("DSA-1-1"), _meta("CVE-1", _cvss(V31, "nvd@nist.gov")),
             _meta("CVE-2", _cvss(V31_CNA, "nvd@nist.gov")), _meta("CVE-3")]
    rating = rate(None, None, metas, ["CVE-1", "CVE-2", "CVE-3"])
    assert (rating.severity, rating.vuln_id, rating.source) == (Severity.CRITICAL, "CVE-2", "cvss:nvd@nist.gov:3.1")
    assert rate(None, None, [_meta("DSA-1-1"), _meta("CVE-3")], ["CVE-3", "CVE-4"]).source == "none"


def test_source_strings_split_into_scorer_and_version() -> None:
    assert split_source("cvss:nvd@nist.gov:3.1") == ("nvd@nist.gov", "3.1")
    assert split_source("cvss:134c704f-9b21-4f2e-91b3-4a467353bcc0:4.0") == ("134c704f-9b21-4f2e-91b3-4a467353bcc0",
                                                                             "4.0")
    assert split_source("cvss:nvd@nist.gov") == ("nvd@nist.gov", None)
    assert split_source("debian") == ("debian", None)


def test_trivy_and_cyclonedx_keep_ghsas_rating_beside_the_osv_vector_that_decided() -> None:
    package = Package(name="requests", version="2.19.0", type="python", purl="pkg:pypi/requests@2.19.0",
                      found_by="python")
    osv = _cvss(V31, "osv")
    finding = Finding(id="CVE-2023-32681", aliases=("GHSA-j8r2-6x86-q33q",), package=package, status=Status.FIXED,
                      severity=osv.rating, severity_source="cvss:osv:3.1", cvss=osv,
                      vendor_severity=Severity.MEDIUM, vendor_severity_source="ghsa")
    entry = vulnerability_entry(finding, {})
    assert entry["SeveritySource"] == "osv" and entry["VendorSeverity"] == {"ghsa": 2, "osv": 3}
    ratings = vulnerability(finding, "ref")["ratings"]
    assert {(r.get("method"), r["source"]["name"], r["severity"]) for r in ratings} == {
        ("other", "ghsa", "medium"), ("CVSSv31", "osv", "high")}

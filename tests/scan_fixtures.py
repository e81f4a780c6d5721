"""A realistic scan of a Debian bookworm image, for the scan report formats' golden files and tests.

openssl's binaries carry a finding in every Debian state; `requests` carries one merged from GHSA, PYSEC and CVE
ids and one waived by an allowlist; log4j is known exploited; a Go binary's module version could not be compared.
Layers 0-1 are the base image (python:3.11-slim-bookworm), layer 2 the application.

The secret and configuration scanners ran too: an ENV step left a GitHub token in the config (and its history), a
private key added by layer 1 was deleted by layer 2 but is still in layer 1's blob, and the application binary is
setuid. `GITHUB_TOKEN_VALUE` is the token itself: no output may ever contain it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from seawall.match.coverage import compute_coverage, mark_covered
from seawall.model.coverage import DbCoverage
from seawall.model.extra import ConfigFinding, Minimality, SecretFinding
from seawall.model.finding import Finding, MatchDetail, ScanReport, Suppression
from seawall.model.image import Image, ImageRef, Layer, Platform
from seawall.model.sbom import SBOM, Distro, Location, Package
from seawall.model.vuln import CVSS, EpssScore, FeedProvenance, KevEntry, Severity, Status

SCANNED_AT = "2024-06-12T09:30:00Z"
DEBIAN_TRACKER = "https://security-tracker.debian.org/tracker/"

LAYERS = (
    Layer(0, "sha256:" + "1a" * 32, "sha256:" + "2a" * 32, 29_126_484, "application/vnd.oci.image.layer.v1.tar+gzip",
          "/bin/sh -c #(nop) ADD file:7cc8c0c9bd5b1b7cfd7e2b1f6f4a32a5e4e0e5d3c0a9b6c1d2e3f4a5b6c7d8e9 in / ",
          "2024-05-13T00:00:00Z"),
    Layer(1, "sha256:" + "1b" * 32, "sha256:" + "2b" * 32, 3_511_230, "application/vnd.oci.image.layer.v1.tar+gzip",
          "RUN /bin/sh -c set -eux; apt-get update; apt-get install -y --no-install-recommends ca-certificates "
          "netbase tzdata; rm -rf /var/lib/apt/lists/* # buildkit", "2024-05-14T01:02:03Z"),
    Layer(2, "sha256:" + "1c" * 32, "sha256:" + "2c" * 32, 18_734_001, "application/vnd.oci.image.layer.v1.tar+gzip",
          "RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt && cp build/api /usr/local/bin/ # buildkit",
          "2024-06-01T08:15:00Z"),
)
BASE_LAYERS = 2

DPKG_STATUS = Location("/var/lib/dpkg/status", 0, LAYERS[0].diff_id)


def _deb(name: str) -> Package:
    version = "3.0.11-1~deb12u1"
    return Package(
        name=name, version=version, type="deb", found_by="dpkg",
        purl=f"pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12.5"
        + ("&upstream=openssl" if name != "openssl" else ""),
        locations=(DPKG_STATUS,), licenses=("Apache-2.0",), arch="amd64",
        source_name="openssl", source_version=version,
        maintainer="Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>",
        layer_index=0, layer_diff_id=LAYERS[0].diff_id, created_by=LAYERS[0].created_by,
    )


LIBSSL3 = _deb("libssl3")
OPENSSL = _deb("openssl")
REQUESTS = Package(
    name="requests", version="2.28.2", type="python", found_by="python", purl="pkg:pypi/requests@2.28.2",
    locations=(Location("/usr/local/lib/python3.11/site-packages/requests-2.28.2.dist-info/METADATA", 2,
                        LAYERS[2].diff_id),),
    licenses=("Apache-2.0",), layer_index=2, layer_diff_id=LAYERS[2].diff_id, created_by=LAYERS[2].created_by,
)
LOG4J = Package(
    name="org.apache.logging.log4j:log4j-core", version="2.14.1", type="java-archive", found_by="java",
    purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    locations=(Location("/opt/api/lib/log4j-core-2.14.1.jar", 2, LAYERS[2].diff_id),),
    licenses=("Apache-2.0",), layer_index=2, layer_diff_id=LAYERS[2].diff_id, created_by=LAYERS[2].created_by,
)
X_NET = Package(
    name="golang.org/x/net", version="v0.0.0-20230905-dirty", type="go-module", found_by="golang",
    purl="pkg:golang/golang.org/x/net@v0.0.0-20230905-dirty",
    locations=(Location("/usr/local/bin/api", 2, LAYERS[2].diff_id),),
    layer_index=2, layer_diff_id=LAYERS[2].diff_id, created_by=LAYERS[2].created_by,
    metadata=(("goToolchain", "go1.21.1"), ("mainModule", "example.com/api")),
)
CA_CERTS = Package(
    name="ca-certificates", version="20230311", type="deb", found_by="dpkg",
    purl="pkg:deb/debian/ca-certificates@20230311?arch=all&distro=debian-12.5",
    locations=(Location("/var/lib/dpkg/status", 1, LAYERS[1].diff_id),), arch="all",
    source_name="ca-certificates", source_version="20230311",
    layer_index=1, layer_diff_id=LAYERS[1].diff_id, created_by=LAYERS[1].created_by,
)

NVD = "nvd@nist.gov"


def _debian(package: Package, vuln_id: str, status: Status, *, constraint: str, severity: Severity,
            vendor: Severity | None, cvss: CVSS | None, title: str, fixed: tuple[str, ...] = (),
            aliases: tuple[str, ...] = (), published: str | None = None, **extra: object) -> Finding:
    detail = MatchDetail(
        matcher="distro-source", feed="debian", advisory_id=vuln_id, namespace="debian:12", searched_name="openssl",
        installed_version=package.source_version or package.version, constraint=constraint, status=status,
    )
    if vendor is not None:
        source = "debian"
    elif cvss is not None:
        source = f"cvss:{cvss.source}:{cvss.version}"
    else:
        source = "none"
    return Finding(
        id=vuln_id, aliases=aliases, package=package, status=status, severity=severity, severity_source=source,
        fixed_versions=fixed, vendor_severity=vendor, cvss=cvss, title=title,
        description=extra.pop("description", None) or f"{title}.",  # type: ignore[arg-type]
        published=published, references=(f"https://nvd.nist.gov/vuln/detail/{vuln_id}",),
        details=(detail,), in_base_image=True, data_source=DEBIAN_TRACKER + vuln_id,
        **extra,  # type: ignore[arg-type]
    )


def _openssl_findings(package: Package) -> list[Finding]:
    return [
        _debian(package, "CVE-2023-5363", Status.FIXED, constraint="< 3.0.11-1~deb12u2", severity=Severity.HIGH,
                vendor=None, fixed=("3.0.11-1~deb12u2",), aliases=("DSA-5532-1",), published="2023-10-25T18:17:43Z",
                cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
                title="Incorrect cipher key and IV length processing",
                description="A bug has been identified in the processing of key and initialisation vector (IV) "
                            "lengths. This can lead to potential truncation or overruns during the initialisation "
                            "of some symmetric ciphers."),
        _debian(package, "CVE-2024-4741", Status.AFFECTED, constraint="open (no fixed version)",
                severity=Severity.HIGH, vendor=None, published="2024-11-13T11:15:04Z",
                cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
                title="Use After Free with SSL_free_buffers"),
        _debian(package, "CVE-2024-5535", Status.MINOR, constraint="no-dsa (minor issue)", severity=Severity.LOW,
                vendor=Severity.LOW, published="2024-06-27T11:15:24Z",
                cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", 9.1),
                title="SSL_select_next_proto buffer overread"),
        _debian(package, "CVE-2023-6129", Status.WILL_NOT_FIX, constraint="no-dsa (ignored)", severity=Severity.LOW,
                vendor=Severity.LOW, cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 6.5),
                title="POLY1305 MAC implementation corrupts vector registers on PowerPC"),
        _debian(package, "CVE-2024-2511", Status.FIX_DEFERRED, constraint="no-dsa (postponed)",
                severity=Severity.LOW, vendor=Severity.LOW, cvss=None,
                title="Unbounded memory growth with session handling in TLSv1.3"),
        _debian(package, "CVE-2010-0928", Status.NEGLIGIBLE, constraint="open, urgency unimportant",
                severity=Severity.NEGLIGIBLE, vendor=Severity.NEGLIGIBLE,
                cvss=CVSS(NVD, "2.0", "AV:L/AC:H/Au:N/C:P/I:N/A:N", 4.0),
                title="RSA fault-injection attack on the CPU"),
        _debian(package, "CVE-2023-2975", Status.UNSUPPORTED, constraint="end-of-life in bookworm",
                severity=Severity.MEDIUM, vendor=None,
                cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.3),
                title="AES-SIV cipher implementation ignores empty associated data entries"),
    ]


def _osv_detail(package: Package, advisory: str, namespace: str, constraint: str, status: Status,
                unknown: bool = False) -> MatchDetail:
    return MatchDetail(
        matcher="ecosystem", feed="osv", advisory_id=advisory, namespace=namespace, searched_name=package.name,
        installed_version=package.version, constraint=constraint, status=status, version_unknown=unknown,
    )


def _ecosystem_findings() -> list[Finding]:
    requests_fixed = Finding(
        id="CVE-2023-32681", aliases=("GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"), package=REQUESTS,
        status=Status.FIXED, severity=Severity.MEDIUM, severity_source="ghsa", fixed_versions=("2.31.0",),
        vendor_severity=Severity.MEDIUM,
        cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1),
        epss=EpssScore(0.00114, 0.45312, "2024-06-11"),
        title="Unintended leak of Proxy-Authorization header in requests",
        description="Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking Proxy-Authorization "
                    "headers to destination servers when redirected to an HTTPS endpoint.",
        published="2023-05-26T18:15:14Z",
        references=("https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q",
                    "https://github.com/psf/requests/releases/tag/v2.31.0"),
        details=(
            _osv_detail(REQUESTS, "GHSA-j8r2-6x86-q33q", "pypi", "introduced 2.3.0, fixed 2.31.0", Status.FIXED),
            _osv_detail(REQUESTS, "PYSEC-2023-74", "pypi", "introduced 2.3.0, fixed 2.31.0", Status.FIXED),
        ),
        in_base_image=False, data_source="https://osv.dev/vulnerability/GHSA-j8r2-6x86-q33q",
    )
    requests_waived = Finding(
        id="CVE-2024-35195", aliases=("GHSA-9wx4-h78v-vm56",), package=REQUESTS, status=Status.FIXED,
        severity=Severity.MEDIUM, severity_source="ghsa", fixed_versions=("2.32.0",), vendor_severity=Severity.MEDIUM,
        cvss=CVSS("ghsa", "3.1", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", 5.6),
        title="Requests `Session` object does not verify requests after making first request with verify=False",
        published="2024-05-20T21:15:09Z",
        details=(_osv_detail(REQUESTS, "GHSA-9wx4-h78v-vm56", "pypi", "introduced 0, fixed 2.32.0", Status.FIXED),),
        in_base_image=False, data_source="https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56",
        suppressions=(Suppression(
            kind="allowlist", rule=".seawall-allow.yaml:12", source=".seawall-allow.yaml", owner="team-api",
            expires="2024-09-30", reason="the service never sets verify=False on a Session",
        ),),
    )
    log4shell = Finding(
        id="CVE-2021-44228", aliases=("GHSA-jfh8-c2jp-5v3q",), package=LOG4J, status=Status.FIXED,
        severity=Severity.CRITICAL, severity_source="ghsa", fixed_versions=("2.15.0",),
        vendor_severity=Severity.CRITICAL,
        cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        kev=KevEntry(date_added="2021-12-10", known_ransomware=True, due_date="2021-12-24", vendor_project="Apache",
                     product="Log4j2", name="Apache Log4j2 Remote Code Execution Vulnerability"),
        epss=EpssScore(0.97565, 0.99996, "2024-06-11"),
        title="Remote code injection in Log4j",
        description="Apache Log4j2 JNDI features used in configuration, log messages, and parameters do not protect "
                    "against attacker controlled LDAP and other JNDI related endpoints.",
        published="2021-12-10T10:15:09Z",
        references=("https://logging.apache.org/log4j/2.x/security.html",),
        details=(_osv_detail(LOG4J, "GHSA-jfh8-c2jp-5v3q", "maven", "introduced 2.13.0, fixed 2.15.0",
                             Status.FIXED),),
        in_base_image=False, data_source="https://osv.dev/vulnerability/GHSA-jfh8-c2jp-5v3q",
    )
    rapid_reset = Finding(
        id="CVE-2023-39325", aliases=("GHSA-4374-p667-p6c8", "GO-2023-2102"), package=X_NET, status=Status.FIXED,
        severity=Severity.HIGH, severity_source="ghsa", fixed_versions=("0.17.0",), vendor_severity=Severity.HIGH,
        cvss=CVSS(NVD, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        title="HTTP/2 rapid reset can cause excessive work in net/http",
        details=(_osv_detail(X_NET, "GO-2023-2102", "go", "introduced 0, fixed 0.17.0", Status.FIXED, unknown=True),),
        version_unknown=True, in_base_image=False, data_source="https://osv.dev/vulnerability/GO-2023-2102",
    )
    return [requests_fixed, requests_waived, log4shell, rapid_reset]


def _vex_waived() -> Finding:
    """ca-certificates: waived by a VEX statement, and in a base layer other than the first."""
    detail = MatchDetail(
        matcher="distro-source", feed="debian", advisory_id="CVE-2022-23491", namespace="debian:12",
        searched_name="ca-certificates", installed_version="20230311", constraint="open (no fixed version)",
        status=Status.AFFECTED,
    )
    return Finding(
        id="CVE-2022-23491", aliases=(), package=CA_CERTS, status=Status.AFFECTED, severity=Severity.UNKNOWN,
        severity_source="none", title="TrustCor root certificates remain trusted", details=(detail,),
        in_base_image=True, data_source=DEBIAN_TRACKER + "CVE-2022-23491",
        suppressions=(Suppression(
            kind="vex", rule="https://vex.example.com/api.openvex.json#stmt-3", source="api.openvex.json",
            reason="certificates only; the package ships no code", justification="vulnerable_code_not_present",
            vex_status="not_affected",
        ),),
    )


FEEDS = (
    FeedProvenance("debian", 2, "2024-06-12T06:00:00Z", "2024-06-12T06:05:00Z",
                   "https://security-tracker.debian.org/tracker/data/json", "sha256:" + "d1" * 32, 52_118, 3,
                   (("bad record: empty package", 3),)),
    FeedProvenance("epss", 1, "2024-06-11", "2024-06-12T06:06:00Z",
                   "https://epss.cyentia.com/epss_scores-current.csv.gz", "sha256:" + "e1" * 32, 250_004, 0),
    FeedProvenance("kev", 1, "2024-06-10T14:00:00Z", "2024-06-12T06:06:30Z",
                   "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
                   "sha256:" + "f1" * 32, 1_128, 0),
    FeedProvenance("nvd", 1, "2024-06-12T05:00:00Z", "2024-06-12T06:10:00Z",
                   "https://services.nvd.nist.gov/rest/json/cves/2.0", "sha256:" + "a9" * 32, 251_930, 12,
                   (("no CVSS metrics", 12),), error="HTTP 503 on the last update; kept the 2024-06-12 data"),
    FeedProvenance("osv", 1, "2024-06-12T04:00:00Z", "2024-06-12T06:08:00Z", "https://osv-vulnerabilities.storage"
                   ".googleapis.com", "sha256:" + "b9" * 32, 48_220, 41, (("GIT range ignored", 41),)),
)
COVERED_BY = (
    DbCoverage("debian:12", "debian", 31_870, "2024-06-12T05:58:00Z", False),
    DbCoverage("go", "osv", 3_990, "2024-06-12T03:00:00Z", False),
    DbCoverage("maven", "osv", 5_102, "2024-06-12T03:40:00Z", False),
    DbCoverage("pypi", "osv", 2_771, "2024-06-12T02:10:00Z", False),
)


GITHUB_TOKEN_VALUE = "ghp_R8x2Lq7VnT4cY9wZ1sK3mD6fH0jP5bN2gA7e"
PRIVATE_KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ"
ENV_STEP = f"ENV GITHUB_TOKEN={GITHUB_TOKEN_VALUE}"


def _secrets() -> list[SecretFinding]:
    return [
        SecretFinding(rule_id="github-token", title="GitHub token", severity=Severity.CRITICAL, path="config:Env",
                      line=3, match="ghp_…(40 chars)"),
        SecretFinding(rule_id="private-key", title="Private key", severity=Severity.CRITICAL,
                      path="/root/.ssh/id_ed25519", line=2, match=f"{PRIVATE_KEY_BODY[:4]}…(387 chars)",
                      layer_index=1, layer_diff_id=LAYERS[1].diff_id, created_by=LAYERS[1].created_by,
                      deleted_in_layer=2),
    ]


def _config_findings() -> list[ConfigFinding]:
    return [
        ConfigFinding("secret-build-arg", Severity.HIGH, "Secret passed as a build argument or ENV",
                      "GITHUB_TOKEN has a value in history step 3 (ENV); anyone who pulls the image can read it",
                      "pass secrets with `RUN --mount=type=secret` (BuildKit) or at run time, never as ARG/ENV, and "
                      "rotate this one"),
        ConfigFinding("setuid-binary", Severity.MEDIUM, "Setuid file",
                      "/usr/local/bin/api is setuid (mode 4755, layer 2), not owned by any OS package",
                      "remove the setuid/setgid bit (chmod a-s) or the program if the container does not need it",
                      path="/usr/local/bin/api", layer_index=2),
    ]


MINIMALITY = Minimality(compressed_size=sum(layer.size for layer in LAYERS), uncompressed_size=142_606_336,
                        layers=len(LAYERS), packages=6, files=4_211, shells=("/bin/bash", "/bin/sh"),
                        package_managers=("/usr/bin/apt", "/usr/bin/dpkg", "/usr/local/bin/pip"))
EXTRA: dict[str, Any] = {"scanners": ("vuln", "secret", "config"), "secrets": tuple(_secrets()),
                         "config": tuple(_config_findings()), "minimality": MINIMALITY}


def _history(*, with_token: bool) -> list[dict[str, object]]:
    steps: list[dict[str, object]] = [{"created": layer.created, "created_by": layer.created_by} for layer in LAYERS]
    if with_token:
        steps.insert(2, {"created": "2024-06-01T08:14:00Z", "created_by": ENV_STEP, "empty_layer": True})
    return steps


def debian_scan(*, scanned_at: str = SCANNED_AT, with_token: bool = True) -> ScanReport:
    """The image as `seawall scan` (every scanner) reports it; `with_token=False`: the same image without the
    token, as scanned for vulnerabilities only."""
    env = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"]
    if with_token:
        env.append(f"GITHUB_TOKEN={GITHUB_TOKEN_VALUE}")
    image = Image(
        source="registry.example.com/shop/api:2.3",
        transport="registry",
        ref=ImageRef("registry.example.com", "shop/api", tag="2.3"),
        digest="sha256:" + "5e" * 32,
        index_digest=None,
        platform=Platform("linux", "amd64"),
        manifest_media_type="application/vnd.oci.image.manifest.v1+json",
        config_digest="sha256:" + "c0" * 32,
        config={
            "architecture": "amd64", "os": "linux", "created": "2024-06-01T08:15:00Z",
            "config": {"Env": env, "Cmd": ["api"], "User": "10001"},
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in LAYERS]},
            "history": _history(with_token=with_token),
        },
        layers=LAYERS,
        annotations={"org.opencontainers.image.base.name": "docker.io/library/python:3.11-slim-bookworm"},
        repo_digests=("registry.example.com/shop/api@sha256:" + "5e" * 32,),
    )
    distro = Distro(id="debian", version_id="12.5", codename="bookworm", name="Debian GNU/Linux",
                    pretty_name="Debian GNU/Linux 12 (bookworm)", eol=False, eol_date="2026-06-10")
    sbom = SBOM(image=image, distro=distro, packages=(CA_CERTS, LIBSSL3, OPENSSL, REQUESTS, LOG4J, X_NET))
    findings = [*_openssl_findings(LIBSSL3), *_openssl_findings(OPENSSL)[:2], *_ecosystem_findings(), _vex_waived()]
    coverage = compute_coverage(sbom, COVERED_BY)
    sbom = mark_covered(sbom, coverage)
    marked = {p.key: p for p in sbom.packages}
    findings = [replace(f, package=marked[f.package.key]) for f in findings]
    return ScanReport(
        sbom=sbom,
        findings=tuple(findings),
        scanned_at=scanned_at,
        coverage=coverage,
        db_built_at="2024-06-12T06:12:00Z",
        db_schema=1,
        feeds=FEEDS,
        base_image="docker.io/library/python:3.11-slim-bookworm",
        base_layers=BASE_LAYERS,
        **(EXTRA if with_token else {"scanners": ("vuln",)}),
    )


def secrets_only_scan() -> ScanReport:
    """`--scanners secret,config`: no DB was opened and no vulnerability was looked for."""
    report = debian_scan()
    return ScanReport(sbom=report.sbom, findings=(), scanned_at=report.scanned_at,
                      **{**EXTRA, "scanners": ("secret", "config")})


def empty_scan() -> ScanReport:
    """The same image with nothing found: every format must still write a valid, complete document."""
    report = debian_scan(with_token=False)
    return ScanReport(sbom=report.sbom, findings=(), scanned_at=report.scanned_at, db_built_at=report.db_built_at,
                      db_schema=report.db_schema, feeds=report.feeds, scanners=report.scanners,
                      coverage=report.coverage)


NGINX_ORG = Package(
    name="nginx", version="1.25.3-1~bookworm", type="deb", found_by="dpkg",
    purl="pkg:deb/nginx/nginx@1.25.3-1~bookworm?arch=amd64", vendor="nginx.org",
    cpe="cpe:2.3:a:f5:nginx:1.25.3:*:*:*:*:*:*:*", locations=(Location("/var/lib/dpkg/status", 1, LAYERS[1].diff_id),),
    arch="amd64", source_name="nginx", source_version="1.25.3-1~bookworm",
    maintainer="NGINX Packaging <nginx-packaging@f5.com>",
    layer_index=1, layer_diff_id=LAYERS[1].diff_id, created_by=LAYERS[1].created_by,
)
OLD_DATA = (
    DbCoverage("debian:11", "debian-advisories", 9_114, "2023-03-31", True),
    DbCoverage("debian:10", "debian-advisories", 7_907, "2023-03-31", True),
    DbCoverage("pypi", "osv", 2_641, "2024-10-09T21:57:11Z", False),
)


def uncovered_scan() -> ScanReport:
    """A Debian 12 image checked against a DB without Debian 12 data, with nginx.org's nginx beside Debian's own
    packages: nothing was found, and most of it was not checked."""
    report = debian_scan(with_token=False)
    sbom = replace(report.sbom, packages=(CA_CERTS, LIBSSL3, NGINX_ORG, OPENSSL, REQUESTS))
    coverage = compute_coverage(sbom, OLD_DATA)
    return ScanReport(sbom=mark_covered(sbom, coverage), findings=(), scanned_at=report.scanned_at,
                      db_built_at="2024-06-12T06:12:00Z", db_schema=2, feeds=(
                          FeedProvenance("debian-advisories", 1, "2023-03-31", "2024-06-12T06:05:00Z",
                                         "security-tracker/data/DSA/list (+1 more)", "sha256:" + "d2" * 32, 41_000, 0),
                          FeedProvenance("osv", 1, "2024-10-09T21:57:11Z", "2024-06-12T06:08:00Z",
                                         "pypa-advisory-db/vulns", "sha256:" + "b8" * 32, 2_641, 0)),
                      coverage=coverage, scanners=("vuln",))

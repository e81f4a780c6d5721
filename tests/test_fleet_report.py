"""The fleet report on real official images (repo-info inventories of early 2023, judged against the real DSA/DLA
lists and Alpine secdb), in every format, and the HTML checked in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from seawall.cli.main import cli
from seawall.db.build import update_db
from seawall.feeds import select_feeds
from seawall.fleet.records import ImageResult
from seawall.fleet.repo_info import import_inventories, read_repo_info
from seawall.fleet.report import build_report, render
from seawall.fleet.store import ResultsStore, RunInfo
from tests.conftest import require_tool

ARTIFACTS = Path(__file__).parent / ".artifacts"


@pytest.fixture(scope="module")
def real(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("fleet-report")
    db = work / "vuln.db"
    data = shared_data
    feeds = select_feeds(["debian-advisories", "alpine"], [f"debian-advisories={data}/debian-security-tracker/data",
                                                           f"alpine={data}/alpine-secdb"])
    assert update_db(db, feeds).installed
    inventories = work / "inventories"
    shutil.copytree(data / "repo-info-inventories", inventories, ignore=shutil.ignore_patterns("*.md"))
    store_url = f"sqlite:///{work / 'fleet.db'}"
    with ResultsStore.open(store_url) as store:
        import_inventories(inventories, store, db, run_id="2023-w02")
        (inventories / "busybox__broken.json").write_text('{"image": "busybox", "packages": 3}')
        import_inventories(inventories, store, db, run_id="2023-w03")
        report = build_report(store)
    return {"store": store_url, "report": report, "work": work, "db": db}


def test_inventories_become_sboms(shared_data: Path) -> None:
    sbom = read_repo_info(shared_data / "repo-info-inventories" / "debian__bullseye-20230109-slim.json")
    assert (sbom.distro.id, sbom.distro.version_id, sbom.distro.codename) == ("debian", "11", "bullseye")
    libc = next(p for p in sbom.packages if p.name == "libc6")
    assert (libc.type, libc.source_name, libc.arch) == ("deb", "glibc", "amd64")
    assert sbom.image.created == "2023-01-11T02:34:44Z" and len(sbom.packages) == 96
    redis = read_repo_info(shared_data / "repo-info-inventories" / "redis__7-alpine.json")
    assert (redis.distro.id, redis.distro.version_id) == ("alpine", "3.17")
    assert all(p.type == "apk" and p.purl.startswith("pkg:apk/alpine/") for p in redis.packages)


def test_report_facts_on_real_images(real: dict) -> None:
    data = real["report"]
    assert data.run.id == "2023-w03"
    summary = data.summary()
    assert (summary["images"], summary["scanned"], summary["errors"]) == (8, 8, 1)
    assert summary["completeness"] == "8 of 9 images; 1 failed"
    by_key = {v.result.key: v.result for v in data.images}
    bullseye = by_key["debian:bullseye-20230109-slim"]
    # DSAs published after the image was built (January 2023) name fixed versions it does not have.
    assert bullseye.total >= 1 and bullseye.fixable == bullseye.total
    assert bullseye.distro_eol is not None and by_key["alpine:3.14.8"].distro_eol is True
    # repo-info gives the unpacked ("virtual") size only: "~ 80.48 Mb".
    assert (bullseye.size, bullseye.size_uncompressed) == (None, int(80.48 * 2**20))
    assert "busybox:broken" in {v.result.key for v in data.errors}
    assert summary["onEol"] == sum(1 for v in data.ok if v.result.distro_eol and v.result.fully_covered)
    assert [p.run_id for p in data.trend] == ["2023-w02", "2023-w03"]
    assert data.top_cves()[0]["images"] >= 1


def test_csv_and_json_carry_the_same_facts(real: dict) -> None:
    data = real["report"]
    rows = list(csv.DictReader(io.StringIO(render(data, "csv"))))
    document = json.loads(render(data, "json"))
    assert len(rows) == len(document["images"]) == 9
    by_csv = {row["image"]: row for row in rows}
    for image in document["images"]:
        row = by_csv[image["image"]]
        assert int(row["findings"] or 0) == image["findings"]
        assert (row["error"] or None) == image["error"]
        assert row["distro"] == (image["distro"] or "")
    assert document["summary"]["errors"] == 1
    markdown = render(data, "md")
    assert "## Errors" in markdown and "busybox:broken" in markdown


def test_cli_report_writes_every_format(real: dict) -> None:
    runner = CliRunner()
    for fmt in ("html", "md", "csv", "json"):
        out = real["work"] / f"report.{fmt}"
        result = runner.invoke(cli, ["fleet", "report", "--store", real["store"], "--format", fmt, "--output",
                                     str(out), "--since", "2000-01-01"])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 200
        assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()  # published as any file the user writes
    result = runner.invoke(cli, ["fleet", "report", "--store", real["store"], "--run", "nope"])
    assert result.exit_code != 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _chromium(page: Path, work: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    binary = require_tool("chromium")
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={work / 'chromium-profile'}",
         "--enable-logging=stderr", "--v=0", *flags, page.as_uri()],
        capture_output=True, text=True, timeout=120)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Uncaught" in line or re.search(r"CONSOLE.*(error|Error)", line)]


def test_console_error_detection_works(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    result = _chromium(page, tmp_path, "--dump-dom")
    assert _console_errors(result.stderr), result.stderr[-2000:]


def test_html_report_renders_offline_in_headless_chromium(real: dict) -> None:
    page = real["work"] / "report.html"
    page.write_text(render(real["report"], "html"))
    html = page.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<link" not in html and "src=" not in html  # nothing to fetch
    dom = _chromium(page, real["work"], "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not _console_errors(dom.stderr), _console_errors(dom.stderr)
    for chart in ("chart-severity", "chart-scatter", "chart-distros", "chart-variants", "chart-top", "chart-trend"):
        assert re.search(rf'id="{chart}".*?<svg class="chart"', dom.stdout, re.S), chart
    assert dom.stdout.count('class="dot"') == 8  # one dot per scanned image
    assert 'id="img-debian-bullseye-20230109-slim"' in dom.stdout
    assert "busybox:broken" in dom.stdout
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "fleet-report.png"
    result = _chromium(page, real["work"], f"--screenshot={shot}", "--window-size=1400,2000")
    assert result.returncode == 0 and shot.stat().st_size > 20_000


def test_variants_compare_size_and_findings_with_the_default(tmp_path: Path) -> None:
    def result(tag: str, variant: str, size: int, unpacked: int | None, severities: dict[str, int],
               packages: int) -> ImageResult:
        return ImageResult(run_id="r1", key=f"python:{tag}", repository="python", tag=tag,
                           reference=f"docker.io/library/python:{tag}", variant=variant, size=size,
                           size_uncompressed=unpacked, severities=severities, package_count=packages)

    with ResultsStore.open(f"sqlite:///{tmp_path / 'fleet.db'}") as store:
        store.create_run(RunInfo("r1", "official", "latest", None, "2024-05-01T00:00:00Z", status="finished"))
        store.put_result(result("3.12", "default", 400 * 2**20, 1000 * 2**20, {"critical": 3, "high": 17}, 430))
        store.put_result(result("3.12-slim", "slim", 50 * 2**20, None, {"high": 2, "low": 30}, 105))
        store.put_result(result("3.12-alpine", "alpine", 20 * 2**20, None, {"high": 1}, 40))
        store.put_result(result("3.12-bloated", "bloated", 500 * 2**20, None, {"critical": 25}, 600))
        data = build_report(store)
    group = json.loads(render(data, "json"))["variants"][0]["variants"]
    assert group["default"]["vsDefault"] is None and group["default"]["sizeUncompressed"] == 1000 * 2**20
    slim = group["slim"]["vsDefault"]
    assert (slim["sizeSmallerPct"], slim["fewerCriticalHigh"], slim["fewerPackages"]) == (87.5, 18, 325)
    assert slim["summary"] == "88% smaller, 18 fewer critical/high"
    assert group["bloated"]["vsDefault"]["summary"] == "25% larger, 5 more critical/high"
    rows = {row["image"]: row for row in csv.DictReader(io.StringIO(render(data, "csv")))}
    assert rows["python:3.12-alpine"]["vs_default"] == "95% smaller, 19 fewer critical/high than 3.12"
    assert rows["python:3.12"]["vs_default"] == "" and rows["python:3.12"]["size_uncompressed"] == str(1000 * 2**20)
    assert "| python | slim | 3.12-slim | 50.0 MiB |  | 105 | 2 | 32 | 88% smaller, 18 fewer critical/high |" \
        in render(data, "md")
    page = tmp_path / "variants.html"
    page.write_text(render(data, "html"))
    dom = _chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and not _console_errors(dom.stderr), dom.stderr[-2000:]
    table = re.search(r'<table id="variant-table">.*?</table>', dom.stdout, re.S)
    assert table and "88% smaller, 18 fewer critical/high" in table.group(0) and "1000.0 MiB" in table.group(0)


def _image(run: str, tag: str, digest: str, findings: list[tuple[str, str]], *, error: str | None = None,
           repository: str = "python", pushed: str | None = None, pulls: int | None = None,
           alias_of: str | None = None) -> ImageResult:
    from seawall.fleet.records import FindingRow

    rows = [FindingRow(vuln_id, "libc6", "2.36-9", "deb", severity, "fixed", "2.36-9+deb12u3") for vuln_id, severity
            in findings]
    severities: dict[str, int] = {}
    for _, severity in findings:
        severities[severity] = severities.get(severity, 0) + 1
    return ImageResult(run_id=run, key=f"{repository}:{tag}", repository=repository, tag=tag,
                       reference=f"127.0.0.1:5000/library/{repository}:{tag}", digest=None if error else digest,
                       severities={} if error else severities, findings=[] if error else rows, error=error,
                       fixable=0 if error else len(rows), hub_last_updated=pushed, pull_count=pulls,
                       alias_of=alias_of, verdict=None if error else ("fail" if findings else "pass"))


def test_headlines_count_digests_trends_compare_like_with_like(tmp_path: Path) -> None:
    a, b, c = ("sha256:" + ch * 64 for ch in "abc")
    with ResultsStore.open(f"sqlite:///{tmp_path / 'fleet.db'}") as store:
        # Week 1: python:3.12 (also tagged latest) with two findings.
        store.create_run(RunInfo("w1", "official", "supported", None, "2026-01-05T03:00:00Z", status="finished",
                                 selected=2, db_built_at="2026-01-05T00:00:00Z"))
        for tag, alias in (("3.12", None), ("latest", "python:3.12")):
            store.put_result(_image("w1", tag, a, [("CVE-1", "high"), ("CVE-2", "low")], alias_of=alias))
        # A run of another strategy must not enter the trend.
        store.create_run(RunInfo("other", "official", "latest", None, "2026-01-06T03:00:00Z", status="finished",
                                 selected=1))
        store.put_result(_image("other", "latest", a, [("CVE-9", "critical")] * 1))
        # Week 2: same digest judged by a newer DB (one more finding); a new image b with one finding;
        # 3.11 failed; one selected tag was never stored.
        store.create_run(RunInfo("w2", "official", "supported", None, "2026-01-12T03:00:00Z", status="finished",
                                 selected=6, db_built_at="2026-01-12T00:00:00Z"))
        for tag, alias in (("3.12", None), ("latest", "python:3.12"), ("3.12-bookworm", "python:3.12")):
            store.put_result(_image("w2", tag, a, [("CVE-1", "high"), ("CVE-2", "low"), ("CVE-3", "high")],
                                    alias_of=alias, pushed="2026-01-10T00:00:00Z", pulls=1_000_000))
        store.put_result(_image("w2", "3.13", b, [("CVE-1", "high")], pushed="2026-01-11T00:00:00Z", pulls=2_000))
        store.put_result(_image("w2", "3.11", c, [], error="pull failed"))
        data = build_report(store)
    s = data.summary()
    assert (s["images"], s["tags"], s["errors"], s["missing"]) == (2, 4, 1, 1)
    assert s["completeness"] == "4 of 6 images; 1 failed; 1 not scanned"
    assert s["findings"] == 4 and (s["judged"], s["failedPolicy"]) == (2, 2)
    top = {c["id"]: c["images"] for c in data.top_cves()}
    assert top["CVE-1"] == 2 and top["CVE-3"] == 1  # three tags of one digest are one image
    assert [p.run_id for p in data.trend] == ["w1", "w2"]
    w2 = data.trend[-1]
    assert (w2.images, w2.findings, w2.from_db, w2.from_new_images) == (2, 4, 1, 1)
    (python,) = data.rollup()
    assert (python["tags"], python["images"], python["latest"]["tag"], python["worst"]["tag"]) == (4, 2, "latest",
                                                                                                   "3.12")
    assert python["pullCount"] == 1_000_000
    markdown = render(data, "md")
    assert "**4 of 6 images; 1 failed; 1 not scanned.**" in markdown
    document = json.loads(render(data, "json"))
    assert (document["trend"][1]["from_db"], document["trend"][1]["label"]) == (1, "w2")
    page = tmp_path / "report.html"
    page.write_text(render(data, "html"))
    dom = _chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and not _console_errors(dom.stderr), dom.stderr[-2000:]
    assert "4 of 6 images; 1 failed; 1 not scanned" in dom.stdout
    assert re.search(r'id="card-policy"><b>2</b><span>of 2 images fail the policy', dom.stdout)
    trend = re.search(r'<table id="trend-table">.*?</table>', dom.stdout, re.S).group(0)
    assert re.search(r'<td class="n">\+1</td>\s*<td class="n">\+1</td>', trend)  # from new images, from a newer DB
    # One section per digest; the alias tags link to the section of the tag that was scanned.
    assert dom.stdout.count('class="image-page"') == 2 and "also tagged 3.12-bookworm, latest" in dom.stdout
    assert re.search(r'<a href="#img-python-3-12">python:latest</a>', dom.stdout)
    assert "127.0.0.1:5000" not in re.search(r'<figure id="chart-severity">.*?</figure>', dom.stdout, re.S).group(0)


def test_chart_labels_drop_the_registry_and_keep_the_tag() -> None:
    from seawall.fleet.report_charts import short_name

    assert short_name("registry.example.com:5000/library/python:3.12-slim") == "python:3.12-slim"
    long = short_name("ghcr.io/some-organisation/a-rather-long-service-name:2024.11.05-build7", 30)
    assert len(long) == 30 and long.endswith("11.05-build7") and "…" in long

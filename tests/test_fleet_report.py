"""The fleet report on real official images (repo-info inventories of early 2023, judged against the real DSA/DLA
lists and Alpine secdb), in every format, and the HTML checked in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
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
    assert (summary["images"], summary["scanned"], summary["errors"]) == (9, 8, 1)
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
    result = runner.invoke(cli, ["fleet", "report", "--store", real["store"], "--run", "nope"])
    assert result.exit_code != 0


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

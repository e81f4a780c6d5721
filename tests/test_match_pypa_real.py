"""The real PyPA advisory database, loaded and scanned the way a user does: `seawall db update` from a local copy,
then `seawall scan sbom:FILE`. Three advisories that used to read "not affected" must be reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared

SBOM = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "version": 1,
    "metadata": {"component": {"type": "application", "name": "pypa-edge-cases"}},
    "components": [
        {"type": "library", "name": name, "version": version, "purl": f"pkg:pypi/{name}@{version}",
         "bom-ref": f"pkg:pypi/{name}@{version}"}
        for name, version in (("apache-iotdb", "0.13.2"), ("pyspark", "3.2.1"), ("binderhub", "0.1.0"))
    ],
}


def _seawall(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", "--cache-dir", str(cache), *args],
                          capture_output=True, text=True, timeout=600, check=False)


def test_touching_ranges_and_unparseable_bounds_are_reported(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    vulns = shared_data / "pypa-advisory-db" / "vulns"
    update = _seawall(tmp_path / "cache", "db", "--db", str(db), "update", "--feed", "osv", "--source", f"osv={vulns}")
    assert update.returncode == 0, update.stderr
    status = _seawall(tmp_path / "cache", "db", "--db", str(db), "status", "--format", "json")
    (osv,) = [f for f in json.loads(status.stdout)["feeds"] if f["name"] == "osv"]
    # PYSEC-2021-371 (binderhub, fixed "0.2.0-n653") and the few like it are kept, counted apart from skips.
    assert osv["flagged"] >= 1 and osv["records"] > 5_000
    assert "pypi version that does not parse (fixed)" in dict(osv["flag_reasons"])

    sbom = tmp_path / "edge.cdx.json"
    sbom.write_text(json.dumps(SBOM))
    scan = _seawall(tmp_path / "cache", "scan", f"sbom:{sbom}", "--db", str(db), "--skip-db-update",
                    "--format", "json")
    assert scan.returncode == 0, scan.stderr
    found = {(group["package"]["name"], finding["id"]): finding
             for group in json.loads(scan.stdout)["packages"] for finding in group["findings"]}
    iotdb = found[("apache-iotdb", "CVE-2022-43766")]
    pyspark = found[("pyspark", "CVE-2023-32007")]
    binderhub = found[("binderhub", "CVE-2021-39159")]
    assert not iotdb["range_unparseable"] and not pyspark["range_unparseable"]
    assert binderhub["range_unparseable"] and not binderhub["version_unknown"]
    assert "does not parse" in binderhub["details"][0]["constraint"]

    table = _seawall(tmp_path / "cache", "scan", f"sbom:{sbom}", "--db", str(db), "--skip-db-update")
    assert "range unparseable" in table.stdout

"""Text output fits the terminal, or COLUMNS when piped: `db status` and `sbom` at 80 columns."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seawall.db.build import update_db
from seawall.feeds.http import Http
from seawall.output.width import output_width
from tests.feed_helpers import fixture_feeds

ROOTFS = Path(__file__).parent / "assets" / "rootfs" / "debian-bookworm"


def _run(columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": str(columns)})


def test_columns_sets_the_width_of_piped_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert output_width(100) == 80
    monkeypatch.setenv("COLUMNS", "12")
    assert output_width(100) == 40  # too narrow for any table: wrap at a width that still reads
    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_width(100) == 100  # pytest's stdout is no terminal


def test_db_status_fits_80_columns(tmp_path: Path) -> None:
    db = tmp_path / "seawall.db"
    assert update_db(db, fixture_feeds(), http=Http(backoff=0, retries=0)).installed
    status = _run(80, "db", "--db", str(db), "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("debian-advisories ") for line in lines)  # the longest feed name is not folded
    assert any(line.startswith("osv: ") for line in lines) and "fixed and unfixed" in status.stdout
    wide = _run(160, "db", "--db", str(db), "status")
    def counts(text: str) -> list[tuple[str, ...]]:  # name, date and counts (the ages move on between runs)
        rows = [line.split() for line in text.splitlines() if line.startswith(("feed ", "alpine ", "debian "))]
        return [(row[0], row[1] if row[0] != "feed" else "", *row[-3:]) for row in rows]

    assert counts(wide.stdout) == counts(status.stdout)  # the counts table is as narrow either way


@pytest.mark.skipif(not ROOTFS.is_dir(), reason="root filesystem asset missing")
def test_sbom_table_fits_80_columns(tmp_path: Path) -> None:
    result = _run(80, "--cache-dir", str(tmp_path), "sbom", f"dir:{ROOTFS}")
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "libssl3" in result.stdout

"""rpm databases written by real rpm (go-rpmdb's testdata): every one yields exactly the packages it holds.

The expected lists are independent of seawall: go-rpmdb's own test tables (transcribed from `rpm -qa` in the
image each database came from) and, for the formats this machine's rpm reads (Berkeley DB read-only, sqlite),
`rpm -qa` itself. The data lives outside the repository, under ../shared/data/go-rpmdb (or
SEAWALL_GO_RPMDB_TESTDATA), and these tests skip when it is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from seawall.catalog.rpm import PSEUDO_PACKAGES, RpmCataloger
from tests.catalog_helpers import real_entries
from tests.conftest import SHARED_DATA

TESTDATA = Path(os.environ.get("SEAWALL_GO_RPMDB_TESTDATA", SHARED_DATA / "go-rpmdb" / "pkg" / "testdata"))
DB_NAMES = ("Packages", "Packages.db", "rpmdb.sqlite")
Nevra = tuple[str, int, str, str]  # name, epoch (0 when none), version-release, arch

_CASE = re.compile(r'file:\s*"testdata/([^"]+)",\s*pkgList:\s*(\w+)\(\)')
_TABLE = re.compile(r"^\t(\w+) = func\(\) \[\]\*PackageInfo \{$", re.MULTILINE)
_ROW = re.compile(r'^\s*\{intRef\((\d*)\),\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"', re.MULTILINE)


def _databases() -> list[str]:
    if not TESTDATA.is_dir():
        return []
    return sorted(str(p.relative_to(TESTDATA)) for p in TESTDATA.rglob("*") if p.name in DB_NAMES and p.is_file())


def _go_tables() -> dict[str, list[Nevra]]:
    """go-rpmdb's expected package lists by database path, read from its test sources beside the testdata."""
    sources = TESTDATA.parent
    try:
        cases = (sources / "rpmdb_test.go").read_text()
        tables = (sources / "rpmdb_testcase_test.go").read_text()
    except OSError:
        return {}
    starts = [(m.group(1), m.end()) for m in _TABLE.finditer(tables)]
    rows_by_table: dict[str, list[Nevra]] = {}
    for index, (name, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(tables)
        rows_by_table[name] = [
            (m.group(2), int(m.group(1) or 0), f"{m.group(3)}-{m.group(4)}", m.group(5))
            for m in _ROW.finditer(tables, start, end)
        ]
    return {path: rows_by_table[table] for path, table in _CASE.findall(cases) if table in rows_by_table}


def _rpm_qa(database: Path, tmp_path: Path) -> list[Nevra] | None:
    """What this machine's rpm lists, for the formats it reads; None when it cannot."""
    rpm = shutil.which("rpm")
    backend = {"Packages": "bdb_ro", "rpmdb.sqlite": "sqlite"}.get(database.name)
    if rpm is None or backend is None:
        return None
    shutil.copy(database, tmp_path / database.name)  # rpm opens sqlite read-write and leaves -wal/-shm behind
    out = subprocess.run(
        [rpm, "--dbpath", str(tmp_path), "--define", f"_db_backend {backend}", "-qa", "--qf",
         "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [(n, int(e), vr, a) for n, e, vr, a in (line.split("\t") for line in out.stdout.splitlines())]


def _real(rows: list[Nevra]) -> list[Nevra]:
    return sorted((n, e, vr, "" if a == "(none)" else a) for n, e, vr, a in rows if n not in PSEUDO_PACKAGES)


@pytest.mark.parametrize("relative", _databases() or ["(go-rpmdb testdata absent)"])
def test_real_rpm_database_yields_exactly_its_packages(relative: str, tmp_path: Path) -> None:
    database = TESTDATA / relative
    if not database.is_file():
        pytest.skip(f"go-rpmdb testdata is absent ({TESTDATA})")
    cataloger = RpmCataloger()
    result = cataloger.catalog(real_entries([database]))
    assert result.unknowns == ()
    got = sorted((p.name, p.epoch or 0, p.version.split(":", 1)[-1], p.arch or "") for p in result.packages)
    oracles = {"go-rpmdb": _go_tables().get(relative), "rpm -qa": _rpm_qa(database, tmp_path)}
    checked = {name: _real(rows) for name, rows in oracles.items() if rows is not None}
    if not checked:
        pytest.skip(f"no independent list of what {relative} holds")
    for name, expected in checked.items():
        assert got == expected, f"{relative} differs from {name}"

"""Shared test plumbing: real tools or a clean skip, real data or a clean skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SEAWALL_SHARED_DATA", REPO.parent / "shared" / "data"))
# No test pulls the project's published DB from the internet: tests that want a DB repository name a local one.
os.environ["SEAWALL_DB_REPOSITORY"] = ""

# Each fixture module registers itself here, one line each.
pytest_plugins: list[str] = [
    "tests.fixtures.registry",
    "tests.fixtures.rootfs",
]


def require_tool(name: str) -> str:
    """Path of a system tool; skip without it, or fail when CI has promised every tool (SEAWALL_REQUIRE_TOOLS)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path:
        return path
    if os.environ.get("SEAWALL_REQUIRE_TOOLS"):
        pytest.fail(f"{name} is required in CI but not installed")
    pytest.skip(f"{name} not installed")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, the larger real data; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's real cache or docker config."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("DOCKER_CONFIG", str(base / "docker"))
    monkeypatch.delenv("SEAWALL_DB", raising=False)
    # Text output is as wide as COLUMNS says; pytest-xdist's workers set it to 80. Tests see output as a pipe
    # without it does (each renderer's own width), and set COLUMNS themselves where width is what they test.
    monkeypatch.delenv("COLUMNS", raising=False)

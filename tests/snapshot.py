"""Golden files: compare text with tests/snapshots/<name>; SEAWALL_UPDATE_SNAPSHOTS=1 rewrites them instead."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    """`name` is a path under tests/snapshots/ (e.g. "sbom/debian.cdx.json")."""
    path = SNAPSHOTS / name
    if os.environ.get("SEAWALL_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with SEAWALL_UPDATE_SNAPSHOTS=1 to write it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "actual", n=2
            )
        )
        pytest.fail(f"{name} differs from its snapshot (SEAWALL_UPDATE_SNAPSHOTS=1 to accept):\n{diff[:6000]}")

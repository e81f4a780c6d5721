"""Paths and small shared pieces of the benchmark scripts."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS = Path(os.environ.get("SEAWALL_BENCH_CORPUS", BENCH / "corpus"))
WORK = CORPUS / ".work"
OUT = BENCH / "out"
IMAGE_NAMES = ["debian-minbase", "py-app", "node-app", "go-bins", "java-app", "rpm-db", "php-egg", "big", "runtimes",
               "secret-deleted", "secret-env"]
# debian-minbase plus a planted secret: for the secret scanner; their packages are debian-minbase's, so the inventory
# comparisons and timings leave them out unless named.
SECRET_IMAGES = ("secret-deleted", "secret-env")


def layout_of(name: str) -> Path:
    return CORPUS / name


def docker_archive_of(name: str) -> Path:
    return CORPUS / f"{name}.docker.tar"


def human_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def seawall_command() -> list[str]:
    """`seawall` from the project's virtualenv when there is one, else from PATH, else `python -m seawall`."""
    venv = REPO / ".ci" / "venv" / "bin" / "seawall"
    if venv.exists():
        return [str(venv)]
    found = shutil.which("seawall")
    return [found] if found else [sys.executable, "-m", "seawall"]


def corpus_names(requested: list[str]) -> list[str]:
    names = requested or [n for n in IMAGE_NAMES
                          if n not in SECRET_IMAGES and (layout_of(n) / "index.json").exists()]
    missing = [n for n in names if not (layout_of(n) / "index.json").exists()]
    if missing:
        sys.exit(f"not built: {', '.join(missing)} — run python bench/corpus.py first")
    return names

"""Shared plumbing for the version fixture generators: pick pairs from real versions, write `a OP b` lines.

Each gen_<scheme>_pairs.py collects real version strings, asks that scheme's reference implementation how each
pair orders, and writes tests/assets/versions/<scheme>-pairs.txt. The tests read those files; they never call
the reference tools themselves.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
ASSETS = REPO / "tests" / "assets" / "versions"
OPS = {-1: "<", 0: "==", 1: ">"}


def usable(version: str) -> bool:
    return bool(version) and not any(c.isspace() for c in version) and len(version) <= 200


def make_pairs(
    groups: dict[str, Sequence[str]],
    total: int,
    seed: int = 440,
    same_group_share: float = 0.6,
) -> list[tuple[str, str]]:
    """Pairs drawn from real versions: mostly within one package (close versions), the rest across packages."""
    rng = random.Random(seed)
    groups = {k: sorted(set(filter(usable, v))) for k, v in groups.items()}
    groups = {k: v for k, v in groups.items() if v}
    everything = sorted({v for vs in groups.values() for v in vs})
    multi = [vs for vs in groups.values() if len(vs) > 1]
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    attempts = 0
    while len(out) < total and attempts < total * 20:
        attempts += 1
        if multi and rng.random() < same_group_share:
            a, b = rng.sample(rng.choice(multi), 2)
        else:
            a, b = rng.choice(everything), rng.choice(everything)
        if (a, b) in seen:
            continue
        seen.add((a, b))
        out.append((a, b))
    return out


def write_fixture(name: str, header: Iterable[str], results: Iterable[tuple[str, int, str]]) -> Path:
    path = ASSETS / f"{name}-pairs.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {h}" for h in header]
    count = 0
    for a, r, b in results:
        lines.append(f"{a} {OPS[r]} {b}")
        count += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {count} pairs to {path.relative_to(REPO)} ({path.stat().st_size} bytes)")
    return path
